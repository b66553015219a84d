//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

// Package busenv is empty where there is no D-Bus session bus.
package busenv

// Disabled is always false here.
const Disabled = false

// Deferred is always false here.
const Deferred = false

// Restore does nothing here.
func Restore() {}
