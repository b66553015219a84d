package testenv

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

const (
	watcherName  = "org.kde.StatusNotifierWatcher"
	watcherPath  = dbus.ObjectPath("/StatusNotifierWatcher")
	watcherIface = "org.kde.StatusNotifierWatcher"
)

// SNIRegistration is one RegisterStatusNotifierItem call a
// StatusNotifierWatcher answered.
type SNIRegistration struct {
	Service    string // the argument: a bus name, or an object path on Sender
	Sender     string // the caller's unique bus name
	Generation int    // the watcher's run that answered: 1, then one more per Restart
}

// Item returns the item as watchers list it: "SENDER/PATH" when Service is
// an object path, else Service.
func (r SNIRegistration) Item() string {
	if strings.HasPrefix(r.Service, "/") {
		return r.Sender + r.Service
	}
	return r.Service
}

// StatusNotifierWatcher is a fake of the panel side of the tray protocol:
// it owns org.kde.StatusNotifierWatcher on a test's bus, records
// RegisterStatusNotifierItem calls, claims a host is registered, and can
// be restarted as a panel is.
type StatusNotifierWatcher struct {
	t    testing.TB
	addr string

	mu      sync.Mutex // guards the fields below
	conn    *dbus.Conn // the current run's connection; nil while stopped
	props   *prop.Properties
	gen     int
	regs    []SNIRegistration
	changed chan struct{} // closed and replaced whenever regs grows
}

// StartStatusNotifierWatcher starts a fake watcher on the bus at
// busAddress and stops it when the test ends. The test fails if another
// program is the watcher already.
func StartStatusNotifierWatcher(t testing.TB, busAddress string) *StatusNotifierWatcher {
	t.Helper()
	w := &StatusNotifierWatcher{t: t, addr: busAddress, changed: make(chan struct{})}
	t.Cleanup(w.stop)
	if err := w.start(); err != nil {
		t.Fatalf("status notifier watcher: %v", err)
	}
	return w
}

// Restart stops the watcher and starts it again on a new connection, as a
// panel that restarts does: the watcher releases its name, which the bus
// announces with NameOwnerChanged(name, old, ""), and owns it again,
// announced with NameOwnerChanged(name, "", new). Items are expected to
// register again. Call it from the test's goroutine.
func (w *StatusNotifierWatcher) Restart() {
	w.t.Helper()
	w.mu.Lock()
	conn := w.conn
	w.conn, w.props = nil, nil
	w.mu.Unlock()
	if conn != nil {
		if _, err := conn.ReleaseName(watcherName); err != nil {
			w.t.Fatalf("status notifier watcher: releasing %s: %v", watcherName, err)
		}
		_ = conn.Close()
	}
	if err := w.start(); err != nil {
		w.t.Fatalf("status notifier watcher: restarting: %v", err)
	}
}

// Generation returns the current run: 1 after the start, one more after
// each Restart.
func (w *StatusNotifierWatcher) Generation() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gen
}

// Registrations returns every registration so far, oldest first.
func (w *StatusNotifierWatcher) Registrations() []SNIRegistration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.regs)
}

// WaitForRegistration waits up to timeout for a registration answered by
// run generation and returns the first one; ok is false if none came. It
// does not fail the test: a test may expect that no item registers.
func (w *StatusNotifierWatcher) WaitForRegistration(generation int, timeout time.Duration) (reg SNIRegistration, ok bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		w.mu.Lock()
		changed := w.changed
		for _, r := range w.regs {
			if r.Generation == generation {
				w.mu.Unlock()
				return r, true
			}
		}
		w.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			return SNIRegistration{}, false
		}
	}
}

func (w *StatusNotifierWatcher) start() (err error) {
	conn, err := dbus.Connect(w.addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", w.addr, err)
	}
	defer func() {
		if err != nil {
			_ = conn.Close()
		}
	}()
	w.mu.Lock()
	w.gen++
	srv := watcherServer{w: w, gen: w.gen}
	w.mu.Unlock()

	if err := conn.Export(srv, watcherPath, watcherIface); err != nil {
		return err
	}
	props, err := prop.Export(conn, watcherPath, prop.Map{
		watcherIface: {
			"RegisteredStatusNotifierItems":  {Value: []string{}, Emit: prop.EmitTrue},
			"IsStatusNotifierHostRegistered": {Value: true, Emit: prop.EmitTrue},
			"ProtocolVersion":                {Value: int32(0), Emit: prop.EmitTrue},
		},
	})
	if err != nil {
		return err
	}
	node := &introspect.Node{
		Name: string(watcherPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			{
				Name:       watcherIface,
				Methods:    introspect.Methods(srv),
				Properties: props.Introspection(watcherIface),
				Signals: []introspect.Signal{
					{Name: "StatusNotifierItemRegistered", Args: []introspect.Arg{{Type: "s"}}},
					{Name: "StatusNotifierItemUnregistered", Args: []introspect.Arg{{Type: "s"}}},
					{Name: "StatusNotifierHostRegistered"},
				},
			},
		},
	}
	if err := conn.Export(introspect.NewIntrospectable(node), watcherPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return err
	}
	// Publish the connection before taking the name: an item may register
	// as soon as it sees the name.
	w.mu.Lock()
	w.conn, w.props = conn, props
	w.mu.Unlock()
	reply, err := conn.RequestName(watcherName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("requesting %s: %w", watcherName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("%s has an owner already (a panel?)", watcherName)
	}
	return nil
}

func (w *StatusNotifierWatcher) stop() {
	w.mu.Lock()
	conn := w.conn
	w.conn, w.props = nil, nil
	w.mu.Unlock()
	if conn != nil {
		_ = conn.Close()
	}
}

// watcherServer holds the methods one run of the watcher exports.
type watcherServer struct {
	w   *StatusNotifierWatcher
	gen int
}

// RegisterStatusNotifierItem records an item and announces it.
func (s watcherServer) RegisterStatusNotifierItem(sender dbus.Sender, service string) *dbus.Error {
	w := s.w
	reg := SNIRegistration{Service: service, Sender: string(sender), Generation: s.gen}
	w.mu.Lock()
	w.regs = append(w.regs, reg)
	close(w.changed)
	w.changed = make(chan struct{})
	var items []string
	for _, r := range w.regs {
		if r.Generation == s.gen && !slices.Contains(items, r.Item()) {
			items = append(items, r.Item())
		}
	}
	conn, props := w.conn, w.props
	if s.gen != w.gen {
		conn, props = nil, nil // a call that reached a stopped run
	}
	w.mu.Unlock()
	if props != nil {
		props.SetMust(watcherIface, "RegisteredStatusNotifierItems", items)
	}
	if conn != nil {
		_ = conn.Emit(watcherPath, watcherIface+".StatusNotifierItemRegistered", reg.Item())
	}
	return nil
}

// RegisterStatusNotifierHost accepts a host; the fake always claims one.
func (watcherServer) RegisterStatusNotifierHost(string) *dbus.Error { return nil }
