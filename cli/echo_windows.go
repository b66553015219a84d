package cli

import "golang.org/x/sys/windows"

// echoOff turns the console's echo off and returns what turns it back on;
// see echo_unix.go. Line input stays on: the console allows echo off with
// it, and term.ReadPassword sets the rest.
func echoOff(fd int) (restore func()) {
	h := windows.Handle(fd)
	var old uint32
	if err := windows.GetConsoleMode(h, &old); err != nil {
		return func() {}
	}
	if err := windows.SetConsoleMode(h, old&^windows.ENABLE_ECHO_INPUT); err != nil {
		return func() {}
	}
	return func() { _ = windows.SetConsoleMode(h, old) }
}
