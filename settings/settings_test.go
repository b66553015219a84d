package settings

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/keystore"
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
	if err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Fatalf("missing file: %+v %v", s, err)
	}
	s, err = Load(write("# mine\nbackend = \"pass\"\nsession_duration = \"12h\"\nrole_duration = \"45m\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend != "pass" || s.SessionDuration.Duration != 12*time.Hour || s.RoleDuration.Duration != 45*time.Minute {
		t.Fatalf("got %+v", s)
	}
	s, err = Load(write("lock_on_screen_lock = true\nlock_on_suspend = true\n"))
	if err != nil || !s.LockOnScreenLock || !s.LockOnSuspend {
		t.Fatalf("lock settings: %+v %v", s, err)
	}
	for _, tc := range []struct {
		content string
		want    time.Duration
	}{
		{"key_max_age = \"90d\"\n", 90 * 24 * time.Hour},
		{"key_max_age = \"2160h\"\n", 2160 * time.Hour},
		{"key_max_age = \"1d\"\n", 24 * time.Hour},
		{"", 0},
	} {
		s, err := Load(write(tc.content))
		if err != nil || s.KeyMaxAge.Duration != tc.want {
			t.Errorf("%q: got %v %v, want %v", tc.content, s.KeyMaxAge, err, tc.want)
		}
	}
	if d := (Settings{}).WithDefaults().KeyMaxAge.Duration; d != 90*24*time.Hour {
		t.Errorf("key_max_age defaults to %v", d)
	}
	for _, tc := range []struct{ content, want string }{
		{"key_max_age = \"d\"\n", `settings.toml:1: key_max_age: "d" is not a duration such as 8h or 45m`},
		{"key_max_age = \"-3d\"\n", `settings.toml:1: key_max_age: "-3d" is not a duration such as 8h or 45m`},
		{"key_max_age = \"0d\"\n", `settings.toml:1: key_max_age: "0d" is not a positive duration`},
		{"key_max_age = \"9999999d\"\n", `settings.toml:1: key_max_age: "9999999d" is not a duration such as 8h or 45m`},
		{"key_max_age = \"1.5d\"\n", `settings.toml:1: key_max_age: "1.5d" is not a duration such as 8h or 45m`},
		{"backend = = x\n", "settings.toml:1: "},
		{"lock_on_suspend = 1\n", `settings.toml:1: lock_on_suspend is a number; it takes true or false`},
		{"\n\nsession_duration = \"soon\"\n", `settings.toml:3: `},
		{"session_duration = \"-1h\"\n", `is not a positive duration`},
		{"backend = 3\n", `settings.toml:1: backend is a number; it takes a string in quotes`},
		{"colour = \"red\"\n", `settings.toml:1: unknown setting "colour"`},
		{"backend = \"gnome\"\n", `settings.toml:1: backend "gnome" is not one of secret-service, kwallet, pass, keyctl, file, wincred, keychain`},
		{"start_at_login = \"yes\"\n", `settings.toml:1: start_at_login is a string; it takes true or false`},
		{"notify_lead = 5\n", `settings.toml:1: notify_lead is a number; it takes a duration in quotes, such as "45m"`},
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
	if err != nil || !reflect.DeepEqual(s, Settings{}) {
		t.Fatalf("the template is not all defaults: %+v %v", s, err)
	}
	if err := WriteTemplate(p); err == nil {
		t.Fatal("WriteTemplate overwrote an existing file")
	}
	// Every commented key, uncommented, is a valid setting.
	b, _ := os.ReadFile(p)
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "# ") && (strings.Contains(l, " = ") || strings.HasPrefix(l, "# [")) {
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

// TestLoadKeepsWhatParsed: one bad value costs that setting only — above
// all, never the backend, which decides which keyring holds the keys.
func TestLoadKeepsWhatParsed(t *testing.T) {
	for _, tc := range []struct {
		name, content string
		want          Settings
		errs          []string // in the error, in this order
		bad           []string // settings Bad reports
		good          []string // settings Bad does not report
	}{
		{
			name:    "bad duration",
			content: "# mine\nclipboard_timeout = \"30\"\nbackend = \"file\"\nterminal = \"kitty\"\n",
			want:    Settings{Backend: "file", Terminal: "kitty"},
			errs:    []string{`settings.toml:2: clipboard_timeout: "30" is not a duration such as 8h or 45m`},
			bad:     []string{"clipboard_timeout"},
			good:    []string{"backend", "terminal"},
		},
		{
			name:    "bad type",
			content: "backend = \"pass\"\nclipboard_timeout = 30\nnotify_lead = \"5m\"\n",
			want:    Settings{Backend: "pass", NotifyLead: Duration{5 * time.Minute}},
			errs:    []string{`settings.toml:2: clipboard_timeout is a number; it takes a duration in quotes, such as "45m"`},
			bad:     []string{"clipboard_timeout"},
			good:    []string{"backend", "notify_lead"},
		},
		{
			name:    "a line that does not parse",
			content: "backend = \"file\"\nterminal = = kitty\nnotify_lead = \"5m\"\n[oops\nexport_format = \"fish\"\n",
			want:    Settings{Backend: "file", NotifyLead: Duration{5 * time.Minute}, ExportFormat: "fish"},
			errs:    []string{"settings.toml:2: terminal: ", "settings.toml:4: "},
			bad:     []string{"terminal"},
			good:    []string{"backend", "notify_lead", "export_format"},
		},
		{
			name:    "unknown key and bad choice",
			content: "colour = \"red\"\nexport_format = \"yaml\"\nbackend = \"keyctl\"\n",
			want:    Settings{Backend: "keyctl"},
			errs:    []string{`settings.toml:1: unknown setting "colour"`, `settings.toml:2: export_format "yaml" is not one of`},
			bad:     []string{"export_format"},
			good:    []string{"backend"},
		},
		{
			name:    "the backend line does not parse",
			content: "notify_lead = \"5m\"\nbackend = = file\n",
			want:    Settings{NotifyLead: Duration{5 * time.Minute}},
			errs:    []string{"settings.toml:2: backend: "},
			bad:     []string{"backend"},
		},
		{
			name:    "the backend has the wrong type",
			content: "backend = [\"file\"]\n",
			errs:    []string{"settings.toml:1: backend is a list; it takes a string in quotes"},
			bad:     []string{"backend"},
		},
		{
			name:    "the backend is given twice",
			content: "backend = \"file\"\nbackend = \"pass\"\n",
			want:    Settings{Backend: "file"},
			errs:    []string{"settings.toml:2: backend: "},
			bad:     []string{"backend"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "settings.toml")
			if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p)
			if s.Backend != tc.want.Backend || s.Terminal != tc.want.Terminal || s.NotifyLead != tc.want.NotifyLead ||
				s.ExportFormat != tc.want.ExportFormat || s.ClipboardTimeout != tc.want.ClipboardTimeout {
				t.Errorf("got %+v, want %+v", s, tc.want)
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got error %v, want a *FileError", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") {
				t.Errorf("the error is more than one line: %q", msg)
			}
			at := 0
			for _, want := range tc.errs {
				i := strings.Index(msg[at:], want)
				if i < 0 {
					t.Fatalf("error %q does not have %q (after byte %d)", msg, want, at)
				}
				at += i + len(want)
			}
			for _, k := range tc.bad {
				if !fe.Bad(k) {
					t.Errorf("Bad(%q) = false", k)
				}
			}
			for _, k := range tc.good {
				if fe.Bad(k) {
					t.Errorf("Bad(%q) = true", k)
				}
			}
		})
	}
}

// TestDurationRanges: a session_duration or role_duration over what AWS
// allows (GetSessionToken 36h, AssumeRole 12h) is reported with its line
// and costs that setting only, which then takes its default. Shorter than
// AWS's 15m is kept: emulators of STS give such sessions (AWS refuses them
// itself, in one clear line).
func TestDurationRanges(t *testing.T) {
	for _, tc := range []struct {
		content string
		want    string // in the error; "" for none
	}{
		{"session_duration = \"40h\"\nrole_duration = \"2h\"\n", `settings.toml:1: session_duration "40h" is longer than AWS allows (15m to 36h)`},
		{"role_duration = \"13h\"\nsession_duration = \"36h\"\n", `settings.toml:1: role_duration "13h" is longer than AWS allows (15m to 12h)`},
		{"role_duration = \"14m59s\"\nsession_duration = \"36h\"\n", ""},
		{"role_duration = \"20s\"\nsession_duration = \"20s\"\n", ""},
		{"role_duration = \"12h\"\nsession_duration = \"36h\"\n", ""},
		{"role_duration = \"15m\"\nsession_duration = \"15m\"\n", ""},
	} {
		t.Run(strings.SplitN(tc.content, "\n", 2)[0], func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "settings.toml")
			if err := os.WriteFile(p, []byte(tc.content+"backend = \"file\"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p)
			if s.Backend != "file" {
				t.Errorf("backend = %q: a bad duration cost another setting", s.Backend)
			}
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			var fe *FileError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one with %q", err, tc.want)
			}
			key := strings.Fields(tc.content)[0]
			if !fe.Bad(key) || fe.Bad("backend") {
				t.Errorf("Bad(%s) = %v, Bad(backend) = %v", key, fe.Bad(key), fe.Bad("backend"))
			}
			// The bad one takes its default; the other line's value stays.
			got := map[string]time.Duration{"session_duration": s.SessionDuration.Duration, "role_duration": s.RoleDuration.Duration}
			if got[key] != 0 {
				t.Errorf("%s = %s, want unset", key, got[key])
			}
			other := strings.Fields(strings.SplitN(tc.content, "\n", 2)[1])[0]
			if got[other] == 0 {
				t.Errorf("%s was dropped too", other)
			}
		})
	}
}

func TestBackendsAreTheKeystores(t *testing.T) {
	if !slices.Equal(Backends, keystore.Backends()) {
		t.Fatalf("settings accepts %q, the keystore %q", Backends, keystore.Backends())
	}
}

// TestSetBesideABadValue: a value the person got wrong elsewhere does not
// stop the tray (or the backend's first use) from writing a setting, and
// stays as it was.
func TestSetBesideABadValue(t *testing.T) {
	p := filepath.Join(t.TempDir(), "settings.toml")
	orig := "clipboard_timeout = \"30\"\n"
	if err := os.WriteFile(p, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Set(p, "backend", Quote("secret-service")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	if string(b) != orig+"backend = \"secret-service\"\n" {
		t.Fatalf("got %q", b)
	}
	for _, bad := range [][2]string{{"notify_lead", Quote("soon")}, {"backend", Quote("gnome")}, {"start_at_login", "yes"}} {
		if err := Set(p, bad[0], bad[1]); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("Set(%s = %s): %v", bad[0], bad[1], err)
		}
	}
	if b2, _ := os.ReadFile(p); string(b2) != string(b) {
		t.Fatalf("a refused Set changed the file: %q", b2)
	}
}

// TestWritersKeepASymlink: a settings file linked from a dotfiles folder
// stays a link when the tray writes a setting or the template.
func TestWritersKeepASymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no easy symbolic links")
	}
	dir := t.TempDir()
	dotfiles := filepath.Join(dir, "dotfiles")
	if err := os.Mkdir(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "awstray.toml")
	link := filepath.Join(dir, "awstray", "settings.toml")
	if err := os.MkdirAll(filepath.Dir(link), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if err := WriteTemplate(link); err != nil {
		t.Fatal(err)
	}
	if err := Set(link, "export_format", Quote("fish")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced by a file: %v", err)
	}
	s, err := Load(target)
	if err != nil || s.ExportFormat != "fish" {
		t.Fatalf("the target: %+v %v", s, err)
	}
	if err := WriteTemplate(link); !errors.Is(err, fs.ErrExist) {
		t.Fatalf("WriteTemplate over an existing file: %v", err)
	}
}

// TestBrowsers: the browser setting and the [browsers] table, in file
// order, each bad line costing that line only.
func TestBrowsers(t *testing.T) {
	p := filepath.Join(t.TempDir(), "s.toml")
	content := `browser = "firefox --new-window %s"
backend = "file"

[browsers]
"prod-*" = "firefox-container"
"prod-db" = "chromium-profile"
'dev' = 'chromium-profile "C:\Program Files\Brave\brave.exe"'
"[x" = "firefox"
"ops" = 3
"qa" = "firefox-container firefox %s"
"lab" = 'firefox "unclosed'
"*" = ""
`
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Load: %v", err)
	}
	want := []string{
		`s.toml:8: browsers: "[x": is not a pattern such as prod-* (syntax error in pattern)`,
		`s.toml:9: browsers: "ops": is a number; it takes a string in quotes`,
		`s.toml:10: browsers: "qa": firefox-container takes the browser's command without %s (the link is its last argument)`,
		`s.toml:11: browsers: "lab": the browser command "firefox \"unclosed" has an unclosed " quote`,
	}
	var got []string
	for _, pr := range fe.Problems {
		got = append(got, filepath.Base(p)+":"+strconv.Itoa(pr.Line)+": "+pr.Msg)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("problems:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s.Backend != "file" || fe.Bad("backend") || !fe.Bad("browsers") || fe.Bad("browser") {
		t.Fatalf("the other settings: %+v, bad backend %v", s, fe.Bad("backend"))
	}
	for profile, want := range map[string]string{
		"prod-web": "firefox-container",
		"prod-db":  "firefox-container", // the first match wins
		"dev":      `chromium-profile "C:\Program Files\Brave\brave.exe"`,
		"ops":      "", // its line was bad: the catch-all
		"x/y":      "firefox --new-window %s",
	} {
		if got := s.BrowserFor(profile); got != want {
			t.Errorf("BrowserFor(%q) = %q, want %q", profile, got, want)
		}
	}
	if (Settings{Browser: "x"}).BrowserFor("any") != "x" {
		t.Error("no table: the browser setting")
	}

	for _, tc := range []struct{ content, want string }{
		{"browser = \"firefox 'x\"\n", `s.toml:1: browser: the browser command "firefox 'x" has an unclosed ' quote`},
		{"browser = \"chromium-profile %s\"\n", `s.toml:1: browser: chromium-profile takes the browser's command without %s`},
		{"browsers = \"firefox\"\n", `s.toml:1: browsers is a string; it takes a table: [browsers] and "glob" = "browser" lines`},
	} {
		if err := os.WriteFile(p, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), tc.want) || s.Browser != "" {
			t.Errorf("%q: %v (browser %q), want %q", tc.content, err, s.Browser, tc.want)
		}
	}
}

func TestGuardedProfiles(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "settings.toml")
	if err := os.WriteFile(p, []byte("guarded_profiles = [\"prod*\", \"*-admin\"]\nguard_remember = \"5m\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{"prod": true, "prod-eu": true, "dev-admin": true, "dev": false, "admin": false} {
		if got := s.Guarded(name); got != want {
			t.Errorf("Guarded(%q) = %v, want %v", name, got, want)
		}
	}
	if s.WithDefaults().GuardRemember.Duration != 5*time.Minute {
		t.Errorf("guard_remember = %s", s.GuardRemember)
	}
	if (Settings{}).WithDefaults().GuardRemember.Duration != DefaultGuardRemember {
		t.Error("no default guard_remember")
	}
	// The menu's toggle writes the list back with Set.
	if err := Set(p, "guarded_profiles", QuoteList([]string{"prod*", `we"ird`})); err != nil {
		t.Fatal(err)
	}
	s, err = Load(p)
	if err != nil || len(s.GuardedProfiles) != 2 || s.GuardedProfiles[1] != `we"ird` || !s.GuardExact(`we"ird`) {
		t.Fatalf("after Set: %v %q", err, s.GuardedProfiles)
	}
	// A string where a list belongs costs that setting only.
	if err := os.WriteFile(p, []byte("guarded_profiles = \"prod\"\nlock_on_suspend = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err = Load(p)
	var fe *FileError
	if !errors.As(err, &fe) || !fe.Bad("guarded_profiles") || !s.LockOnSuspend || len(s.GuardedProfiles) != 0 {
		t.Fatalf("a string for guarded_profiles: %v %+v", err, s)
	}
}
