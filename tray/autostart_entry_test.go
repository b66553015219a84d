//go:build !windows

package tray

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awstray/awstray/packaging"
)

// TestEntryOwnership: an entry is awstray's when it is byte for byte what
// awstray writes for some program's absolute path, whatever that path
// holds; any other edit, or a bare program name (a copy of the entry the
// packages ship), makes it the person's.
func TestEntryOwnership(t *testing.T) {
	exes := []string{"/usr/bin/awstray", "/opt/my apps/awstray", `/tmp/we"ird$dir\x/a%b` + "`", "/tmp/tab\there", "/tmp/new\nline", "/tmp/<&>'"}
	for name, k := range map[string]entryKind{"xdg": xdgEntry, "launchagent": launchAgent} {
		for _, exe := range exes {
			b := k.make(exe)
			got, ok := k.program(b)
			if !ok || string(k.make(got)) != string(b) {
				t.Errorf("%s: the entry for %q is not ours (read back %q, %v)", name, exe, got, ok)
			}
			if got != exe {
				t.Errorf("%s: the entry for %q reads back %q", name, exe, got)
			}
		}
	}
	xdg := string(xdgEntry.make("/usr/bin/awstray"))
	shipped, err := packaging.Files.ReadFile("awstray-autostart.desktop")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, content string }{
		{"empty", ""},
		{"another program's", "[Desktop Entry]\nType=Application\nName=other\nExec=other\n"},
		{"a flag added", strings.Replace(xdg, " tray\n", " tray --debug\n", 1)},
		{"a wrapper", strings.Replace(xdg, "Exec=/usr/bin/awstray", "Exec=env A=1 /usr/bin/awstray", 1)},
		{"turned off", strings.Replace(xdg, "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false", 1)},
		{"a line added", xdg + "Hidden=true\n"},
		{"CRLF", strings.ReplaceAll(xdg, "\n", "\r\n")},
		{"no Exec", strings.Replace(xdg, "Exec=/usr/bin/awstray tray\n", "", 1)},
		{"the packages' entry, copied", string(shipped)},
		{"a bare program name", string(xdgEntry.make("awstray"))},
		{"no program", string(xdgEntry.make(""))},
	} {
		if exe, ok := xdgEntry.program([]byte(c.content)); ok {
			t.Errorf("%s: taken for ours (program %q)", c.name, exe)
		}
	}
	plist := string(launchAgent.make("/Applications/awstray.app/Contents/MacOS/awstray"))
	if _, ok := launchAgent.program([]byte(strings.Replace(plist, "<true/>", "<false/>", 1))); ok {
		t.Error("a LaunchAgent edited by hand is taken for ours")
	}
}

// TestSyncEntryKeepsALink: an entry that is a symbolic link — to the
// packages' file, to a dotfiles folder — is the person's: syncing to off
// does not remove it, syncing to on does not replace it with a file.
func TestSyncEntryKeepsALink(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "dotfiles.desktop")
	if err := os.WriteFile(target, xdgEntry.make("/usr/bin/awstray"), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "awstray.desktop")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, on := range []bool{false, true} {
		err := syncEntry(link, xdgEntry, "/opt/awstray/awstray", on)
		var no *NotOursError
		if !errors.As(err, &no) {
			t.Errorf("sync to %v: %v, want a NotOursError", on, err)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("sync to %v: the link is gone or replaced (%v)", on, err)
		}
	}
	if b, _ := os.ReadFile(target); string(b) != string(xdgEntry.make("/usr/bin/awstray")) {
		t.Errorf("the link's target changed:\n%s", b)
	}
}
