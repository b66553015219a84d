package tray

import (
	"errors"
	"fmt"

	"golang.org/x/sys/windows/registry"
)

// StartAtLogin adds or removes the tray (running exe) in the current
// user's Run key.
func StartAtLogin(exe string, on bool) error {
	k, err := registry.OpenKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion\Run`, registry.SET_VALUE)
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
