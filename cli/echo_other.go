//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly || windows)

package cli

// echoOff does nothing here: term.ReadPassword turns echo off once the
// prompt is out.
func echoOff(int) (restore func()) { return func() {} }
