package notify

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gen2brain/beeep"
)

// notifyWait is the longest Notify waits for a toast: long enough to
// report a toast that fails at once, short enough for an agent request
// that an SDK gives up on after about 2 s.
const notifyWait = 250 * time.Millisecond

// queueLen bounds the toasts waiting behind a slow one.
const queueLen = 8

// Notifier shows notifications as Windows toasts through gen2brain/beeep.
// A toast can take seconds: go-toast starts PowerShell when the WinRT call
// fails (it always does under Wine, and may on a locked-down machine),
// and the first toast of a session is slow. The tray notifies from places
// that must not wait that long, an agent request among them, so one
// goroutine of the Notifier shows the toasts in turn: Notify waits for its
// toast at most a quarter of a second (or Options.CallTimeout, if
// shorter), returns the error of a toast that failed in that time, and
// otherwise leaves it to finish. Toasts have no ids to replace or withdraw
// and no actions: Replaces, Timeout and Actions are ignored, and
// CloseNotification does nothing. Its methods are safe for concurrent use.
type Notifier struct {
	opts Options
	// send shows one toast; beeep's by default, a fake in tests. Only the
	// Notifier's goroutine calls it, so beeep's global AppName needs no
	// lock.
	send  func(appName string, note Notification) error
	queue chan toast
	done  chan struct{} // closed by Close: the goroutine stops after the toast under way

	mu     sync.Mutex // protects last and closed
	last   ID
	closed bool
}

// toast is a notification waiting to be shown, and where its result goes.
type toast struct {
	note   Notification
	result chan error // buffered: the goroutine never waits for Notify
}

// New returns a Notifier.
func New(opts Options) (*Notifier, error) {
	return newNotifier(opts, sendBeeep), nil
}

func newNotifier(opts Options, send func(string, Notification) error) *Notifier {
	n := &Notifier{opts: opts.withDefaults(), send: send, queue: make(chan toast, queueLen), done: make(chan struct{})}
	go n.run()
	return n
}

// sendBeeep shows a toast; a Critical one also sounds (beeep.Alert).
func sendBeeep(appName string, note Notification) error {
	beeep.AppName = appName
	if note.Urgency == Critical {
		return beeep.Alert(note.Title, note.Body, note.Icon)
	}
	return beeep.Notify(note.Title, note.Body, note.Icon)
}

func (n *Notifier) run() {
	for {
		select {
		case <-n.done:
			return
		case t := <-n.queue:
			t.result <- n.send(n.opts.AppName, t.note)
		}
	}
}

// Notify shows a notification and returns an id for it. An error means
// the toast was not shown; no error, that it was shown or is on its way.
func (n *Notifier) Notify(note Notification) (ID, error) {
	t := toast{note: note, result: make(chan error, 1)}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return 0, fmt.Errorf("sending a notification: %w", ErrClosed)
	}
	select {
	case n.queue <- t:
	default:
		n.mu.Unlock()
		return 0, errTooMany
	}
	n.last++
	id := n.last
	n.mu.Unlock()

	wait := time.NewTimer(min(notifyWait, n.opts.CallTimeout))
	defer wait.Stop()
	select {
	case err := <-t.result:
		if err != nil {
			return 0, fmt.Errorf("sending a notification: %w", err)
		}
	case <-wait.C: // still under way, or behind a slow one: it goes on
	}
	return id, nil
}

var errTooMany = errors.New("sending a notification: too many are waiting to be shown")

// CloseNotification does nothing: a toast cannot be withdrawn here.
func (n *Notifier) CloseNotification(ID) error { return nil }

// Close stops the Notifier: the toast under way finishes, those waiting
// are dropped.
func (n *Notifier) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.closed {
		n.closed = true
		close(n.done)
	}
	return nil
}
