//go:build unix && !darwin

package sessionwatch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/godbus/dbus/v5"
)

const (
	login1Name    = "org.freedesktop.login1"
	login1Path    = dbus.ObjectPath("/org/freedesktop/login1")
	login1Manager = "org.freedesktop.login1.Manager"
	login1Session = "org.freedesktop.login1.Session"
	propsIface    = "org.freedesktop.DBus.Properties"
	autoSession   = dbus.ObjectPath("/org/freedesktop/login1/session/auto")

	defaultSystemBus = "unix:path=/var/run/dbus/system_bus_socket"
	callTimeout      = 5 * time.Second
)

// screenSavers are the interfaces whose ActiveChanged(true) means the
// screen locked (see the package comment for which desktop uses which).
var screenSavers = []string{"org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver", "org.xfce.ScreenSaver"}

// Run listens until ctx ends and returns ctx.Err(). A bus that cannot be
// reached is logged and the other still listened to; the error is returned
// at once only when neither can be.
func Run(ctx context.Context, o Options) error {
	o.defaults()
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	w := &watcher{o: o}
	sess, sessErr := w.listenSession(ctx)
	sys, sysErr := w.listenSystem(ctx)
	if sessErr != nil && sysErr != nil {
		return fmt.Errorf("watching for the screen lock: %w", errors.Join(sessErr, sysErr))
	}
	if sessErr != nil {
		o.Log.Warn("the screen lock of this desktop is seen through logind only", "err", sessErr)
	}
	if sysErr != nil {
		o.Log.Warn("locking on suspend and through logind's lock state is off", "err", sysErr)
	}
	o.Ready()
	var wg sync.WaitGroup
	for _, l := range []*listener{sess, sys} {
		if l != nil {
			wg.Add(1)
			go func() { defer wg.Done(); l.run(ctx) }()
		}
	}
	wg.Wait()
	return ctx.Err()
}

type watcher struct {
	o Options
}

// listener is one bus connection and what its signals mean.
type listener struct {
	conn   *dbus.Conn
	sigs   chan *dbus.Signal
	handle func(*dbus.Signal)
	closed func()
}

func (l *listener) run(ctx context.Context) {
	defer l.conn.Close()
	if l.closed != nil {
		defer l.closed()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case s, ok := <-l.sigs:
			if !ok {
				return // the bus went away
			}
			l.handle(s)
		}
	}
}

// connect opens a private connection: godbus hands every signal of a
// connection to every listener on it, and systray's shared one must not
// see ours (PITFALLS.md).
func connect(addr string) (*dbus.Conn, error) {
	c, err := dbus.Connect(addr)
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (w *watcher) listenSession(ctx context.Context) (*listener, error) {
	addr := w.o.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == "disabled:" {
		return nil, errors.New("no session bus")
	}
	conn, err := connect(addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to the session bus: %w", err)
	}
	for _, iface := range screenSavers {
		if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchInterface(iface), dbus.WithMatchMember("ActiveChanged")); err != nil {
			conn.Close()
			return nil, fmt.Errorf("listening for %s.ActiveChanged: %w", iface, err)
		}
	}
	l := &listener{conn: conn, sigs: make(chan *dbus.Signal, 16)}
	conn.Signal(l.sigs)
	l.handle = func(s *dbus.Signal) {
		for _, iface := range screenSavers {
			if s.Name == iface+".ActiveChanged" && len(s.Body) == 1 && s.Body[0] == true {
				w.o.OnEvent(Event{Reason: ScreenLocked, Source: s.Name})
			}
		}
	}
	return l, nil
}

func (w *watcher) listenSystem(ctx context.Context) (*listener, error) {
	addr := w.o.Getenv("DBUS_SYSTEM_BUS_ADDRESS")
	if addr == "" {
		addr = defaultSystemBus
	}
	conn, err := connect(addr)
	if err != nil {
		return nil, fmt.Errorf("connecting to the system bus: %w", err)
	}
	fail := func(err error) (*listener, error) {
		conn.Close()
		return nil, err
	}
	session, err := w.findSession(ctx, conn)
	if err != nil {
		return fail(err)
	}
	// Only logind may say these: anyone on the system bus can emit a
	// signal, the bus checks the sender.
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchSender(login1Name), dbus.WithMatchObjectPath(session),
		dbus.WithMatchInterface(propsIface), dbus.WithMatchMember("PropertiesChanged"), dbus.WithMatchArg(0, login1Session)); err != nil {
		return fail(fmt.Errorf("listening for the session's lock state: %w", err))
	}
	if err := conn.AddMatchSignalContext(ctx, dbus.WithMatchSender(login1Name), dbus.WithMatchObjectPath(login1Path),
		dbus.WithMatchInterface(login1Manager), dbus.WithMatchMember("PrepareForSleep")); err != nil {
		return fail(fmt.Errorf("listening for suspend: %w", err))
	}
	inh := &inhibitor{conn: conn, log: w.o.Log, fd: -1}
	inh.take(ctx)
	l := &listener{conn: conn, sigs: make(chan *dbus.Signal, 16), closed: inh.release}
	conn.Signal(l.sigs)
	l.handle = func(s *dbus.Signal) {
		switch {
		case s.Path == session && s.Name == propsIface+".PropertiesChanged":
			if lockedHint(s.Body) {
				w.o.OnEvent(Event{Reason: ScreenLocked, Source: "logind LockedHint"})
			}
		case s.Path == login1Path && s.Name == login1Manager+".PrepareForSleep" && len(s.Body) == 1:
			if start, _ := s.Body[0].(bool); start {
				held := inh.held()
				w.o.OnEvent(Event{Reason: Suspend, Source: "logind PrepareForSleep", done: once(func() { inh.releaseIf(held) })})
			} else {
				inh.take(ctx) // awake again: hold the next sleep too
			}
		}
	}
	return l, nil
}

// lockedHint reports whether a PropertiesChanged body sets LockedHint true.
func lockedHint(body []any) bool {
	if len(body) < 2 {
		return false
	}
	changed, ok := body[1].(map[string]dbus.Variant)
	if !ok {
		return false
	}
	v, ok := changed["LockedHint"]
	if !ok {
		return false
	}
	b, _ := v.Value().(bool)
	return b
}

// findSession finds this desktop session's object: by XDG_SESSION_ID, else
// by our PID (a tray started by a systemd user unit is in no session),
// else logind's "auto" session, asked for its real ID since logind emits
// from the real path only.
func (w *watcher) findSession(ctx context.Context, conn *dbus.Conn) (dbus.ObjectPath, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	mgr := conn.Object(login1Name, login1Path)
	var path dbus.ObjectPath
	if id := w.o.Getenv("XDG_SESSION_ID"); id != "" {
		if err := mgr.CallWithContext(ctx, login1Manager+".GetSession", 0, id).Store(&path); err == nil {
			return path, nil
		}
	}
	if err := mgr.CallWithContext(ctx, login1Manager+".GetSessionByPID", 0, uint32(os.Getpid())).Store(&path); err == nil {
		return path, nil
	}
	var id string
	v, err := conn.Object(login1Name, autoSession).GetProperty(login1Session + ".Id")
	if err == nil {
		id, _ = v.Value().(string)
	}
	if id == "" {
		return "", fmt.Errorf("finding this desktop session in logind: %w", cmpErr(err, errors.New("no session")))
	}
	if err := mgr.CallWithContext(ctx, login1Manager+".GetSession", 0, id).Store(&path); err != nil {
		return "", fmt.Errorf("finding session %s in logind: %w", id, err)
	}
	return path, nil
}

func cmpErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// inhibitor holds a logind delay lock on sleep: the machine waits for the
// tray to lock before it suspends.
type inhibitor struct {
	conn *dbus.Conn
	log  interface{ Warn(string, ...any) }

	mu sync.Mutex // guards fd, which take and release (from the tray's loop) share
	fd int        // -1 when none is held
}

func (i *inhibitor) take(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	var fd dbus.UnixFD
	err := i.conn.Object(login1Name, login1Path).CallWithContext(ctx, login1Manager+".Inhibit", 0,
		"sleep", "awstray", "Lock the AWS profiles before the machine sleeps", "delay").Store(&fd)
	if err != nil {
		i.log.Warn("the machine may sleep before awstray locks", "err", fmt.Errorf("taking a sleep delay from logind: %w", err))
		return
	}
	syscall.CloseOnExec(int(fd)) // terminals the tray opens must not hold the sleep
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.fd >= 0 {
		_ = syscall.Close(i.fd)
	}
	i.fd = int(fd)
}

func (i *inhibitor) held() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.fd
}

// releaseIf lets the machine sleep, if fd is still the lock held: a Done
// that comes after the machine woke and a new lock was taken must not drop
// the new one.
func (i *inhibitor) releaseIf(fd int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if fd >= 0 && i.fd == fd {
		_ = syscall.Close(i.fd)
		i.fd = -1
	}
}

func (i *inhibitor) release() { i.releaseIf(i.held()) }
