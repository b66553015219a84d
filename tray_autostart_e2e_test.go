//go:build linux

package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/packaging"
)

// TestTrayStartAtLoginFromSettings: start_at_login = true written in the
// settings file, never clicked: the tray, started, makes the XDG autostart
// entry for its own program and ticks Start at login; the file turned to
// false, the entry goes and the tick with it.
func TestTrayStartAtLoginFromSettings(t *testing.T) {
	d := newTrayDesktop(t, trayConfig, "start_at_login = true\n")
	entry := filepath.Join(d.home, ".config", "autostart", packaging.AutostartName)
	c, _ := d.startTray(t)
	tick := func(on int32) {
		t.Helper()
		m, err := c.WaitFor(20*time.Second, "Start at login's tick", func(m testenv.MenuItem) bool {
			it, ok := m.Find("Settings", "Start at login")
			return ok && it.Toggle == on
		})
		if err != nil {
			it, _ := m.Find("Settings")
			t.Fatalf("%v; Settings shows %q", err, it.Labels())
		}
	}
	waitEntry := func(want []byte) {
		t.Helper()
		var got []byte
		for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			b, err := os.ReadFile(entry)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
			if got = b; string(got) == string(want) {
				return
			}
		}
		t.Fatalf("the autostart entry after 20s:\n%s\nwant:\n%s", got, want)
	}
	tick(1)
	waitEntry(packaging.AutostartEntry(binary(t)))

	writeHome(t, d.home, trayConfig, "# off\nstart_at_login = false\n")
	waitEntry(nil)
	tick(0)
}
