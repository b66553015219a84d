package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// TestBadSettingKeepsTheBackend: settings.toml names the file backend and
// has a bad clipboard_timeout, and a pass store is there that
// auto-detection would pick. The CLI and the tray both use the file
// keyring, and both say what is wrong with clipboard_timeout.
func TestBadSettingKeepsTheBackend(t *testing.T) {
	var passDir string
	for _, kv := range testenv.InitPass(t) {
		if v, ok := strings.CutPrefix(kv, "PASSWORD_STORE_DIR="); ok {
			passDir = v
		}
	}
	dir := t.TempDir()
	env := map[string]string{
		"HOME":                    dir,
		"AWS_CONFIG_FILE":         filepath.Join(dir, "config"),
		"XDG_CONFIG_HOME":         filepath.Join(dir, "xdg"),
		"AWSTRAY_PASS_DIR":        passDir,
		"AWSTRAY_FILE_DIR":        filepath.Join(dir, "keyring"),
		"AWSTRAY_FILE_PASSPHRASE": "pass",
		"AWSTRAY_NO_AGENT":        "1",
	}
	getenv := func(k string) string { return env[k] }
	// Without a backend setting, the pass store is what would be found.
	if st, err := (&App{Stderr: &strings.Builder{}, Getenv: getenv}).Store(); err != nil || st.Backend() != "pass" {
		t.Fatalf("auto-detection: %v, %v; want pass", st, err)
	}
	setPath := filepath.Join(dir, "xdg", "awstray", "settings.toml")
	if err := os.MkdirAll(filepath.Dir(setPath), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(setPath, []byte("# mine\nclipboard_timeout = \"30\"\nbackend = \"file\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const wantErr = `settings.toml:2: clipboard_timeout: "30" is not a duration such as 8h or 45m`

	code, _, stderr := run(t, env, goodID+"\n"+goodSecret+"\n", "add", "dev")
	if code != 0 {
		t.Fatalf("add: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "in the file keyring\n") || strings.Count(stderr, wantErr) != 1 {
		t.Fatalf("add said:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "keyring")); err != nil {
		t.Fatalf("the file keyring was not written: %v", err)
	}
	if code, stdout, stderr := run(t, env, "", "export", "dev", "--no-session"); code != 0 || !strings.Contains(stdout, goodSecret) || !strings.Contains(stderr, wantErr) {
		t.Fatalf("export: exit %d: %s", code, stderr)
	}

	// The tray starts from the same settings and keyring.
	app := &App{Stderr: &strings.Builder{}, Getenv: getenv}
	o, err := trayOptions(app)
	if err != nil {
		t.Fatal(err)
	}
	if o.Store.Backend() != "file" || o.Settings.Backend != "file" {
		t.Fatalf("the tray uses the %s keyring (settings: %q)", o.Store.Backend(), o.Settings.Backend)
	}
	if o.SettingsErr == nil || !strings.Contains(o.SettingsErr.Error(), wantErr) {
		t.Fatalf("the tray's settings error: %v", o.SettingsErr)
	}
	if keys, err := o.Store.List(); err != nil || len(keys) != 1 {
		t.Fatalf("the tray sees %v, %v", keys, err)
	}

	// A backend setting that cannot be read is an error naming it: no
	// keyring is guessed in its place.
	for _, bad := range []string{"backend = \"gnome\"\n", "backend = file\n", "backend = 1\n"} {
		if err := os.WriteFile(setPath, []byte(bad), 0o600); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := run(t, env, "", "list")
		if code == 0 || !strings.HasPrefix(stderr, "awstray: ") || strings.Count(stderr, "\n") != 1 ||
			!strings.Contains(stderr, "settings.toml:1: backend") || !strings.Contains(stderr, "does not guess the keyring backend") {
			t.Errorf("%q: exit %d: %s", bad, code, stderr)
		}
		if _, err := trayOptions(&App{Stderr: &strings.Builder{}, Getenv: getenv}); err == nil {
			t.Errorf("%q: the tray started", bad)
		}
	}
	if entries, _ := os.ReadDir(passDir); len(entries) != 1 { // .gpg-id
		t.Fatalf("something went into the pass store: %v", entries)
	}
}
