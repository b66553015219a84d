package dialog

import (
	"errors"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/awstray/awstray/desktop/internal/procio"
)

// nasty is text a shell, AppleScript or PowerShell would run if it were
// pasted into a command or script.
const nasty = `it's "quoted" $(touch /tmp/pwned) ` + "`id`" + ` $env:PATH & | ; \n_x
second line`

func TestToolSelection(t *testing.T) {
	tests := []struct {
		name      string
		goos      string
		tool      string
		env       map[string]string
		installed []string
		want      string // tool name, or an error substring after "error: "
	}{
		{"linux zenity first", "linux", "", map[string]string{"DISPLAY": ":0"}, []string{"zenity", "kdialog"}, "zenity"},
		{"linux kdialog when no zenity", "linux", "auto", map[string]string{"DISPLAY": ":0"}, []string{"kdialog"}, "kdialog"},
		{"kde prefers kdialog", "linux", "", map[string]string{"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, []string{"zenity", "kdialog"}, "kdialog"},
		{"kde in a list", "freebsd", "", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "XDG_CURRENT_DESKTOP": "ubuntu:kde"}, []string{"zenity", "kdialog"}, "kdialog"},
		{"kde without kdialog", "linux", "", map[string]string{"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, []string{"zenity"}, "zenity"},
		{"gnome", "linux", "", map[string]string{"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "GNOME"}, []string{"zenity", "kdialog"}, "zenity"},
		{"nothing installed", "linux", "", map[string]string{"DISPLAY": ":0"}, nil, "error: no dialog program found: install zenity (or kdialog on KDE)"},
		{"nothing installed on kde", "linux", "", map[string]string{"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, nil, "error: install kdialog (or zenity)"},
		{"no display", "linux", "", nil, []string{"zenity"}, "error: no graphical session"},
		{"macos", "darwin", "", nil, []string{"osascript", "zenity"}, "osascript"},
		{"windows", "windows", "", nil, []string{"powershell.exe"}, "powershell"},
		{"windows without powershell", "windows", "", nil, nil, "error: powershell.exe is missing"},
		{"chosen", "linux", "kdialog", map[string]string{"DISPLAY": ":0"}, []string{"zenity", "kdialog"}, "kdialog"},
		{"chosen missing", "linux", "kdialog", map[string]string{"DISPLAY": ":0"}, []string{"zenity"}, "error: dialog tool kdialog"},
		{"ykman dialogs are auto", "linux", "ykman", map[string]string{"DISPLAY": ":0"}, []string{"zenity", "ykman"}, "zenity"},
		{"unknown", "linux", "dmenu", map[string]string{"DISPLAY": ":0"}, []string{"dmenu"}, `error: unknown dialog tool "dmenu"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Prompter{Tool: tt.tool, goos: tt.goos,
				getenv: func(k string) string { return tt.env[k] },
				lookPath: func(f string) (string, error) {
					if slices.Contains(tt.installed, f) {
						return "/fake/" + f, nil
					}
					return "", exec.ErrNotFound
				}}
			tool, path, err := p.resolve()
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tool.name() != tt.want || !strings.HasPrefix(path, "/fake/") {
				t.Fatalf("got %s at %s, want %s", tool.name(), path, tt.want)
			}
		})
	}
	p := &Prompter{goos: "linux", getenv: func(string) string { return ":0" }, lookPath: func(string) (string, error) { return "", exec.ErrNotFound }}
	if _, _, err := p.resolve(); !errors.Is(err, ErrNoTool) {
		t.Fatalf("err = %v, want ErrNoTool", err)
	}
}

func TestDialogArgv(t *testing.T) {
	title := "awstray: prod" // titles reach the tools flattened to one line
	tests := []struct {
		tool dialogTool
		r    request
		want []string
	}{
		{zenity{}, request{kindEntry, title, nasty, "init -x"}, []string{"zenity", "--entry", "--title=" + title, "--text=" + zenityEntryText(nasty), "--entry-text=init -x", "--width=420"}},
		{zenity{}, request{kindSecret, title, "Secret_key", ""}, []string{"zenity", "--entry", "--title=" + title, `--text=Secret__key`, "--hide-text", "--width=420"}},
		{zenity{}, request{kindQuestion, "--help", nasty, ""}, []string{"zenity", "--question", "--title=--help", "--text=" + nasty, "--no-markup", "--width=420"}},
		{zenity{}, request{kindInfo, title, "<b>x</b>", ""}, []string{"zenity", "--info", "--title=" + title, "--text=<b>x</b>", "--no-markup", "--width=420"}},
		{zenity{}, request{kindError, title, "e", ""}, []string{"zenity", "--error", "--title=" + title, "--text=e", "--no-markup", "--width=420"}},
		{kdialog{}, request{kindEntry, title, nasty, "eu-west-1"}, []string{"kdialog", "--title", title, "--inputbox", nasty, "eu-west-1"}},
		{kdialog{}, request{kindEntry, "-t", "--x", "-i"}, []string{"kdialog", "--title", "-t", "--inputbox", "--x", "--", "-i"}},
		{kdialog{}, request{kindEntry, title, "t", ""}, []string{"kdialog", "--title", title, "--inputbox", "t"}},
		{kdialog{}, request{kindSecret, title, nasty, ""}, []string{"kdialog", "--title", title, "--password", nasty}},
		{kdialog{}, request{kindQuestion, title, nasty, ""}, []string{"kdialog", "--title", title, "--yesno", nasty}},
		{kdialog{}, request{kindInfo, title, "i", ""}, []string{"kdialog", "--title", title, "--msgbox", "i"}},
		{kdialog{}, request{kindError, title, "e", ""}, []string{"kdialog", "--title", title, "--error", "e"}},
	}
	for _, tt := range tests {
		got := tt.tool.build(tt.r).argv
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s %v:\n got %q\nwant %q", tt.tool.name(), tt.r.kind, got, tt.want)
		}
	}
	if got := zenityEntryText(`C:\new_file`); got != `C:\\new__file` {
		t.Errorf("zenityEntryText = %q", got)
	}
}

func TestOsascriptPassesTextAsArgv(t *testing.T) {
	for kind := range osascriptScripts {
		inv := osascript{}.build(request{kind: kind, title: "-e", text: nasty, initial: `"; do shell script "id`})
		n := len(inv.argv)
		if !slices.Equal(inv.argv[n-4:], []string{"awstray", "-e", nasty, `"; do shell script "id`}) {
			t.Errorf("kind %v: arguments %q", kind, inv.argv[n-4:])
		}
		script := inv.argv[1 : n-4]
		for i, a := range script {
			if i%2 == 0 && a != "-e" {
				t.Fatalf("kind %v: script argv %q is not -e LINE pairs", kind, script)
			}
			if i%2 == 1 && (strings.Contains(a, "pwned") || strings.Contains(a, "shell script")) {
				t.Errorf("kind %v: the text was pasted into the script: %q", kind, a)
			}
		}
		if script[1] != "on run argv" || script[len(script)-1] != "end run" {
			t.Errorf("kind %v: not a run handler: %q", kind, script)
		}
	}
	if !strings.Contains(strings.Join(osascript{}.build(request{kind: kindSecret}).argv, "\n"), "with hidden answer") {
		t.Error("the secret dialog does not hide the answer")
	}
	if strings.Contains(strings.Join(osascript{}.build(request{kind: kindEntry}).argv, "\n"), "hidden") {
		t.Error("the text dialog hides the answer")
	}
	if err := (osascript{}).outcome(1, "0:1: execution error: User canceled. (-128)\n"); !errors.Is(err, ErrCancelled) {
		t.Errorf("cancel: %v", err)
	}
	if err := (osascript{}).outcome(1, "0:1: execution error: Not authorised (-1743)\n"); err == nil || errors.Is(err, ErrCancelled) {
		t.Errorf("failure: %v", err)
	}
}

func TestPowershellPassesTextInEnvironment(t *testing.T) {
	for kind, name := range powershellKinds {
		inv := powershell{}.build(request{kind: kind, title: nasty, text: nasty, initial: nasty})
		want := []string{"powershell", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Sta", "-EncodedCommand"}
		if !slices.Equal(inv.argv[:len(want)], want) || len(inv.argv) != len(want)+1 {
			t.Fatalf("argv %q", inv.argv)
		}
		if got, err := procio.DecodePowerShell(inv.argv[len(want)]); err != nil || got != powershellScript {
			t.Fatalf("the encoded script differs from powershellScript (%v):\n%s", err, got)
		}
		wantEnv := []string{"AWSTRAY_DIALOG_KIND=" + name, "AWSTRAY_DIALOG_TITLE=" + nasty, "AWSTRAY_DIALOG_TEXT=" + nasty, "AWSTRAY_DIALOG_INITIAL=" + nasty}
		if !slices.Equal(inv.env, wantEnv) {
			t.Errorf("env %q", inv.env)
		}
	}
	// The script reads every value from the environment; none is in it.
	for _, v := range []string{"KIND", "TITLE", "TEXT", "INITIAL"} {
		if !strings.Contains(powershellScript, "$env:AWSTRAY_DIALOG_"+v) {
			t.Errorf("the script does not read AWSTRAY_DIALOG_%s", v)
		}
	}
	for _, s := range []string{"UseSystemPasswordChar = $true", "Finish 2", "exit $code", powershellMarker, "OpenStandardOutput", "UseMnemonic = $false"} {
		if !strings.Contains(powershellScript, s) {
			t.Errorf("the script lacks %q", s)
		}
	}
	if err := (powershell{}).outcome(2, ""); !errors.Is(err, ErrCancelled) {
		t.Errorf("exit 2: %v", err)
	}
	if err := (powershell{}).outcome(1, "Add-Type : Cannot add type\n"); err == nil || errors.Is(err, ErrCancelled) {
		t.Errorf("exit 1: %v", err)
	}
}

func TestOutcomes(t *testing.T) {
	if err := (zenity{}).outcome(1, ""); !errors.Is(err, ErrCancelled) {
		t.Errorf("zenity 1: %v", err)
	}
	if err := (zenity{}).outcome(1, "(zenity:1): Gtk-WARNING **: cannot open display: :9\n"); err == nil || errors.Is(err, ErrCancelled) {
		t.Errorf("zenity without a display: %v, want an error that is not a cancel", err)
	}
	if err := (zenity{}).outcome(255, "boom\n"); err == nil || err.Error() != "exit status 255: boom" {
		t.Errorf("zenity 255: %v", err)
	}
	if err := (kdialog{}).outcome(1, ""); !errors.Is(err, ErrCancelled) {
		t.Errorf("kdialog 1: %v", err)
	}
}

func TestParseYkmanCode(t *testing.T) {
	for out, want := range map[string]string{"123456\n": "123456", "arn:aws:iam::1:mfa/me  12345678\n": "12345678"} {
		if got, err := parseYkmanCode(out); err != nil || got != want {
			t.Errorf("parseYkmanCode(%q) = %q, %v", out, got, err)
		}
	}
	for _, out := range []string{"", "\n", "Touch your YubiKey...\n", "12345\n"} {
		if _, err := parseYkmanCode(out); err == nil {
			t.Errorf("parseYkmanCode(%q) accepted", out)
		}
	}
	if got := ykmanArgs("-odd"); !slices.Equal(got, []string{"ykman", "oath", "accounts", "code", "--single", "--", "-odd"}) {
		t.Errorf("ykmanArgs = %q", got)
	}
}

func TestDialogEnvDropsSecretsAndExitCodeOverrides(t *testing.T) {
	got := dialogEnv([]string{"PATH=/bin", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t", "ZENITY_CANCEL=0", "AWSTRAY_DIALOG_TEXT=old", "DISPLAY=:1", "AWS_REGION=eu-west-1"})
	if want := []string{"PATH=/bin", "DISPLAY=:1", "AWS_REGION=eu-west-1"}; !slices.Equal(got, want) {
		t.Fatalf("dialogEnv = %q, want %q", got, want)
	}
}

// TestDialogTools pins the order the Prompter and `awstray doctor` share.
func TestDialogTools(t *testing.T) {
	kde := func(k string) string { return map[string]string{"XDG_CURRENT_DESKTOP": "ubuntu:KDE"}[k] }
	none := func(string) string { return "" }
	for _, tc := range []struct {
		name, tool, goos string
		getenv           func(string) string
		want             []string
	}{
		{"auto on Linux", ToolAuto, "linux", none, []string{ToolZenity, ToolKdialog}},
		{"empty is auto", "", "freebsd", none, []string{ToolZenity, ToolKdialog}},
		{"auto on KDE", ToolAuto, "linux", kde, []string{ToolKdialog, ToolZenity}},
		{"ykman's other dialogs are auto's", ToolYkman, "linux", kde, []string{ToolKdialog, ToolZenity}},
		{"auto on macOS", ToolAuto, "darwin", kde, []string{ToolOsascript}},
		{"auto on Windows", ToolAuto, "windows", none, []string{ToolPowershell}},
		{"a tool named is tried alone", ToolKdialog, "linux", none, []string{ToolKdialog}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ToolsFor(tc.tool, tc.goos, tc.getenv); !slices.Equal(got, tc.want) {
				t.Fatalf("ToolsFor = %q, want %q", got, tc.want)
			}
		})
	}
	if got := Program(ToolPowershell, "windows"); got != "powershell.exe" {
		t.Errorf("Program(powershell, windows) = %q", got)
	}
	if got := Program(ToolZenity, "linux"); got != "zenity" {
		t.Errorf("Program(zenity, linux) = %q", got)
	}
}
