//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package cli

// echoOff does nothing here: term.ReadPassword turns echo off (on Windows
// through the console mode) once the prompt is out.
func echoOff(int) (restore func()) { return func() {} }
