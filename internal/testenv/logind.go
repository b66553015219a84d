//go:build !windows

package testenv

import (
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Logind stands in for systemd-logind on a test's private "system" bus
// (a second StartSessionBus, its address given as DBUS_SYSTEM_BUS_ADDRESS):
// it owns org.freedesktop.login1, answers GetSession, GetSessionByPID and
// Inhibit (with the write end of a pipe, as logind hands out a FIFO's), and
// emits PrepareForSleep and the session's LockedHint changes when told.
type Logind struct {
	conn    *dbus.Conn
	session dbus.ObjectPath

	mu       sync.Mutex // guards inhibits and calls
	inhibits []*Inhibition
	calls    []string // "GetSession c1", "GetSessionByPID 42", "Inhibit sleep delay"
}

// Inhibition is one Inhibit call: what was asked, and the pipe whose
// write end the caller got.
type Inhibition struct {
	What, Who, Why, Mode string
	r, w                 *os.File
}

// StartLogind takes org.freedesktop.login1 on the bus at busAddress, with
// one session whose ID is sessionID, until the test ends.
func StartLogind(t testing.TB, busAddress, sessionID string) *Logind {
	t.Helper()
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		t.Fatalf("stand-in logind: connecting: %v", err)
	}
	l := &Logind{conn: conn, session: dbus.ObjectPath("/org/freedesktop/login1/session/" + sessionID)}
	t.Cleanup(func() {
		conn.Close()
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, in := range l.inhibits {
			in.r.Close()
			in.w.Close()
		}
	})
	if err := conn.Export(logindManager{l, sessionID}, "/org/freedesktop/login1", "org.freedesktop.login1.Manager"); err != nil {
		t.Fatal(err)
	}
	reply, err := conn.RequestName("org.freedesktop.login1", dbus.NameFlagDoNotQueue)
	if err != nil || reply != dbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("stand-in logind: taking org.freedesktop.login1: %v (reply %d)", err, reply)
	}
	return l
}

// SessionPath is the session's object path.
func (l *Logind) SessionPath() dbus.ObjectPath { return l.session }

// PrepareForSleep emits logind's signal before (true) and after (false)
// a suspend.
func (l *Logind) PrepareForSleep(start bool) error {
	return l.conn.Emit("/org/freedesktop/login1", "org.freedesktop.login1.Manager.PrepareForSleep", start)
}

// SetLockedHint emits the session's PropertiesChanged for LockedHint.
func (l *Logind) SetLockedHint(locked bool) error {
	return l.conn.Emit(l.session, "org.freedesktop.DBus.Properties.PropertiesChanged", "org.freedesktop.login1.Session",
		map[string]dbus.Variant{"LockedHint": dbus.MakeVariant(locked)}, []string{})
}

// Calls lists the method calls answered so far.
func (l *Logind) Calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.calls...)
}

// Inhibitions returns the Inhibit calls answered so far.
func (l *Logind) Inhibitions() []*Inhibition {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*Inhibition(nil), l.inhibits...)
}

// WaitReleased waits until every holder of the inhibition's write end has
// closed it, as logind sees a delay lock released. Call it only once the
// caller has received the fd (the stand-in then closes its own copy).
func (in *Inhibition) WaitReleased(within time.Duration) error {
	in.w.Close()
	_ = in.r.SetReadDeadline(time.Now().Add(within))
	var b [1]byte
	_, err := in.r.Read(b[:])
	switch {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return errors.New("the inhibitor's pipe was written to")
	}
	return err
}

type logindManager struct {
	l  *Logind
	id string
}

func (m logindManager) record(call string) {
	m.l.mu.Lock()
	m.l.calls = append(m.l.calls, call)
	m.l.mu.Unlock()
}

func (m logindManager) GetSession(id string) (dbus.ObjectPath, *dbus.Error) {
	m.record("GetSession " + id)
	if id != m.id && id != "auto" {
		return "", dbus.NewError("org.freedesktop.login1.NoSuchSession", []any{"No session '" + id + "' known"})
	}
	return m.l.session, nil
}

func (m logindManager) GetSessionByPID(pid uint32) (dbus.ObjectPath, *dbus.Error) {
	m.record("GetSessionByPID")
	return m.l.session, nil
}

func (m logindManager) Inhibit(what, who, why, mode string) (dbus.UnixFD, *dbus.Error) {
	m.record("Inhibit " + what + " " + mode)
	r, w, err := os.Pipe()
	if err != nil {
		return -1, dbus.MakeFailedError(err)
	}
	m.l.mu.Lock()
	m.l.inhibits = append(m.l.inhibits, &Inhibition{What: what, Who: who, Why: why, Mode: mode, r: r, w: w})
	m.l.mu.Unlock()
	// godbus sends the fd when this returns; the stand-in keeps its copy
	// until WaitReleased.
	return dbus.UnixFD(w.Fd()), nil
}
