package tray

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/settings"
)

// fakes records what the tray asked of the outside world.
type fakes struct {
	mu        sync.Mutex
	notes     []string // "key|title|body"
	clipboard []string
	terminals []string
	login     []bool
	console   func(ctx context.Context, profile string) error
	added     NewProfile
	addErr    error
}

func (f *fakes) deps() Deps {
	return Deps{
		Dialogs: f,
		Notify: func(key, title, body string) {
			f.mu.Lock()
			f.notes = append(f.notes, key+"|"+title+"|"+body)
			f.mu.Unlock()
		},
		Terminal: func(_ context.Context, p string, _ TerminalChoice) error {
			f.mu.Lock()
			f.terminals = append(f.terminals, p)
			f.mu.Unlock()
			return nil
		},
		Clipboard: func(_ context.Context, text string, clear time.Duration) error {
			f.mu.Lock()
			f.clipboard = append(f.clipboard, text)
			f.mu.Unlock()
			return nil
		},
		Console: func(ctx context.Context, p string) error {
			f.mu.Lock()
			open := f.console
			f.mu.Unlock()
			if open == nil {
				return nil
			}
			return open(ctx, p)
		},
		StartAtLogin: func(on bool) error {
			f.mu.Lock()
			f.login = append(f.login, on)
			f.mu.Unlock()
			return nil
		},
	}
}

func (f *fakes) MFACode(context.Context, string, string, string) (string, error) {
	return "123456", nil
}

func (f *fakes) AddProfile(context.Context) (NewProfile, error) { return f.added, f.addErr }

func (f *fakes) snapshot() (notes, clip, terms []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.notes...), append([]string(nil), f.clipboard...), append([]string(nil), f.terminals...)
}

// processConfig has profiles whose credentials come from credential_process:
// the tray's loop runs for real without an STS.
const processConfig = `[profile tool]
credential_process = printf '{"Version":1,"AccessKeyId":"ASIAPROCESS000000001","SecretAccessKey":"process-secret","SessionToken":"process-token","Expiration":"2099-01-01T00:00:00Z"}'

[profile static]
credential_process = printf '{"Version":1,"AccessKeyId":"AKIASTATIC0000000001","SecretAccessKey":"static-secret"}'
`

type appHarness struct {
	app    *App
	f      *fakes
	m      *credentials.Manager
	dir    string
	cancel context.CancelFunc
}

// newApp starts an App on the processConfig profiles; each before runs
// on it before its loop starts.
func newApp(t *testing.T, before ...func(*App)) *appHarness {
	t.Helper()
	return newAppWith(t, nil, before...)
}

// newAppWith is newApp whose Options setup changes first; dir is the
// folder of the config and settings files.
func newAppWith(t *testing.T, setup func(dir string, o *Options), before ...func(*App)) *appHarness {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(processConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakes{}
	h := &appHarness{f: f, dir: dir}
	store := keystore.NewMemory()
	h.m = credentials.NewManager(credentials.ManagerConfig{Config: cfg, Store: store, OnEvent: func(e credentials.Event) { h.app.OnEvent(e) }})
	o := Options{
		Manager: h.m, Store: store, ConfigPath: cfgPath,
		SettingsPath: filepath.Join(dir, "settings.toml"), StatePath: filepath.Join(dir, "state.json"),
		Getenv:    func(k string) string { return map[string]string{"SHELL": "/usr/bin/fish"}[k] },
		PollEvery: 20 * time.Millisecond,
		Deps:      f.deps(),
	}
	if setup != nil {
		setup(dir, &o)
	}
	h.app = NewApp(o)
	for _, f := range before {
		f(h.app)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.app.Render()
	stopped := make(chan struct{})
	go func() { h.app.Run(ctx); close(stopped) }()
	// Stop the loop (it writes the state file) before the temp dir goes.
	t.Cleanup(func() { cancel(); <-stopped })
	return h
}

// waitMenu waits until a rendered menu satisfies ok.
func (h *appHarness) waitMenu(t *testing.T, what string, ok func(Menu) bool) Menu {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-h.app.Menus():
			if ok(m) {
				return m
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func title(m Menu, id string) string {
	it, _ := find(m.Items, id)
	return it.Title
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if ok() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestAppUnlockCopyTerminalLock(t *testing.T) {
	h := newApp(t)
	h.app.Intents() <- Intent{Kind: IntentUnlock, Profile: "tool"}
	h.waitMenu(t, "tool unlocked", func(m Menu) bool { return title(m, "p/tool") == "tool — active" })

	h.app.Intents() <- Intent{Kind: IntentCopyExports, Profile: "tool"}
	waitFor(t, "the clipboard", func() bool { _, c, _ := h.f.snapshot(); return len(c) == 1 })
	_, clip, _ := h.f.snapshot()
	want := "set -gx AWS_ACCESS_KEY_ID \"ASIAPROCESS000000001\"\nset -gx AWS_SECRET_ACCESS_KEY \"process-secret\"\nset -gx AWS_SESSION_TOKEN \"process-token\"\nset -gx AWS_CREDENTIAL_EXPIRATION \"2099-01-01T00:00:00+00:00\"\n"
	if clip[0] != want {
		t.Fatalf("clipboard (fish, from $SHELL):\n%s", clip[0])
	}
	waitFor(t, "the copy notification", func() bool { n, _, _ := h.f.snapshot(); return len(n) == 1 })
	notes, _, _ := h.f.snapshot()
	if !strings.HasPrefix(notes[0], "tool|Copied the export lines of tool|Format fish. The credentials expire at ") || !strings.HasSuffix(notes[0], "the clipboard clears in 1m.") {
		t.Fatalf("notification: %s", notes[0])
	}
	for _, n := range notes {
		if strings.Contains(n, "process-secret") || strings.Contains(n, "process-token") {
			t.Fatalf("a secret in a notification: %s", n)
		}
	}

	h.app.Intents() <- Intent{Kind: IntentOpenTerminal, Profile: "tool"}
	waitFor(t, "the terminal", func() bool { _, _, tt := h.f.snapshot(); return len(tt) == 1 && tt[0] == "tool" })

	h.app.Intents() <- Intent{Kind: IntentLock, Profile: "tool"}
	h.waitMenu(t, "tool locked", func(m Menu) bool { return title(m, "p/tool") == "tool — locked" })

	// The state file remembers use, not secrets.
	b, _ := os.ReadFile(filepath.Join(h.dir, "state.json"))
	if !strings.Contains(string(b), `"tool"`) || strings.Contains(string(b), "secret") {
		t.Fatalf("state file: %s", b)
	}
}

func TestAppCopyLockedProfileUnlocksFirst(t *testing.T) {
	h := newApp(t)
	h.app.Intents() <- Intent{Kind: IntentCopyExports, Profile: "static"}
	waitFor(t, "the clipboard", func() bool { _, c, _ := h.f.snapshot(); return len(c) == 1 })
	_, clip, _ := h.f.snapshot()
	if !strings.Contains(clip[0], "AKIASTATIC0000000001") || strings.Contains(clip[0], "EXPIRATION") {
		t.Fatalf("clipboard: %s", clip[0])
	}
	waitFor(t, "the notification", func() bool { n, _, _ := h.f.snapshot(); return len(n) == 1 })
	notes, _, _ := h.f.snapshot()
	if notes[0] != "static|Copied the export lines of static|Format fish. The clipboard clears in 1m." {
		t.Fatalf("notification: %s", notes[0])
	}
}

func TestAppConfigEditsAreNoticed(t *testing.T) {
	h := newApp(t)
	cfgPath := filepath.Join(h.dir, "config")
	if err := os.WriteFile(cfgPath, []byte(processConfig+"\n[profile extra]\ncredential_process = true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.waitMenu(t, "the new profile", func(m Menu) bool { return title(m, "p/extra") == "extra — locked" })
	// A broken edit: the error shows, the last good profiles stay.
	if err := os.WriteFile(cfgPath, []byte("[profile broken\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := h.waitMenu(t, "the config error", func(m Menu) bool { return strings.HasPrefix(title(m, "status"), "Config error: ") })
	if title(m, "p/extra") != "extra — locked" {
		t.Fatal("the last good config was dropped")
	}
	waitFor(t, "the notification", func() bool {
		n, _, _ := h.f.snapshot()
		return len(n) > 0 && strings.HasPrefix(n[len(n)-1], "config|The AWS config has an error|")
	})
}

func TestAppSettingsMenuWritesTheFile(t *testing.T) {
	h := newApp(t)
	h.app.Intents() <- Intent{Kind: IntentSetting, Setting: "export_format", Value: "powershell"}
	h.waitMenu(t, "the new format", func(m Menu) bool { it, _ := find(m.Items, "settings/format/powershell"); return it.Checked })
	h.app.Intents() <- Intent{Kind: IntentSetting, Setting: "start_at_login", Value: "true"}
	h.waitMenu(t, "start at login", func(m Menu) bool { it, _ := find(m.Items, "settings/login"); return it.Checked })
	s, err := settings.Load(filepath.Join(h.dir, "settings.toml"))
	if err != nil || s.ExportFormat != "powershell" || !s.StartAtLogin {
		t.Fatalf("settings file: %+v %v", s, err)
	}
	// The entry follows the setting at start and at each reload: the
	// last word is the click's.
	h.f.mu.Lock()
	login := h.f.login
	h.f.mu.Unlock()
	if len(login) == 0 || !login[len(login)-1] {
		t.Fatalf("autostart calls: %v", login)
	}
	// A bad value typed into the file: a notification, and the defaults.
	if err := os.WriteFile(filepath.Join(h.dir, "settings.toml"), []byte("export_format = \"yaml\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	m := h.waitMenu(t, "the settings error", func(m Menu) bool { it, _ := find(m.Items, "settings/error"); return !it.Hidden })
	if it, _ := find(m.Items, "settings/format/fish"); !it.Checked {
		t.Fatal("the format did not fall back to the default ($SHELL)")
	}
}

func TestAppAddProfile(t *testing.T) {
	h := newApp(t)
	h.f.added = NewProfile{Name: "newbie", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: credentials.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), Region: "eu-west-1", MFASerial: "arn:aws:iam::123456789012:mfa/newbie"}
	h.app.Intents() <- Intent{Kind: IntentAddProfile}
	h.waitMenu(t, "the new profile", func(m Menu) bool { _, ok := find(m.Items, "p/newbie"); return ok })
	b, _ := os.ReadFile(filepath.Join(h.dir, "config"))
	if !strings.HasSuffix(string(b), "\n[profile newbie]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/newbie\n") {
		t.Fatalf("config:\n%s", b)
	}
	if strings.Contains(string(b), "wJalr") {
		t.Fatal("the secret went into the config")
	}
	id, err := credentials.StoredAccessKeyID(h.app.o.Store, "newbie")
	if err != nil || id != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("stored key: %s %v", id, err)
	}
}

// TestAppAddProfileRefusesARoleProfile: "Add profile…" goes through the
// same check as `awstray add` — a profile that exists as another kind
// than an IAM user takes no key, and nothing is stored or written.
func TestAppAddProfileRefusesARoleProfile(t *testing.T) {
	h := newApp(t)
	cfgPath := filepath.Join(h.dir, "config")
	role := "\n[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = tool\n"
	f, err := os.OpenFile(cfgPath, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(role); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(cfgPath)
	h.f.mu.Lock()
	h.f.added = NewProfile{Name: "admin", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: credentials.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")}
	h.f.mu.Unlock()
	h.app.Intents() <- Intent{Kind: IntentAddProfile}
	waitFor(t, "the refusal", func() bool {
		notes, _, _ := h.f.snapshot()
		return len(notes) > 0
	})
	notes, _, _ := h.f.snapshot()
	if want := `add|Adding admin failed|profile "admin" is a role profile; only IAM user profiles have a stored key`; notes[0] != want {
		t.Fatalf("notification %q, want %q", notes[0], want)
	}
	if _, err := credentials.StoredAccessKeyID(h.app.o.Store, "admin"); !errors.Is(err, credentials.ErrNoKey) {
		t.Fatalf("a key was stored for the role profile: %v", err)
	}
	if after, _ := os.ReadFile(cfgPath); string(after) != string(before) {
		t.Fatalf("the config changed:\n%s", after)
	}
}

func TestAppEventNotifications(t *testing.T) {
	h := newApp(t)
	at := time.Now().Add(10 * time.Minute)
	h.app.OnEvent(credentials.Event{Kind: credentials.EventExpiring, Profile: "work", At: at})
	h.app.OnEvent(credentials.Event{Kind: credentials.EventExpired, Profile: "work", At: at})
	h.app.OnEvent(credentials.Event{Kind: credentials.EventRefreshFailing, Profile: "work", Err: "Throttling: Rate exceeded"})
	waitFor(t, "three notifications", func() bool { n, _, _ := h.f.snapshot(); return len(n) == 3 })
	notes, _, _ := h.f.snapshot()
	for i, want := range []string{
		"work|AWS session of work ends in ",
		"work|AWS session of work ended|Renewing it needs a new MFA code: choose Unlock… in the awstray menu.",
		"work|awstray cannot renew work|Throttling: Rate exceeded. The last credentials keep working until they expire.",
	} {
		if !strings.HasPrefix(notes[i], want) {
			t.Errorf("notification %d: %s", i, notes[i])
		}
	}
}

// TestAppBadSettingKeepsTheRest: a bad value typed into the settings file
// costs that setting only, and is notified once, with its line, however
// often the file is saved with it.
func TestAppBadSettingKeepsTheRest(t *testing.T) {
	h := newApp(t)
	path := filepath.Join(h.dir, "settings.toml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	settingsNotes := func() []string {
		notes, _, _ := h.f.snapshot()
		var out []string
		for _, n := range notes {
			if strings.HasPrefix(n, "settings|") {
				out = append(out, n)
			}
		}
		return out
	}
	checked := func(m Menu, id string) bool { it, _ := find(m.Items, id); return it.Checked }
	const bad = "export_format = \"powershell\"\nclipboard_timeout = \"30\"\n"
	write(bad)
	m := h.waitMenu(t, "the settings error", func(m Menu) bool { it, _ := find(m.Items, "settings/error"); return !it.Hidden })
	if !checked(m, "settings/format/powershell") {
		t.Fatal("a bad clipboard_timeout reset export_format")
	}
	if it, _ := find(m.Items, "settings/error"); !strings.Contains(it.Title, `settings.toml:2: clipboard_timeout: "30" is not a duration`) {
		t.Fatalf("menu: %q", it.Title)
	}
	waitFor(t, "the notification", func() bool { return len(settingsNotes()) == 1 })
	if n := settingsNotes()[0]; !strings.Contains(n, `settings.toml:2: clipboard_timeout: "30" is not a duration such as 8h or 45m`) {
		t.Fatalf("notification: %s", n)
	}

	// Saved again with the same mistake (and another change, which shows
	// that the file was read again): no second notification.
	write(strings.Replace(bad, "powershell", "env", 1))
	h.waitMenu(t, "the env format", func(m Menu) bool { return checked(m, "settings/format/env") })
	if n := settingsNotes(); len(n) != 1 {
		t.Fatalf("notified again: %q", n)
	}
	// Fixed, then broken again: said again.
	write("export_format = \"env\"\n")
	h.waitMenu(t, "no error", func(m Menu) bool { it, _ := find(m.Items, "settings/error"); return it.Hidden })
	write(bad)
	waitFor(t, "the second notification", func() bool { return len(settingsNotes()) == 2 })
}

// TestAppStartsWithASettingsError: the error Run was started with is
// notified at once, not only shown in the menu.
func TestAppStartsWithASettingsError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "settings.toml")
	if err := os.WriteFile(path, []byte("backend = \"file\"\nclipboard_timeout = \"30\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := settings.Load(path)
	f := &fakes{}
	NewApp(Options{SettingsPath: path, Settings: s, SettingsErr: err, Deps: f.deps()})
	notes, _, _ := f.snapshot()
	if len(notes) != 1 || !strings.Contains(notes[0], "settings.toml:2: clipboard_timeout") || s.Backend != "file" {
		t.Fatalf("notifications %q, settings %+v", notes, s)
	}
}
