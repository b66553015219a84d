package tray

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// runKey is the current user's list of programs that start at login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// StartAtLogin adds or removes the tray (running exe) in the current
// user's Run key.
func StartAtLogin(exe string, on bool) error {
	// Created when missing: a fresh Windows user may have no Run key yet
	// (a new Wine prefix has none), and OpenKey would fail on it.
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("opening the Run key: %w", err)
	}
	defer k.Close()
	if !on {
		if err := k.DeleteValue("awstray"); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("removing awstray from the Run key: %w", err)
		}
		return nil
	}
	if err := k.SetStringValue("awstray", `"`+exe+`" tray`); err != nil {
		return fmt.Errorf("adding awstray to the Run key: %w", err)
	}
	return nil
}
