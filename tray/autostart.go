//go:build !windows && !darwin

package tray

import (
	"errors"
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

// StartAtLogin writes or removes the XDG autostart entry that starts the
// tray (running exe) with the desktop session.
func StartAtLogin(exe string, on bool) error {
	p, err := autostartPath()
	if err != nil {
		return fmt.Errorf("finding the autostart folder: %w", err)
	}
	if !on {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", p, err)
		}
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return fmt.Errorf("creating the autostart folder: %w", err)
	}
	if err := os.WriteFile(p, packaging.AutostartEntry(exe), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	return nil
}
