package tray

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/windows/registry"
)

// runKey is the current user's list of programs that start at login.
const runKey = `Software\Microsoft\Windows\CurrentVersion\Run`

// StartAtLogin makes the value awstray in the current user's Run key
// follow on: when on, it starts the tray (exe, the running program) at
// login; when off, it is removed. A value that is not `"PROGRAM" tray`,
// as awstray writes it, is the person's and is left as it is (a
// *NotOursError).
func StartAtLogin(exe string, on bool) error {
	// Created when missing: a fresh Windows user may have no Run key yet
	// (a new Wine prefix has none), and OpenKey would fail on it.
	k, _, err := registry.CreateKey(registry.CURRENT_USER, runKey, registry.QUERY_VALUE|registry.SET_VALUE)
	if err != nil {
		return fmt.Errorf("opening the Run key: %w", err)
	}
	defer k.Close()
	want := `"` + exe + `" tray`
	old, valtype, err := k.GetStringValue("awstray")
	exists := err == nil
	switch {
	case errors.Is(err, registry.ErrNotExist):
	case errors.Is(err, registry.ErrUnexpectedType), err == nil && (valtype != registry.SZ || !ownRunValue(old)):
		return &NotOursError{Path: `HKCU\` + runKey + `\awstray`}
	case err != nil:
		return fmt.Errorf("reading awstray in the Run key: %w", err)
	}
	if !on {
		if !exists {
			return nil
		}
		if err := k.DeleteValue("awstray"); err != nil && !errors.Is(err, registry.ErrNotExist) {
			return fmt.Errorf("removing awstray from the Run key: %w", err)
		}
		return nil
	}
	if exists && old == want {
		return nil
	}
	if err := k.SetStringValue("awstray", want); err != nil {
		return fmt.Errorf("adding awstray to the Run key: %w", err)
	}
	return nil
}

// ownRunValue reports whether v is a command line StartAtLogin writes:
// one quoted absolute program path, then tray. A value with %VARIABLES%
// (and any REG_EXPAND_SZ, checked by the caller) the person wrote.
func ownRunValue(v string) bool {
	exe, ok := strings.CutSuffix(v, `" tray`)
	if !ok {
		return false
	}
	exe, ok = strings.CutPrefix(exe, `"`)
	return ok && filepath.IsAbs(exe) && !strings.ContainsAny(exe, `"%`)
}
