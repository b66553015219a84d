//go:build linux || freebsd || openbsd || netbsd || dragonfly

package notify

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	busName   = "org.freedesktop.Notifications"
	busPath   = dbus.ObjectPath("/org/freedesktop/Notifications")
	busIface  = "org.freedesktop.Notifications"
	sigClosed = busIface + ".NotificationClosed"
	sigAction = busIface + ".ActionInvoked"

	// earlyMax bounds the events kept for ids not yet known (see early).
	earlyMax = 32
)

// Notifier shows notifications through org.freedesktop.Notifications on a
// private session-bus connection. Its methods are safe for concurrent use.
type Notifier struct {
	opts   Options
	events chan event    // to the goroutine that runs the callbacks
	done   chan struct{} // closed by Close

	mu     sync.Mutex // guards the fields below
	conn   *dbus.Conn // nil until connected; replaced when the bus connection is lost
	live   map[ID]bool
	early  []event // signals for ids that no Notify has returned yet, oldest first
	closed bool

	readers sync.WaitGroup // the goroutines reading signals
}

// event is a signal of one of this Notifier's notifications.
type event struct {
	id     ID
	action string      // ActionInvoked: the key
	reason CloseReason // NotificationClosed: the reason; zero for an action
}

// New connects to the session bus. It never starts a bus (no dbus-launch):
// with no session bus it returns an error. A missing notification server
// is no error here; Notify reports it.
func New(opts Options) (*Notifier, error) {
	n := &Notifier{
		opts:   opts.withDefaults(),
		events: make(chan event, 16),
		done:   make(chan struct{}),
		live:   map[ID]bool{},
	}
	if _, err := n.connection(); err != nil {
		return nil, err
	}
	if n.subscribed() {
		go n.dispatch()
	}
	return n, nil
}

// subscribed reports whether the Notifier listens for signals at all.
func (n *Notifier) subscribed() bool { return n.opts.OnClosed != nil || n.opts.OnAction != nil }

// Notify shows a notification and returns its id.
func (n *Notifier) Notify(note Notification) (ID, error) {
	actions := make([]string, 0, 2*len(note.Actions))
	for _, a := range note.Actions {
		actions = append(actions, a.Key, a.Label)
	}
	hints := map[string]dbus.Variant{
		"urgency":       dbus.MakeVariant(urgencyByte(note.Urgency)),
		"desktop-entry": dbus.MakeVariant(n.opts.DesktopEntry),
	}
	var id uint32
	err := n.call("sending a notification", func(ctx context.Context, obj dbus.BusObject) error {
		return obj.CallWithContext(ctx, busIface+".Notify", 0,
			n.opts.AppName, uint32(note.Replaces), iconArg(note.Icon), note.Title, note.Body,
			actions, hints, timeoutMillis(note.Timeout)).Store(&id)
	})
	if err != nil {
		return 0, err
	}
	if !n.subscribed() {
		return ID(id), nil
	}
	n.mu.Lock()
	n.live[ID(id)] = true
	// A signal for this id may have overtaken our reading of the reply.
	var pending []event
	kept := n.early[:0]
	for _, e := range n.early {
		if e.id == ID(id) {
			pending = append(pending, e)
		} else {
			kept = append(kept, e)
		}
	}
	n.early = kept
	for _, e := range pending {
		if e.reason != 0 {
			delete(n.live, e.id)
		}
	}
	n.mu.Unlock()
	for _, e := range pending {
		n.push(e)
	}
	return ID(id), nil
}

// CloseNotification withdraws a notification this Notifier showed; the
// server then reports it closed (ClosedByCall). Withdrawing one that is
// gone already is no error.
func (n *Notifier) CloseNotification(id ID) error {
	return n.call("withdrawing a notification", func(ctx context.Context, obj dbus.BusObject) error {
		return obj.CallWithContext(ctx, busIface+".CloseNotification", 0, uint32(id)).Err
	})
}

// Close closes the Notifier's bus connection. Notifications already shown
// stay. Close is safe to call more than once.
func (n *Notifier) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	conn := n.conn
	n.conn = nil
	close(n.done)
	n.mu.Unlock()
	var err error
	if conn != nil {
		err = conn.Close()
	}
	n.readers.Wait()
	if err != nil {
		return fmt.Errorf("closing the notifier's bus connection: %w", err)
	}
	return nil
}

// call runs one method call on the notification server with a timeout,
// on a new connection if the old one was lost.
func (n *Notifier) call(what string, f func(context.Context, dbus.BusObject) error) error {
	for attempt := 0; ; attempt++ {
		conn, err := n.connection()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), n.opts.CallTimeout)
		err = f(ctx, conn.Object(busName, busPath))
		cancel()
		switch {
		case err == nil:
			return nil
		case !conn.Connected() && attempt == 0:
			continue // the bus connection broke: once more on a new one
		case isNoServer(err):
			return fmt.Errorf("%s: %w", what, ErrNoServer)
		default:
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// isNoServer reports whether err says that nothing owns the name and the
// bus could not start anything for it.
func isNoServer(err error) bool {
	var de dbus.Error
	if !errors.As(err, &de) {
		var dp *dbus.Error
		if !errors.As(err, &dp) {
			return false
		}
		de = *dp
	}
	return de.Name == "org.freedesktop.DBus.Error.ServiceUnknown" ||
		de.Name == "org.freedesktop.DBus.Error.NameHasNoOwner" ||
		strings.HasPrefix(de.Name, "org.freedesktop.DBus.Error.Spawn.")
}

// connection returns the private bus connection, connecting first when
// there is none or it was lost.
func (n *Notifier) connection() (*dbus.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, ErrClosed
	}
	if n.conn != nil && n.conn.Connected() {
		return n.conn, nil
	}
	if n.conn != nil {
		_ = n.conn.Close()
		n.conn = nil
	}
	// Private (never dbus.SessionBus(), which systray owns; see the package
	// comment) and never autolaunched (a dbus-daemon that outlives us).
	conn, err := dbus.SessionBusPrivateNoAutoStartup()
	if err != nil {
		return nil, fmt.Errorf("connecting to the session bus: %w", err)
	}
	if err := conn.Auth(nil); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("authenticating to the session bus: %w", err)
	}
	if err := conn.Hello(); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("greeting the session bus: %w", err)
	}
	if n.subscribed() {
		if err := conn.AddMatchSignal(dbus.WithMatchObjectPath(busPath), dbus.WithMatchInterface(busIface)); err != nil {
			_ = conn.Close()
			return nil, fmt.Errorf("subscribing to notification signals: %w", err)
		}
		sigs := make(chan *dbus.Signal, 16)
		conn.Signal(sigs)
		n.readers.Add(1)
		go n.read(sigs)
	}
	n.conn = conn
	return conn, nil
}

// read turns the signals of one connection into events, until the
// connection closes (godbus then closes sigs).
func (n *Notifier) read(sigs <-chan *dbus.Signal) {
	defer n.readers.Done()
	for sig := range sigs {
		e, ok := parseSignal(sig)
		if !ok {
			continue
		}
		n.mu.Lock()
		mine := n.live[e.id]
		switch {
		case mine && e.reason != 0:
			delete(n.live, e.id)
		case !mine:
			// Another program's notification (servers such as GNOME Shell
			// broadcast), or one of ours whose Notify reply we have not
			// read yet: keep it for Notify to claim.
			if len(n.early) == earlyMax {
				n.early = n.early[1:]
			}
			n.early = append(n.early, e)
		}
		n.mu.Unlock()
		if mine {
			n.push(e)
		}
	}
}

// parseSignal reads NotificationClosed and ActionInvoked; it drops
// anything else, including malformed signals (any program on the bus can
// send a signal to us).
func parseSignal(sig *dbus.Signal) (event, bool) {
	if sig == nil || sig.Path != busPath || len(sig.Body) != 2 {
		return event{}, false
	}
	id, ok := sig.Body[0].(uint32)
	if !ok || id == 0 {
		return event{}, false
	}
	switch sig.Name {
	case sigClosed:
		reason, ok := sig.Body[1].(uint32)
		if !ok {
			return event{}, false
		}
		if reason < uint32(Expired) || reason > uint32(Undefined) {
			reason = uint32(Undefined)
		}
		return event{id: ID(id), reason: CloseReason(reason)}, true
	case sigAction:
		key, ok := sig.Body[1].(string)
		if !ok {
			return event{}, false
		}
		return event{id: ID(id), action: key}, true
	}
	return event{}, false
}

// push hands an event to dispatch unless the Notifier is closed.
func (n *Notifier) push(e event) {
	select {
	case n.events <- e:
	case <-n.done:
	}
}

// dispatch runs the callbacks, one at a time, until Close.
func (n *Notifier) dispatch() {
	for {
		select {
		case e := <-n.events:
			switch {
			case e.reason != 0 && n.opts.OnClosed != nil:
				n.opts.OnClosed(e.id, e.reason)
			case e.reason == 0 && n.opts.OnAction != nil:
				n.opts.OnAction(e.id, e.action)
			}
		case <-n.done:
			return
		}
	}
}

// urgencyByte maps an Urgency to the specification's byte.
func urgencyByte(u Urgency) byte {
	switch u {
	case Low:
		return 0
	case Critical:
		return 2
	default:
		return 1
	}
}

// timeoutMillis maps a Timeout to expire_timeout: -1 leaves it to the
// server, 0 never expires.
func timeoutMillis(d time.Duration) int32 {
	switch {
	case d == 0:
		return -1
	case d < 0:
		return 0
	case d >= time.Duration(math.MaxInt32)*time.Millisecond:
		return math.MaxInt32
	}
	ms := int32((d + time.Millisecond - 1) / time.Millisecond) // round up: 1ns must not become "never"
	return ms
}

// iconArg maps an Icon to app_icon: a file as a file:// URI, a theme name
// as it is.
func iconArg(icon string) string {
	if icon == "" || !strings.ContainsRune(icon, filepath.Separator) {
		return icon
	}
	if abs, err := filepath.Abs(icon); err == nil {
		icon = abs
	}
	return (&url.URL{Scheme: "file", Path: icon}).String()
}
