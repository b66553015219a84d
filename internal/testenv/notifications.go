package testenv

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
)

// StartSessionBus starts a private D-Bus session bus for the test and
// returns its address (for DBUS_SESSION_BUS_ADDRESS or dbus.Connect). The
// bus has no service directories, so nothing is D-Bus-activated on it: a
// notification daemon installed on the machine (dunst) cannot take
// org.freedesktop.Notifications before a recorder does. The dbus-daemon is
// a child of the test process and is stopped and waited for when the test
// ends. Without dbus-daemon (Debian package dbus) the test stops through
// Missing.
func StartSessionBus(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("dbus-daemon"); err != nil {
		Missing(t, "dbus-daemon is %v (Debian package dbus)", errNotInstalled)
	}
	// A short directory: unix socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "awstray-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	d, addr, err := startBus(dir)
	if err != nil {
		t.Fatalf("starting a session bus: %v", err)
	}
	t.Cleanup(func() { d.stop(0) })
	return addr
}

// The close reasons of the Desktop Notifications Specification, for
// NotificationRecorder.CloseNotification.
const (
	ClosedExpired   uint32 = 1 // the notification timed out
	ClosedDismissed uint32 = 2 // the person dismissed it
	ClosedByCall    uint32 = 3 // a client called CloseNotification
	ClosedUndefined uint32 = 4
)

const (
	notificationsName  = "org.freedesktop.Notifications"
	notificationsPath  = dbus.ObjectPath("/org/freedesktop/Notifications")
	notificationsIface = "org.freedesktop.Notifications"
)

// RecordedNotification is one Notify call that a NotificationRecorder
// answered, with every argument of the call.
type RecordedNotification struct {
	ID         uint32 // the id the recorder returned
	Sender     string // the caller's unique bus name
	AppName    string
	ReplacesID uint32
	AppIcon    string
	Summary    string
	Body       string
	Actions    []string // key, label, key, label, …
	Hints      map[string]dbus.Variant
	Timeout    int32 // milliseconds; -1 is the server's default, 0 never expires
}

// NotificationRecorder is a notification server (org.freedesktop.Notifications)
// on a test's bus that shows nothing: it records every Notify, answers with
// increasing ids, and lets the test close notifications or invoke their
// actions as the person would. Notifications never expire by themselves.
type NotificationRecorder struct {
	t    testing.TB
	conn *dbus.Conn

	mu      sync.Mutex // guards the fields below
	nextID  uint32
	notes   []RecordedNotification
	open    map[uint32]string // open notification id -> sender
	unicast bool
	closes  []uint32      // ids clients closed with CloseNotification
	changed chan struct{} // closed and replaced whenever notes grows
}

// StartNotificationRecorder connects to the bus at busAddress, takes
// org.freedesktop.Notifications on it and records notifications until the
// test ends. The test fails if another program owns the name already.
func StartNotificationRecorder(t testing.TB, busAddress string) *NotificationRecorder {
	t.Helper()
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		t.Fatalf("notification recorder: connecting to %s: %v", busAddress, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	r := &NotificationRecorder{t: t, conn: conn, open: map[uint32]string{}, changed: make(chan struct{})}
	if err := conn.Export(notificationServer{r}, notificationsPath, notificationsIface); err != nil {
		t.Fatalf("notification recorder: %v", err)
	}
	node := &introspect.Node{
		Name: string(notificationsPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			{
				Name:    notificationsIface,
				Methods: introspect.Methods(notificationServer{}),
				Signals: []introspect.Signal{
					{Name: "NotificationClosed", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "reason", Type: "u"}}},
					{Name: "ActionInvoked", Args: []introspect.Arg{{Name: "id", Type: "u"}, {Name: "action_key", Type: "s"}}},
				},
			},
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), notificationsPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		t.Fatalf("notification recorder: %v", err)
	}
	reply, err := conn.RequestName(notificationsName, dbus.NameFlagDoNotQueue)
	if err != nil {
		t.Fatalf("notification recorder: requesting %s: %v", notificationsName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("notification recorder: %s has an owner already (a notification daemon such as dunst?)", notificationsName)
	}
	return r
}

// SetUnicast chooses how the recorder emits NotificationClosed and
// ActionInvoked: false (the default) broadcasts them, as GNOME Shell and
// KDE Plasma do; true sends them to the notification's sender only, as
// dunst does. A unicast signal reaches the sender's connection whatever
// match rules it has.
func (r *NotificationRecorder) SetUnicast(on bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unicast = on
}

// Notifications returns the notifications recorded so far, oldest first.
func (r *NotificationRecorder) Notifications() []RecordedNotification {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.notes)
}

// WaitFor waits until at least n notifications have been recorded and
// returns them; the test fails after timeout. Call it from the test's
// goroutine.
func (r *NotificationRecorder) WaitFor(n int, timeout time.Duration) []RecordedNotification {
	r.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		notes, changed := slices.Clone(r.notes), r.changed
		r.mu.Unlock()
		if len(notes) >= n {
			return notes
		}
		select {
		case <-changed:
		case <-deadline.C:
			r.t.Fatalf("notification recorder: %d notifications after %s, want %d: %+v", len(notes), timeout, n, notes)
		}
	}
}

// ClosedByClient returns the ids that clients closed with CloseNotification.
func (r *NotificationRecorder) ClosedByClient() []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.closes)
}

// CloseNotification closes an open notification for the given reason
// (ClosedDismissed: the person dismissed it) and emits NotificationClosed.
// It returns once the bus has the signal, so that a signal the test sends
// later (a NameOwnerChanged, say) reaches every client after this one.
func (r *NotificationRecorder) CloseNotification(id, reason uint32) error {
	r.mu.Lock()
	sender, ok := r.open[id]
	delete(r.open, id)
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("notification recorder: notification %d is not open", id)
	}
	return r.emit(sender, "NotificationClosed", id, reason)
}

// InvokeAction emits ActionInvoked for an open notification, as a server
// does when the person clicks one of its buttons. Like CloseNotification
// it returns once the bus has the signal.
func (r *NotificationRecorder) InvokeAction(id uint32, key string) error {
	r.mu.Lock()
	sender, ok := r.open[id]
	r.mu.Unlock()
	if !ok {
		return fmt.Errorf("notification recorder: notification %d is not open", id)
	}
	return r.emit(sender, "ActionInvoked", id, key)
}

// emit sends a signal of the Notifications interface, to sender alone when
// the recorder is unicast, then waits for a reply of the bus: the bus
// handles one connection's messages in order, so by then it has routed
// the signal.
func (r *NotificationRecorder) emit(sender, member string, body ...any) error {
	r.mu.Lock()
	unicast := r.unicast
	r.mu.Unlock()
	msg := &dbus.Message{
		Type: dbus.TypeSignal,
		Headers: map[dbus.HeaderField]dbus.Variant{
			dbus.FieldPath:      dbus.MakeVariant(notificationsPath),
			dbus.FieldInterface: dbus.MakeVariant(notificationsIface),
			dbus.FieldMember:    dbus.MakeVariant(member),
			dbus.FieldSignature: dbus.MakeVariant(dbus.SignatureOf(body...)),
		},
		Body: body,
	}
	if unicast {
		msg.Headers[dbus.FieldDestination] = dbus.MakeVariant(sender)
	}
	if err := r.conn.Send(msg, nil).Err; err != nil {
		return fmt.Errorf("notification recorder: emitting %s: %w", member, err)
	}
	if err := r.conn.BusObject().Call("org.freedesktop.DBus.GetId", 0).Err; err != nil {
		return fmt.Errorf("notification recorder: syncing with the bus: %w", err)
	}
	return nil
}

// notificationServer holds the methods exported on the bus; the recorder's
// own methods stay off it.
type notificationServer struct{ r *NotificationRecorder }

// Notify records a notification and returns its id.
func (s notificationServer) Notify(sender dbus.Sender, appName string, replacesID uint32, appIcon, summary, body string,
	actions []string, hints map[string]dbus.Variant, timeout int32) (uint32, *dbus.Error) {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	id := replacesID
	if _, ok := r.open[id]; !ok || id == 0 {
		r.nextID++
		id = r.nextID
	}
	r.open[id] = string(sender)
	r.notes = append(r.notes, RecordedNotification{
		ID: id, Sender: string(sender), AppName: appName, ReplacesID: replacesID, AppIcon: appIcon,
		Summary: summary, Body: body, Actions: slices.Clone(actions), Hints: maps.Clone(hints), Timeout: timeout,
	})
	close(r.changed)
	r.changed = make(chan struct{})
	return id, nil
}

// CloseNotification closes a notification for a client (reason 3). An
// unknown id is no error, as with GNOME Shell and dunst.
func (s notificationServer) CloseNotification(id uint32) *dbus.Error {
	r := s.r
	r.mu.Lock()
	r.closes = append(r.closes, id)
	sender, ok := r.open[id]
	delete(r.open, id)
	r.mu.Unlock()
	if ok {
		if err := r.emit(sender, "NotificationClosed", id, ClosedByCall); err != nil {
			return dbus.MakeFailedError(err)
		}
	}
	return nil
}

// GetCapabilities lists what the recorder supports.
func (notificationServer) GetCapabilities() ([]string, *dbus.Error) {
	return []string{"actions", "body", "persistence"}, nil
}

// GetServerInformation names the recorder.
func (notificationServer) GetServerInformation() (name, vendor, version, specVersion string, _ *dbus.Error) {
	return "awstray-notification-recorder", "awstray", "1", "1.2", nil
}
