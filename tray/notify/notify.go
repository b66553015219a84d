// Package notify shows the tray's desktop notifications: a session that
// needs the person (an MFA code, an SSO sign-in) is about to expire, a
// refresh failed.
//
// On Linux and the BSDs it speaks org.freedesktop.Notifications over a
// private connection to the session bus of its own, never over the
// process-wide dbus.SessionBus() that fyne.io/systray uses: godbus hands
// every signal of a connection to every listener of it, and systray's
// watch for panel restarts stops at the first signal with fewer than three
// arguments — a NotificationClosed (two) is one. Sharing the connection
// (as gen2brain/beeep does) leaves the icon gone for good after the panel
// restarts. The private connection also gives notification ids to replace
// and withdraw notifications, and action buttons. Elsewhere (Windows,
// macOS) it goes through gen2brain/beeep, which can do neither.
//
// A notification is shown to anyone looking at the screen, kept in the
// desktop's history, and passed over the session bus to whatever owns the
// notification name. This package cannot tell what it is given: callers
// pass profile names, states and times only — never a key, token, session
// or export line.
package notify

import (
	"errors"
	"time"
)

// ID identifies a notification shown by a Notifier. Zero is no
// notification.
type ID uint32

// Urgency is how pressing a notification is. The zero value is Normal.
type Urgency uint8

const (
	// Normal is the usual urgency.
	Normal Urgency = iota
	// Low is for information the person may miss.
	Low
	// Critical is for what needs the person before it is too late;
	// notification servers keep such notifications until dismissed.
	Critical
)

// String returns "normal", "low" or "critical".
func (u Urgency) String() string {
	switch u {
	case Low:
		return "low"
	case Critical:
		return "critical"
	default:
		return "normal"
	}
}

// Never, as a Notification's Timeout, asks that the notification stay
// until the person dismisses it.
const Never time.Duration = -1

// Notification is what a notification shows. Title and Body are plain
// text: profile names, states and times, never a secret.
type Notification struct {
	Title   string
	Body    string
	Urgency Urgency
	// Replaces is a notification shown earlier that this one replaces in
	// place (zero: a new notification). Ignored where notifications have
	// no ids (Windows, macOS).
	Replaces ID
	// Timeout is how long the notification stays: zero leaves it to the
	// notification server, Never keeps it until dismissed.
	Timeout time.Duration
	// Icon is an optional image file or icon-theme name; empty shows the
	// server's default (on Linux, the icon of the DesktopEntry).
	Icon string
	// Actions are buttons; OnAction reports which one the person clicked.
	// Linux and the BSDs only.
	Actions []Action
}

// Action is a button on a notification.
type Action struct {
	Key   string // reported to OnAction; "default" is a click on the notification itself
	Label string // shown on the button
}

// CloseReason says why a notification closed.
type CloseReason uint32

// The reasons of the Desktop Notifications Specification.
const (
	Expired      CloseReason = 1 // it timed out
	Dismissed    CloseReason = 2 // the person dismissed it
	ClosedByCall CloseReason = 3 // CloseNotification withdrew it
	Undefined    CloseReason = 4
)

// String returns "expired", "dismissed", "closed" or "undefined".
func (r CloseReason) String() string {
	switch r {
	case Expired:
		return "expired"
	case Dismissed:
		return "dismissed"
	case ClosedByCall:
		return "closed"
	default:
		return "undefined"
	}
}

// Options configure a Notifier. The zero value is usable.
type Options struct {
	// AppName is the name notification servers show and group by
	// (default "awstray").
	AppName string
	// DesktopEntry names the .desktop file (without the suffix) whose icon
	// and name servers may use (default "awstray"). Linux and the BSDs.
	DesktopEntry string
	// OnClosed, if set, is called when a notification of this Notifier
	// closes; OnAction when the person clicks one of its actions. Both run
	// on a goroutine of the Notifier, one call at a time, and must return
	// quickly (send an intent, do the work elsewhere). Linux and the BSDs.
	OnClosed func(id ID, reason CloseReason)
	OnAction func(id ID, key string)
	// CallTimeout bounds each call to the notification server (default
	// 5 s): a server that hangs must not hang the tray.
	CallTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.AppName == "" {
		o.AppName = "awstray"
	}
	if o.DesktopEntry == "" {
		o.DesktopEntry = "awstray"
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 5 * time.Second
	}
	return o
}

// ErrNoServer is the cause of a failed Notify when no notification server
// runs on the session bus (nothing owns org.freedesktop.Notifications and
// none can be started). The tray logs it and carries on.
var ErrNoServer = errors.New("no notification server on the session bus (nothing owns org.freedesktop.Notifications)")

// ErrClosed is returned by a Notifier that was closed.
var ErrClosed = errors.New("notifier closed")
