//go:build !windows

package proc

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// tree: on Unix the helper leads a process group of its own, and the
// whole group is killed.
type tree struct {
	group bool // the helper leads its own process group; set before Start
}

// prepare puts the helper in a new process group — unless this process
// is in the foreground of a terminal: a helper in another group that
// reads the terminal (an mfa_process asking on /dev/tty, a pinentry) would
// be stopped by SIGTTIN and never answer. There the person can press
// Ctrl-C, which reaches the whole foreground group; only the helper
// itself is killed at a deadline, and WaitDelay still bounds Wait.
func (c *Cmd) prepare() {
	if c.SysProcAttr == nil {
		c.SysProcAttr = &syscall.SysProcAttr{}
	}
	switch {
	case c.SysProcAttr.Setsid: // a session of its own is a group of its own
		c.tree.group = true
	case !inTerminalForeground():
		c.SysProcAttr.Setpgid, c.SysProcAttr.Pgid = true, 0
		c.tree.group = true
	}
}

func (c *Cmd) started() {}

func (c *Cmd) release() {}

// kill is the helper's Cancel: SIGKILL to its process group. The group
// outlives an exited leader until Wait reaps it, so no other process can
// have taken its number.
func (c *Cmd) kill() error {
	if !c.tree.group {
		return c.Process.Kill()
	}
	err := syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return os.ErrProcessDone
	}
	return err
}

// inTerminalForeground reports whether this process belongs to the
// foreground process group of its controlling terminal.
func inTerminalForeground() bool {
	fd, err := unix.Open("/dev/tty", unix.O_RDONLY|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false // no controlling terminal
	}
	defer unix.Close(fd)
	pgrp, err := unix.IoctlGetInt(fd, unix.TIOCGPGRP)
	return err == nil && pgrp == unix.Getpgrp()
}
