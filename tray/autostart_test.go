//go:build !windows && !darwin

package tray

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/packaging"
	"github.com/awstray/awstray/settings"
)

// loginExe is the program the entries start: a space, so the Exec line
// must quote it.
const loginExe = "/opt/aws tools/awstray"

// loginHarness is an App whose Start at login writes the real XDG entry
// in a temporary XDG_CONFIG_HOME.
type loginHarness struct {
	*appHarness
	entry    string // $XDG_CONFIG_HOME/autostart/awstray.desktop
	settings string // the settings file
	logs     *testenv.SyncBuffer
}

// newLoginApp starts the App as the tray starts: the settings file holds
// settingsTOML, loaded before the loop runs; existing, when not nil, is
// in the entry's place first.
func newLoginApp(t *testing.T, settingsTOML string, existing []byte) *loginHarness {
	t.Helper()
	xdg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", xdg)
	h := &loginHarness{entry: filepath.Join(xdg, "autostart", packaging.AutostartName), logs: &testenv.SyncBuffer{}}
	if existing != nil {
		writeFile(t, h.entry, existing)
	}
	h.appHarness = newAppWith(t, func(dir string, o *Options) {
		h.settings = filepath.Join(dir, "settings.toml")
		writeFile(t, h.settings, []byte(settingsTOML))
		o.Settings, o.SettingsErr = settings.Load(h.settings)
		o.StartAtLogin = func(on bool) error { return StartAtLogin(loginExe, on) }
		o.Log = slog.New(slog.NewTextHandler(h.logs, nil))
	})
	return h
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// read is the entry's content; nil when there is none.
func (h *loginHarness) read(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(h.entry)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitEntry waits until the entry is awstray's for loginExe (want) or gone.
func (h *loginHarness) waitEntry(t *testing.T, want bool) {
	t.Helper()
	waitFor(t, "the autostart entry there: "+strconv.FormatBool(want), func() bool {
		b := h.read(t)
		if !want {
			return b == nil
		}
		return b != nil && string(b) == string(packaging.AutostartEntry(loginExe))
	})
	if want && !strings.Contains(string(h.read(t)), "\nExec=\"/opt/aws tools/awstray\" tray\n") {
		t.Fatalf("the entry's Exec line is not the running program's:\n%s", h.read(t))
	}
}

// waitTick waits for a menu whose Start at login shows on.
func (h *loginHarness) waitTick(t *testing.T, on bool) {
	t.Helper()
	h.waitMenu(t, "Start at login ticked: "+strconv.FormatBool(on), func(m Menu) bool {
		it, _ := find(m.Items, "settings/login")
		return it.Checked == on
	})
}

// autostartNotes are the notifications about the autostart entry.
func (h *loginHarness) autostartNotes() []string {
	notes, _, _ := h.f.snapshot()
	var out []string
	for _, n := range notes {
		if strings.HasPrefix(n, "autostart|") {
			out = append(out, n)
		}
	}
	return out
}

// TestAppStartAtLoginFromTheFileAtStart: start_at_login = true written in
// the file, not clicked: the tray makes the entry when it starts, for the
// running program — also over an entry of ours for a program that moved.
func TestAppStartAtLoginFromTheFileAtStart(t *testing.T) {
	for _, tc := range []struct {
		name     string
		existing []byte
	}{
		{"no entry", nil},
		{"entry of a moved program", packaging.AutostartEntry("/old/place/awstray")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLoginApp(t, "start_at_login = true\n", tc.existing)
			h.waitEntry(t, true)
			h.waitTick(t, true)
			if n := h.autostartNotes(); len(n) > 0 {
				t.Fatalf("notified: %q", n)
			}
		})
	}
}

// TestAppStartAtLoginFollowsReloads: the entry follows the file as the
// person edits it — off at start removes our entry (one written for a
// program since moved), on makes it, off again removes it.
func TestAppStartAtLoginFollowsReloads(t *testing.T) {
	h := newLoginApp(t, "start_at_login = false\n", packaging.AutostartEntry("/old/place/awstray"))
	h.waitEntry(t, false)
	writeFile(t, h.settings, []byte("start_at_login = true\n"))
	h.waitEntry(t, true)
	h.waitTick(t, true)
	writeFile(t, h.settings, []byte("# off again\nstart_at_login = false\n"))
	h.waitEntry(t, false)
	h.waitTick(t, false)
	if n := h.autostartNotes(); len(n) > 0 {
		t.Fatalf("notified: %q", n)
	}
}

// TestAppStartAtLoginMenu: the click writes the setting, and the entry
// follows it.
func TestAppStartAtLoginMenu(t *testing.T) {
	h := newLoginApp(t, "", nil)
	for _, on := range []bool{true, false} {
		h.app.Intents() <- Intent{Kind: IntentSetting, Setting: "start_at_login", Value: strconv.FormatBool(on)}
		h.waitTick(t, on)
		h.waitEntry(t, on)
		if s, err := settings.Load(h.settings); err != nil || s.StartAtLogin != on {
			t.Fatalf("the settings file after the click (%v): %+v %v", on, s, err)
		}
	}
}

// TestAppStartAtLoginKeepsAFileNotOurs: a file in the entry's place that
// awstray did not write — ours edited by hand, the packages' entry copied
// by hand — is never replaced or removed: at start, on a reload, or on a
// click. It is the person's: the tray only logs it, and says so in a
// notification when the person clicks the item, each time.
func TestAppStartAtLoginKeepsAFileNotOurs(t *testing.T) {
	shipped, err := packaging.Files.ReadFile("awstray-autostart.desktop")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"ours edited", []byte(strings.Replace(string(packaging.AutostartEntry("/usr/bin/awstray")), "X-GNOME-Autostart-Delay=3", "X-GNOME-Autostart-Delay=30", 1))},
		{"the packages' entry copied", shipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newLoginApp(t, "start_at_login = false\n", tc.file)
			const seen, warning = "the autostart entry is not awstray's", "is not the autostart entry awstray writes"
			waitFor(t, "the log line at start", func() bool { return strings.Contains(h.logs.String(), seen) })

			// A reload: the menu after it shows the new setting, rendered
			// after the entry was looked at — and nothing was notified.
			writeFile(t, h.settings, []byte("start_at_login = true\n"))
			h.waitTick(t, true)
			if n := h.autostartNotes(); len(n) != 0 {
				t.Fatalf("notifications without a click: %q", n)
			}
			// The person's click is answered, each time.
			for i, on := range []string{"false", "true"} {
				h.app.Intents() <- Intent{Kind: IntentSetting, Setting: "start_at_login", Value: on}
				waitFor(t, "the warning after a click", func() bool { return len(h.autostartNotes()) == 1+i })
			}
			if n := h.autostartNotes()[0]; !strings.Contains(n, h.entry+" "+warning) {
				t.Fatalf("notification: %s", n)
			}
			if got := h.read(t); string(got) != string(tc.file) {
				t.Fatalf("the person's file changed:\n%s", got)
			}
			if c := strings.Count(h.logs.String(), warning); c != 2 {
				t.Fatalf("%d log lines of the warning, want 2 (the clicks):\n%s", c, h.logs)
			}
		})
	}
}

// TestAppStartAtLoginUnknownSetting: a start_at_login the file does not
// say (a bad value) leaves the entry as it is, rather than removing it for
// the default.
func TestAppStartAtLoginUnknownSetting(t *testing.T) {
	h := newLoginApp(t, "start_at_login = true\n", nil)
	h.waitEntry(t, true)
	writeFile(t, h.settings, []byte("start_at_login = \"yes\"\n"))
	h.waitMenu(t, "the settings error", func(m Menu) bool { it, _ := find(m.Items, "settings/error"); return !it.Hidden })
	if b := h.read(t); string(b) != string(packaging.AutostartEntry(loginExe)) {
		t.Fatalf("the entry changed on a bad value:\n%s", b)
	}
}

// TestAppStartAtLoginCannotWrite: an entry that cannot be read or written
// (here the autostart folder is a file) is a warning and one
// notification, however many reloads follow; the tray goes on.
func TestAppStartAtLoginCannotWrite(t *testing.T) {
	h := newLoginApp(t, "start_at_login = false\n", nil)
	h.waitTick(t, false)
	writeFile(t, filepath.Dir(h.entry), []byte("not a folder\n"))
	writeFile(t, h.settings, []byte("start_at_login = true\n"))
	waitFor(t, "the warning", func() bool { return len(h.autostartNotes()) == 1 })
	if n := h.autostartNotes()[0]; !strings.Contains(n, h.entry) {
		t.Fatalf("notification: %s", n)
	}
	h.app.Intents() <- Intent{Kind: IntentSetting, Setting: "notify_lead", Value: "30m"}
	h.waitMenu(t, "the new lead", func(m Menu) bool { it, _ := find(m.Items, "settings/lead/30m0s"); return it.Checked })
	if n := h.autostartNotes(); len(n) != 1 {
		t.Fatalf("notifications: %q", n)
	}
	if c := strings.Count(h.logs.String(), "the autostart entry does not follow start_at_login"); c != 1 {
		t.Fatalf("%d warnings logged, want 1:\n%s", c, h.logs)
	}
}
