//go:build !(linux || freebsd || openbsd || netbsd || dragonfly || windows)

package notify

import (
	"fmt"
	"sync"

	"github.com/gen2brain/beeep"
)

// Notifier shows notifications through gen2brain/beeep (macOS
// Notification Center; Windows has notify_windows.go). These have no ids to replace or withdraw
// and no actions: Replaces, Timeout and Actions are ignored, and
// CloseNotification does nothing. Its methods are safe for concurrent use.
type Notifier struct {
	opts Options

	mu     sync.Mutex // guards the fields below and beeep's global AppName
	last   ID
	closed bool
}

// New returns a Notifier.
func New(opts Options) (*Notifier, error) {
	return &Notifier{opts: opts.withDefaults()}, nil
}

// Notify shows a notification and returns an id for it; a Critical one
// also sounds (beeep.Alert).
func (n *Notifier) Notify(note Notification) (ID, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return 0, fmt.Errorf("sending a notification: %w", ErrClosed)
	}
	beeep.AppName = n.opts.AppName
	send := beeep.Notify
	if note.Urgency == Critical {
		send = beeep.Alert
	}
	if err := send(note.Title, note.Body, note.Icon); err != nil {
		return 0, fmt.Errorf("sending a notification: %w", err)
	}
	n.last++
	return n.last, nil
}

// CloseNotification does nothing: beeep cannot withdraw a notification.
func (n *Notifier) CloseNotification(ID) error { return nil }

// Close stops the Notifier.
func (n *Notifier) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.closed = true
	return nil
}
