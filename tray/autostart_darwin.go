package tray

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/awstray/awstray/packaging"
)

// StartAtLogin writes or removes the LaunchAgent
// (~/Library/LaunchAgents/dev.awstray.awstray.plist) that starts the tray
// (running exe) at login.
func StartAtLogin(exe string, on bool) error {
	home, err := os.UserHomeDir()
	if err != nil {
		return fmt.Errorf("finding the home folder: %w", err)
	}
	p := filepath.Join(home, "Library", "LaunchAgents", packaging.LaunchAgentName)
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", p, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating the LaunchAgents folder: %w", err)
	}
	if err := os.WriteFile(p, packaging.LaunchAgent(exe), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
