//go:build !windows && !darwin

package tray

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/awstray/awstray/packaging"
)

// autostartPath is $XDG_CONFIG_HOME/autostart/awstray.desktop.
func autostartPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", packaging.AutostartName), nil
}

// StartAtLogin makes the XDG autostart entry follow on: when on, it starts
// the tray (exe, the running program) with the desktop session; when off,
// it is removed. A file there that is not the entry awstray writes is the
// person's and is left as it is (a *NotOursError).
func StartAtLogin(exe string, on bool) error {
	p, err := autostartPath()
	if err != nil {
		return fmt.Errorf("finding the autostart folder: %w", err)
	}
	return syncEntry(p, xdgEntry, exe, on)
}
