package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(content string) string {
		p := filepath.Join(dir, "settings.toml")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	s, err := Load(filepath.Join(dir, "missing.toml"))
	if err != nil || s != (Settings{}) {
		t.Fatalf("missing file: %+v %v", s, err)
	}
	s, err = Load(write("# mine\nbackend = \"pass\"\nsession_duration = \"12h\"\nrole_duration = \"45m\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend != "pass" || s.SessionDuration.Duration != 12*time.Hour || s.RoleDuration.Duration != 45*time.Minute {
		t.Fatalf("got %+v", s)
	}
	for _, tc := range []struct{ content, want string }{
		{"backend = = x\n", "settings.toml:1: "},
		{"\n\nsession_duration = \"soon\"\n", `settings.toml:3: `},
		{"session_duration = \"-1h\"\n", `is not a positive duration`},
		{"backend = 3\n", `settings.toml: line 1 (last key "backend"): incompatible types`},
		{"colour = \"red\"\n", `unknown setting "colour"`},
	} {
		_, err := Load(write(tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: got %v, want one line containing %q", tc.content, err, tc.want)
		}
	}
}

func TestPath(t *testing.T) {
	env := map[string]string{"AWSTRAY_SETTINGS": "/x/s.toml"}
	if p, _ := Path(func(k string) string { return env[k] }); p != "/x/s.toml" {
		t.Errorf("AWSTRAY_SETTINGS: %s", p)
	}
	env = map[string]string{"XDG_CONFIG_HOME": "/cfg"}
	if p, _ := Path(func(k string) string { return env[k] }); p != "/cfg/awstray/settings.toml" {
		t.Errorf("XDG_CONFIG_HOME: %s", p)
	}
}

func TestSetKeepsTheRestOfTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "awstray", "settings.toml")
	if err := Set(p, "export_format", Quote("fish")); err != nil {
		t.Fatal(err)
	}
	orig := "# my settings\nbackend = \"pass\" # keep this\n\nnotify_lead = \"5m\"\n"
	if err := os.WriteFile(p, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Set(p, "notify_lead", Quote("15m")); err != nil {
		t.Fatal(err)
	}
	if err := Set(p, "start_at_login", "true"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	want := "# my settings\nbackend = \"pass\" # keep this\n\nnotify_lead = \"15m\"\nstart_at_login = true\n"
	if string(b) != want {
		t.Fatalf("got:\n%s\nwant:\n%s", b, want)
	}
	s, err := Load(p)
	if err != nil || s.NotifyLead.Duration != 15*time.Minute || !s.StartAtLogin || s.Backend != "pass" {
		t.Fatalf("%+v %v", s, err)
	}
	if err := Set(p, "notify_lead", `"15m`); err == nil {
		t.Fatal("a value that breaks the file was written")
	}
	if b2, _ := os.ReadFile(p); string(b2) != want {
		t.Fatal("a failed Set changed the file")
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"export_format = \"yaml\"\n", `export_format "yaml" is not one of`},
		{"dialogs = \"gtk\"\n", `dialogs "gtk" is not one of`},
		{"dialogs = \"ykman\"\n", `needs ykman_account`},
	} {
		p := filepath.Join(t.TempDir(), "s.toml")
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Load(p); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v", tc.content, err)
		}
	}
	d := Settings{}.WithDefaults()
	if d.NotifyLead.Duration != 10*time.Minute || d.ClipboardTimeout.Duration != time.Minute || d.Dialogs != "auto" {
		t.Errorf("defaults: %+v", d)
	}
}

func TestTemplateLoads(t *testing.T) {
	p := filepath.Join(t.TempDir(), "awstray", "settings.toml")
	if err := WriteTemplate(p); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil || s != (Settings{}) {
		t.Fatalf("the template is not all defaults: %+v %v", s, err)
	}
	if err := WriteTemplate(p); err == nil {
		t.Fatal("WriteTemplate overwrote an existing file")
	}
	// Every commented key, uncommented, is a valid setting.
	b, _ := os.ReadFile(p)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "# ") && strings.Contains(l, " = ") {
			lines = append(lines, strings.TrimPrefix(l, "# "))
		}
	}
	if len(lines) < 10 {
		t.Fatalf("only %d example settings", len(lines))
	}
	if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err != nil {
		t.Fatalf("the examples do not load: %v", err)
	}
}
