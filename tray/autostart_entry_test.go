//go:build !windows

package tray

import (
	"strings"
	"testing"
)

// TestEntryOwnership: an entry is awstray's when it is byte for byte what
// awstray writes for some program, whatever that program's path holds;
// any other edit makes it the person's.
func TestEntryOwnership(t *testing.T) {
	exes := []string{"", "/usr/bin/awstray", "/opt/my apps/awstray", `/tmp/we"ird$dir\x/a%b` + "`", "/tmp/tab\there", "/tmp/new\nline", "/tmp/<&>'"}
	for name, k := range map[string]entryKind{"xdg": xdgEntry, "launchagent": launchAgent} {
		for _, exe := range exes {
			b := k.make(exe)
			got, ok := k.program(b)
			if !ok || string(k.make(got)) != string(b) {
				t.Errorf("%s: the entry for %q is not ours (read back %q, %v)", name, exe, got, ok)
			}
			if exe != "" && got != exe {
				t.Errorf("%s: the entry for %q reads back %q", name, exe, got)
			}
		}
	}
	xdg := string(xdgEntry.make("/usr/bin/awstray"))
	for _, c := range []struct{ name, content string }{
		{"empty", ""},
		{"another program's", "[Desktop Entry]\nType=Application\nName=other\nExec=other\n"},
		{"a flag added", strings.Replace(xdg, " tray\n", " tray --debug\n", 1)},
		{"a wrapper", strings.Replace(xdg, "Exec=/usr/bin/awstray", "Exec=env A=1 /usr/bin/awstray", 1)},
		{"turned off", strings.Replace(xdg, "X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false", 1)},
		{"a line added", xdg + "Hidden=true\n"},
		{"CRLF", strings.ReplaceAll(xdg, "\n", "\r\n")},
		{"no Exec", strings.Replace(xdg, "Exec=/usr/bin/awstray tray\n", "", 1)},
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
