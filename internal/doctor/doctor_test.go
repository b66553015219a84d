package doctor

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// fakeEnv is an Env with the given variables and programs on PATH.
func fakeEnv(vars map[string]string, programs ...string) Env {
	return Env{
		Getenv: func(k string) string { return vars[k] },
		LookPath: func(p string) (string, error) {
			if slices.Contains(programs, p) {
				return "/usr/bin/" + p, nil
			}
			return "", errors.New("not found")
		},
		GOOS: "linux",
	}.withDefaults()
}

func TestCheckClipboard(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the clipboard programs are chosen on Linux and the BSDs only")
	}
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		programs []string
		want     Status
		detail   string
	}{
		{"x11 xclip", map[string]string{"DISPLAY": ":0"}, []string{"xclip", "xsel"}, OK, "xclip (X11)"},
		{"x11 xsel", map[string]string{"DISPLAY": ":0"}, []string{"xsel"}, OK, "xsel (X11)"},
		{"wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"wl-copy", "wl-paste", "xclip"}, OK, "wl-copy (Wayland)"},
		{"wayland without wl-paste falls back to X11", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"wl-copy", "xclip"}, OK, "xclip (X11)"},
		{"none", map[string]string{"DISPLAY": ":0"}, nil, Fail, "no xclip, xsel or wl-copy found"},
		{"no session", nil, []string{"xclip"}, Warn, "no graphical session (DISPLAY and WAYLAND_DISPLAY are unset): no clipboard"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := checkClipboard(fakeEnv(tc.vars, tc.programs...))
			if r.Status != tc.want || r.Detail != tc.detail {
				t.Errorf("got %s %q, want %s %q", r.Status, r.Detail, tc.want, tc.detail)
			}
			if r.Status != OK && r.Fix == "" {
				t.Errorf("a %s without a fix", r.Status)
			}
		})
	}
}

func TestCheckDialog(t *testing.T) {
	for _, tc := range []struct {
		name     string
		vars     map[string]string
		setting  string
		programs []string
		want     Status
		detail   string
	}{
		{"zenity first", map[string]string{"DISPLAY": ":0"}, "", []string{"zenity", "kdialog"}, OK, "zenity"},
		{"kdialog first on KDE", map[string]string{"DISPLAY": ":0", "XDG_CURRENT_DESKTOP": "KDE"}, "", []string{"zenity", "kdialog"}, OK, "kdialog"},
		{"setting", map[string]string{"DISPLAY": ":0"}, "kdialog", []string{"zenity", "kdialog"}, OK, "kdialog"},
		{"setting not installed", map[string]string{"DISPLAY": ":0"}, "kdialog", []string{"zenity"}, Fail, "the dialogs setting is kdialog, and it is not installed"},
		{"ykman", map[string]string{"DISPLAY": ":0"}, "ykman", []string{"zenity", "ykman"}, OK, "zenity; MFA codes from ykman"},
		{"none", map[string]string{"DISPLAY": ":0"}, "", nil, Fail, "no zenity or kdialog found: the tray cannot ask for MFA codes"},
		{"no display", nil, "", []string{"zenity"}, Warn, "zenity cannot show a dialog: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := settingsState{path: "/s.toml"}
			st.s.Dialogs = tc.setting
			r := checkDialog(fakeEnv(tc.vars, tc.programs...), st)
			if r.Status != tc.want || r.Detail != tc.detail {
				t.Errorf("got %s %q, want %s %q", r.Status, r.Detail, tc.want, tc.detail)
			}
		})
	}
}

func TestProcessProgram(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/bin/get-creds --profile x --token s3cr3t": "/usr/bin/get-creds",
		`"/opt/my tools/creds" --secret x`:              "/opt/my tools/creds",
		"  awstray credential-process base":             "awstray",
		"":                                              "",
	} {
		if got := processProgram(in); got != want {
			t.Errorf("processProgram(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestProfilesNeverShowProcessArguments: the arguments of credential_process
// may hold a secret; the line names the program only.
func TestProfilesNeverShowProcessArguments(t *testing.T) {
	cfg, err := awsconfig.Parse("config", []byte("[profile tool]\ncredential_process = get-creds --token hunter2\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, programs := range [][]string{{"get-creds"}, nil} {
		rs := checkProfiles(fakeEnv(nil, programs...), cfg, keyList{})
		if len(rs) != 1 {
			t.Fatalf("got %d lines, want 1", len(rs))
		}
		if line := rs[0].Detail + rs[0].Fix; strings.Contains(line, "hunter2") {
			t.Errorf("the line shows an argument: %q", line)
		}
	}
}

func TestCheckProfileKeys(t *testing.T) {
	cfg, err := awsconfig.Parse("config", []byte("[profile a]\n[profile b]\nmfa_serial = arn:aws:iam::123456789012:mfa/x\n[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = nope\n"))
	if err != nil {
		t.Fatal(err)
	}
	keys := keyList{backend: "pass", listed: true, keys: map[string]bool{"b": true}}
	var got []string
	for _, r := range checkProfiles(fakeEnv(nil), cfg, keys) {
		got = append(got, string(r.Status)+" "+r.Detail)
	}
	want := []string{
		"fail a: no long-term key in pass",
		"ok b: long-term key in pass, with MFA",
	}
	if len(got) != 3 || !slices.Equal(got[:2], want) || got[2] != `fail r: profile "r": source_profile "nope" does not exist` {
		t.Errorf("got %q, want %q and a failure for r", got, want)
	}
	cfg, err = awsconfig.Parse("config", []byte("[profile a]\n[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = a\n"))
	if err != nil {
		t.Fatal(err)
	}
	rs := checkProfiles(fakeEnv(nil), cfg, keys)
	if r := rs[1]; r.Status != Fail || r.Fix != "awstray add a" {
		t.Errorf("a role from a profile without a key: got %+v, want a failure with the fix awstray add a", r)
	}
}

// TestAgentSocketOpenToOthers: a socket folder others can enter is a
// failure, named with its mode.
func TestAgentSocketOpenToOthers(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("named pipes")
	}
	dir, err := os.MkdirTemp("", "doctor-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "agent.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := fakeEnv(map[string]string{"AWSTRAY_AGENT_SOCKET": sock})
	e.GOOS = runtime.GOOS
	r := checkAgent(context.Background(), e)
	if r.Status != Fail || !strings.Contains(r.Detail, "is open to others (mode 0755)") {
		t.Errorf("got %s %q, want a failure for the folder's mode", r.Status, r.Detail)
	}
}
