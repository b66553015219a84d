// Package sessionwatch tells the tray when the person's session is about to
// be left unattended: the screen locked, or the machine about to suspend.
// It owns the desktop side only — which signals mean "locked" on which
// desktop, and holding a sleep delay until the tray has locked; what to do
// about an event (lock every profile, or nothing) is the tray's.
//
// Linux (and the BSDs) listen on D-Bus, because desktops disagree on what
// they say: KDE Plasma emits org.freedesktop.ScreenSaver.ActiveChanged(true)
// and sets logind's LockedHint; GNOME sets LockedHint (its own
// org.gnome.ScreenSaver.ActiveChanged follows the shield, its
// org.freedesktop.ScreenSaver never emits it); xfce4-screensaver emits
// org.xfce.ScreenSaver.ActiveChanged and sets no LockedHint. So all three
// ActiveChanged signals on the session bus and the session's LockedHint on
// the system bus count. logind's Lock signal is a request to lock, not the
// state, and is not listened to. Suspend is logind's PrepareForSleep(true),
// with a delay inhibitor held so the lock happens before the machine sleeps.
// macOS uses the distributed notification com.apple.screenIsLocked and
// NSWorkspace's will-sleep; Windows a hidden window's WTS_SESSION_LOCK and
// PBT_APMSUSPEND.
package sessionwatch

import (
	"log/slog"
	"sync"
)

// Reason is why the session is left unattended.
type Reason int

// The reasons.
const (
	ScreenLocked Reason = iota + 1
	Suspend
)

// String names the reason as the tray's log line says it.
func (r Reason) String() string {
	switch r {
	case ScreenLocked:
		return "screen locked"
	case Suspend:
		return "suspend"
	}
	return "unknown"
}

// Event is one report: the screen locked, or the machine is about to sleep.
type Event struct {
	Reason Reason
	// Source is what reported it (a D-Bus signal's name, a notification's),
	// for the log.
	Source string

	done func()
}

// Done tells the watcher the event was handled: before a suspend the
// system waits for it (logind at most its InhibitDelayMaxSec, 5 s by
// default). Call it once the lock is done, whether it worked or not; more
// calls do nothing.
func (e Event) Done() {
	if e.done != nil {
		e.done()
	}
}

// Options set up Run.
type Options struct {
	// Getenv reads the bus addresses (DBUS_SESSION_BUS_ADDRESS,
	// DBUS_SYSTEM_BUS_ADDRESS) and XDG_SESSION_ID.
	Getenv func(string) string
	// OnEvent receives each event, on the watcher's goroutine: it must not
	// block.
	OnEvent func(Event)
	// Ready is called once every source that could be reached is listened
	// to (for tests: a signal sent before that is not seen).
	Ready func()
	Log   *slog.Logger
}

func (o *Options) defaults() {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.OnEvent == nil {
		o.OnEvent = func(e Event) { e.Done() }
	}
	if o.Ready == nil {
		o.Ready = func() {}
	}
}

// once makes f safe to call more than once.
func once(f func()) func() {
	var o sync.Once
	return func() { o.Do(f) }
}
