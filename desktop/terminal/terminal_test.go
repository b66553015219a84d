package terminal

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/awstray/awstray/desktop/internal/procio"
)

func TestTerminalArgv(t *testing.T) {
	cmd := []string{"/opt/awstray/awstray", "exec", "prod;x y"}
	title := `awstray: prod "x"`
	tests := []struct {
		name string
		want []string
	}{
		{"xterm", []string{"/p/xterm", "-T", title, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"x-terminal-emulator", []string{"/p/x-terminal-emulator", "-T", title, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"gnome-terminal", []string{"/p/gnome-terminal", "--title=" + title, "--", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"konsole", []string{"/p/konsole", "--separate", "-p", `tabtitle=awstray: prod "x"`, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"xfce4-terminal", []string{"/p/xfce4-terminal", "--disable-server", "-T", title, "-x", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"kitty", []string{"/p/kitty", "--title", title, "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"alacritty", []string{"/p/alacritty", "--title", title, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"wezterm", []string{"/p/wezterm", "start", "--", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"foot", []string{"/p/foot", "--title=" + title, "--", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"tilix", []string{"/p/tilix", "-t", title, "-e", `/opt/awstray/awstray exec 'prod;x y'`}},
		{"terminator", []string{"/p/terminator", "-T", title, "-x", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"urxvt", []string{"/p/urxvt", "-title", title, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"st", []string{"/p/st", "-t", title, "-e", "/opt/awstray/awstray", "exec", "prod;x y"}},
		{"wt", []string{"/p/wt", "new-tab", "--title", title, "--suppressApplicationTitle", "--", "/opt/awstray/awstray", "exec", `prod\;x y`}},
		{"cmd", []string{"/p/cmd", "/d", "/v:off", "/c", `title awstray: prod _x_&"/opt/awstray/awstray" "exec" "prod;x y"`}},
		{"Terminal.app", []string{"/p/osascript", "-e", "on run argv", "-e", `tell application "Terminal"`, "-e", "activate",
			"-e", "set t to do script (item 2 of argv)", "-e", "set custom title of t to (item 3 of argv)", "-e", "end tell", "-e", "end run",
			"awstray", `exec /opt/awstray/awstray exec 'prod;x y'`, title}},
		{"iTerm2", []string{"/p/osascript", "-e", "on run argv", "-e", `tell application "iTerm"`, "-e", "activate",
			"-e", "set w to (create window with default profile command (item 2 of argv))", "-e", "tell current session of w to set name to (item 3 of argv)", "-e", "end tell", "-e", "end run",
			"awstray", `/opt/awstray/awstray exec 'prod;x y'`, title}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := kindNamed(tt.name)
			if k == nil {
				t.Fatalf("%s is not known", tt.name)
			}
			term := Terminal{Name: k.name, Path: tt.want[0], Title: title + "\n", kind: k}
			got, err := term.Command(cmd)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}

	ps := Terminal{Name: "powershell", Path: `C:\ps.exe`, Title: "it's", kind: kindNamed("powershell")}
	l, err := ps.launch([]string{`C:\Program Files\awstray\awstray.exe`, "exec", "o'neil"})
	if err != nil {
		t.Fatal(err)
	}
	if !l.newConsole || !slices.Equal(l.argv[:6], []string{`C:\ps.exe`, "-NoLogo", "-NoProfile", "-ExecutionPolicy", "Bypass", "-EncodedCommand"}) {
		t.Fatalf("powershell launch %+v", l)
	}
	want := "$Host.UI.RawUI.WindowTitle = 'it''s'\n& 'C:\\Program Files\\awstray\\awstray.exe' 'exec' 'o''neil'\nexit $LASTEXITCODE\n"
	if got, err := procio.DecodePowerShell(l.argv[6]); err != nil || got != want {
		t.Fatalf("powershell script (%v)\n%s\nwant\n%s", err, got, want)
	}

	cmdexe := Terminal{Name: "cmd", Path: `C:\Windows\System32\cmd.exe`, kind: kindNamed("cmd")}
	l, err = cmdexe.launch([]string{`C:\Program Files (x86)\awstray.exe`, "exec", "a&b"})
	if err != nil {
		t.Fatal(err)
	}
	if want := `"C:\Windows\System32\cmd.exe" /d /v:off /c title awstray&"C:\Program Files (x86)\awstray.exe" "exec" "a&b"`; l.cmdLine != want || !l.newConsole {
		t.Fatalf("cmd line %s", l.cmdLine)
	}
	for _, bad := range []string{"50%", `a"b`, "x!"} {
		if _, err := cmdexe.Command([]string{"awstray", "exec", bad}); err == nil {
			t.Errorf("cmd.exe takes %q", bad)
		}
	}
	if _, err := (Terminal{}).Command(cmd); err == nil {
		t.Error("a zero Terminal builds a command")
	}
	if _, err := ps.Command(nil); err == nil {
		t.Error("an empty command builds")
	}
}

func TestFindTerminalOrder(t *testing.T) {
	tests := []struct {
		name      string
		goos      string
		setting   string
		env       map[string]string
		installed []string
		want      string // Name, or "error: …"
	}{
		{"setting wins", "linux", "kitty", map[string]string{"TERMINAL": "foot"}, []string{"kitty", "foot", "xterm", "x-terminal-emulator"}, "kitty"},
		{"setting path", "linux", "/opt/bin/alacritty", nil, []string{"/opt/bin/alacritty"}, "alacritty"},
		{"setting unknown", "linux", "/opt/bin/myterm", nil, []string{"/opt/bin/myterm"}, "myterm"},
		{"setting missing", "linux", "kitty", nil, []string{"xterm"}, `error: terminal "kitty"`},
		{"$TERMINAL", "linux", "", map[string]string{"TERMINAL": "foot"}, []string{"foot", "xterm", "x-terminal-emulator"}, "foot"},
		{"$TERMINAL missing", "linux", "", map[string]string{"TERMINAL": "foot"}, []string{"xterm", "x-terminal-emulator"}, "x-terminal-emulator"},
		{"x-terminal-emulator", "linux", "", nil, []string{"xterm", "gnome-terminal", "x-terminal-emulator"}, "x-terminal-emulator"},
		{"gnome-terminal", "linux", "", nil, []string{"xterm", "konsole", "gnome-terminal"}, "gnome-terminal"},
		{"konsole", "linux", "", nil, []string{"xterm", "konsole", "kitty"}, "konsole"},
		{"xfce4-terminal", "linux", "", nil, []string{"xterm", "xfce4-terminal", "kitty"}, "xfce4-terminal"},
		{"kitty", "linux", "", nil, []string{"xterm", "alacritty", "kitty"}, "kitty"},
		{"alacritty", "linux", "", nil, []string{"xterm", "alacritty", "wezterm"}, "alacritty"},
		{"wezterm", "freebsd", "", nil, []string{"xterm", "foot", "wezterm"}, "wezterm"},
		{"foot", "linux", "", nil, []string{"xterm", "tilix", "foot"}, "foot"},
		{"tilix", "linux", "", nil, []string{"xterm", "tilix"}, "tilix"},
		{"xterm", "linux", "", nil, []string{"st", "xterm"}, "xterm"},
		{"urxvt", "linux", "", nil, []string{"rxvt-unicode"}, "urxvt"},
		{"none", "linux", "", nil, nil, "error: no terminal emulator found: install one"},
		{"macOS", "darwin", "", map[string]string{"TERMINAL": "xterm"}, []string{"osascript", "xterm"}, "Terminal.app"},
		{"macOS iTerm2", "darwin", "iTerm2", nil, []string{"osascript"}, "iTerm2"},
		{"macOS kitty", "darwin", "kitty", nil, []string{"osascript", "kitty"}, "kitty"},
		{"windows wt", "windows", "", nil, []string{"wt.exe", "powershell.exe", "cmd.exe"}, "wt"},
		{"windows powershell", "windows", "", nil, []string{"powershell.exe", "cmd.exe"}, "powershell"},
		{"windows pwsh", "windows", "", nil, []string{"pwsh.exe", "cmd.exe"}, "powershell"},
		{"windows cmd", "windows", "", nil, []string{"cmd.exe"}, "cmd"},
		{"windows setting", "windows", "cmd.exe", nil, []string{"wt.exe", "cmd.exe"}, "cmd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			term, err := findTerminal(tt.goos, tt.setting,
				func(k string) string { return tt.env[k] },
				func(f string) (string, error) {
					if slices.Contains(tt.installed, f) {
						if strings.Contains(f, "/") {
							return f, nil
						}
						return "/nonexistent/" + f, nil
					}
					return "", exec.ErrNotFound
				})
			if want, ok := strings.CutPrefix(tt.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("err = %v, want %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if term.Name != tt.want {
				t.Fatalf("found %s (%s), want %s", term.Name, term.Path, tt.want)
			}
		})
	}
	if _, err := findTerminal("linux", "", func(string) string { return "" }, func(string) (string, error) { return "", exec.ErrNotFound }); !errors.Is(err, ErrNoTerminal) {
		t.Fatalf("err = %v, want ErrNoTerminal", err)
	}
}

// x-terminal-emulator points (through /etc/alternatives) at the real
// emulator: one awstray knows is driven with its own flags; Debian's
// *.wrapper scripts with xterm's.
func TestFindTerminalFollowsTheDebianAlternative(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("symlinks")
	}
	dir := t.TempDir()
	for target, want := range map[string]string{"konsole": "konsole", "gnome-terminal.wrapper": "x-terminal-emulator", "xterm": "xterm"} {
		real := filepath.Join(dir, target)
		if err := os.WriteFile(real, []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "x-terminal-emulator")
		os.Remove(link)
		if err := os.Symlink(real, link); err != nil {
			t.Fatal(err)
		}
		term, err := findTerminal("linux", "", func(string) string { return "" }, func(f string) (string, error) {
			if f == "x-terminal-emulator" {
				return link, nil
			}
			return "", exec.ErrNotFound
		})
		if err != nil {
			t.Fatal(err)
		}
		if term.Name != want {
			t.Errorf("x-terminal-emulator -> %s: %s, want %s", target, term.Name, want)
		}
	}
}

func TestOpenAfterCancelStartsNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	term := Terminal{Name: "xterm", Path: "/nonexistent/xterm", kind: kindNamed("xterm")}
	if _, err := term.Open(ctx, []string{"true"}, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}
