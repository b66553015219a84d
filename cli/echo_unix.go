//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package cli

import "golang.org/x/sys/unix"

// echoOff turns the terminal's echo off and returns what turns it back on.
// ReadSecret calls it before it shows the prompt: a code typed or pasted as
// soon as the prompt shows must not reach the screen, and term.ReadPassword
// turns echo off only after the prompt is out.
func echoOff(fd int) (restore func()) {
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return func() {} // term.ReadPassword then says what is wrong
	}
	quiet := *old
	quiet.Lflag &^= unix.ECHO
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &quiet); err != nil {
		return func() {}
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }
}
