// Package proc runs the helper programs awstray starts and waits for —
// credential_process, mfa_process, dialogs, clipboard tools — so that a
// deadline or a cancel ends the helper and what it started, and the
// waiting caller gets control back even when a descendant keeps the
// helper's output pipe open.
//
// exec.CommandContext alone kills only the direct child: `sh -c 'daemon &
// …'` leaves the daemon holding stdout, and Wait blocks for as long as it
// lives — in the tray, with the lock of the resolution that asked held.
// Programs meant to outlive awstray (terminals, browsers) are not helpers
// and are not started here.
package proc

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"time"
)

// DefaultWaitDelay is how long Wait waits, once the context ended or the
// helper exited, for the pipes to close before it closes them itself (for
// descendants that left the helper's process group and so were not
// killed with it).
const DefaultWaitDelay = 2 * time.Second

// Cmd is an exec.Cmd for a helper. Use its Start, Wait, Run and Output
// (not those of the embedded exec.Cmd): they set up and release what
// kills the helper's whole tree.
type Cmd struct {
	*exec.Cmd
	tree tree // how the helper's descendants are reached: see proc_*.go
}

// Command is exec.CommandContext for a helper program: when ctx ends
// before the helper exits, the helper and its descendants are killed, and
// Wait returns within WaitDelay (DefaultWaitDelay unless changed) even if
// a descendant escaped and keeps a pipe open.
func Command(ctx context.Context, name string, arg ...string) *Cmd {
	c := &Cmd{Cmd: exec.CommandContext(ctx, name, arg...)}
	c.WaitDelay = DefaultWaitDelay
	c.Cancel = c.kill
	return c
}

// Start starts the helper in a process tree of its own.
func (c *Cmd) Start() error {
	c.prepare()
	if err := c.Cmd.Start(); err != nil {
		return err
	}
	c.started()
	return nil
}

// Wait waits for the helper as exec.Cmd.Wait does. When only the pipes
// were left open by an escaped descendant past WaitDelay, the error is
// exec.ErrWaitDelay.
func (c *Cmd) Wait() error {
	err := c.Cmd.Wait()
	c.release()
	return err
}

// Run starts the helper and waits for it.
func (c *Cmd) Run() error {
	if err := c.Start(); err != nil {
		return err
	}
	return c.Wait()
}

// Output runs the helper and returns its standard output.
func (c *Cmd) Output() ([]byte, error) {
	if c.Stdout != nil {
		return nil, errors.New("exec: Stdout already set")
	}
	var out bytes.Buffer
	c.Stdout = &out
	err := c.Run()
	return out.Bytes(), err
}

// CombinedOutput runs the helper and returns its standard output and
// standard error together.
func (c *Cmd) CombinedOutput() ([]byte, error) {
	if c.Stdout != nil || c.Stderr != nil {
		return nil, errors.New("exec: Stdout or Stderr already set")
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	err := c.Run()
	return out.Bytes(), err
}
