//go:build linux || freebsd || openbsd || netbsd || dragonfly

// Package busenv settles DBUS_SESSION_BUS_ADDRESS before any package that
// dials the session bus in its init (99designs/keyring does, twice).
//
// Go initialises, step by step, the first package in import-path order whose
// imports are all initialised. This package imports only "os"; the keyring
// imports path/filepath, which imports os and sorts after this package, so
// this init always runs before the keyring's. Keep it that way: no other
// import here.
//
// With no address set and no $XDG_RUNTIME_DIR/bus socket, godbus would
// autolaunch a dbus-daemon that outlives awstray; this package sets the
// address to "disabled:" instead, so the keyring backends that need D-Bus
// report themselves unavailable and nothing is left running.
package busenv

import "os"

// Disabled reports whether this package turned the session bus off; the
// variable is then awstray's, not the user's, and children do not get it.
var Disabled bool

func init() {
	if os.Getenv("DBUS_SESSION_BUS_ADDRESS") != "" {
		return
	}
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		if fi, err := os.Stat(dir + "/bus"); err == nil && fi.Mode()&os.ModeSocket != 0 {
			return
		}
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	Disabled = true
}
