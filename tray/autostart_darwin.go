package tray

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/awstray/awstray/packaging"
)

// StartAtLogin makes the LaunchAgent
// (~/Library/LaunchAgents/dev.awstray.awstray.plist) follow on: when on,
// it starts the tray (exe, the running program) at login; when off, it is
// removed. A file there that is not the LaunchAgent awstray writes is the
// person's and is left as it is (a *NotOursError).
func StartAtLogin(exe string, on bool) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("finding the home folder: %w", err)
	}
	p := filepath.Join(home, "Library", "LaunchAgents", packaging.LaunchAgentName)
	return syncEntry(p, launchAgent, exe, on)
}
