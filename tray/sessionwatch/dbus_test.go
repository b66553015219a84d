//go:build unix && !darwin

package sessionwatch

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// buses is a private session bus, a private bus standing in for the
// system bus, and a stand-in logind on it.
type buses struct {
	session, system string
	logind          *testenv.Logind
}

func startBuses(t *testing.T) buses {
	t.Helper()
	if _, err := exec.LookPath("gdbus"); err != nil {
		testenv.Missing(t, "gdbus (Debian package libglib2.0-bin): %v", err)
	}
	b := buses{session: testenv.StartSessionBus(t), system: testenv.StartSessionBus(t)}
	b.logind = testenv.StartLogind(t, b.system, "c1")
	return b
}

// gdbusEmit emits a signal as a desktop's screen saver does, from another
// process. addr is the session bus's address, or the system bus's when
// system (gdbus --address would not register on the bus, and the bus
// would not pass its signals on).
func gdbusEmit(t *testing.T, addr string, system bool, path, signal string, args ...string) {
	t.Helper()
	bus, env := "--session", "DBUS_SESSION_BUS_ADDRESS="+addr
	if system {
		bus, env = "--system", "DBUS_SYSTEM_BUS_ADDRESS="+addr
	}
	cmd := exec.Command("gdbus", append([]string{"emit", bus, "--object-path", path, "--signal", signal}, args...)...)
	cmd.Env = append(os.Environ(), env)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("gdbus emit %s: %v\n%s", signal, err, out)
	}
}

// startWatcher runs the watcher until the test ends and returns its events.
func startWatcher(t *testing.T, env map[string]string) <-chan Event {
	t.Helper()
	events := make(chan Event, 16)
	ready := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() {
		stopped <- Run(ctx, Options{
			Getenv:  func(k string) string { return env[k] },
			OnEvent: func(e Event) { events <- e },
			Ready:   func() { close(ready) },
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-stopped; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	})
	select {
	case <-ready:
	case err := <-stopped:
		t.Fatalf("the watcher stopped: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("the watcher did not get ready")
	}
	return events
}

func next(t *testing.T, events <-chan Event, what string) Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	return Event{}
}

func expect(t *testing.T, events <-chan Event, reason Reason, source string) Event {
	t.Helper()
	e := next(t, events, source)
	if e.Reason != reason || e.Source != source {
		t.Fatalf("got %s from %q, want %s from %q", e.Reason, e.Source, reason, source)
	}
	return e
}

// TestWatcherSeesEveryDesktopsLock: each desktop's way of saying the
// screen locked is one event; the way back (false) and the same signal
// from a program that is not logind are none — each is followed by a
// signal that counts, which must be the next event.
func TestWatcherSeesEveryDesktopsLock(t *testing.T) {
	for _, tc := range []struct {
		name, sessionID, wantCall string
	}{
		{"XDG_SESSION_ID", "c1", "GetSession c1"},
		{"by PID", "", "GetSessionByPID"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := startBuses(t)
			env := map[string]string{"DBUS_SESSION_BUS_ADDRESS": b.session, "DBUS_SYSTEM_BUS_ADDRESS": b.system}
			if tc.sessionID != "" {
				env["XDG_SESSION_ID"] = tc.sessionID
			}
			events := startWatcher(t, env)
			if calls := b.logind.Calls(); !slices.Contains(calls, tc.wantCall) {
				t.Fatalf("logind calls %q, want %q", calls, tc.wantCall)
			}

			// KDE (and the unlock of each: nothing).
			for _, path := range []string{"/org/freedesktop/ScreenSaver", "/ScreenSaver"} {
				gdbusEmit(t, b.session, false, path, "org.freedesktop.ScreenSaver.ActiveChanged", "false")
				gdbusEmit(t, b.session, false, path, "org.freedesktop.ScreenSaver.ActiveChanged", "true")
				expect(t, events, ScreenLocked, "org.freedesktop.ScreenSaver.ActiveChanged")
			}
			// GNOME's shield, XFCE.
			gdbusEmit(t, b.session, false, "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged", "false")
			gdbusEmit(t, b.session, false, "/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged", "true")
			expect(t, events, ScreenLocked, "org.gnome.ScreenSaver.ActiveChanged")
			gdbusEmit(t, b.session, false, "/org/xfce/ScreenSaver", "org.xfce.ScreenSaver.ActiveChanged", "true")
			expect(t, events, ScreenLocked, "org.xfce.ScreenSaver.ActiveChanged")

			// logind's LockedHint (GNOME, KDE): a program that is not logind
			// saying so does not count.
			gdbusEmit(t, b.system, true, string(b.logind.SessionPath()), "org.freedesktop.DBus.Properties.PropertiesChanged",
				"org.freedesktop.login1.Session", "{'LockedHint': <true>}", "@as []")
			if err := b.logind.PrepareForSleep(true); err != nil {
				t.Fatal(err)
			}
			expect(t, events, Suspend, "logind PrepareForSleep").Done()
			if err := b.logind.SetLockedHint(false); err != nil {
				t.Fatal(err)
			}
			if err := b.logind.SetLockedHint(true); err != nil {
				t.Fatal(err)
			}
			e := expect(t, events, ScreenLocked, "logind LockedHint")
			e.Done() // nothing to release; must not panic
		})
	}
}

// TestWatcherHoldsSleepUntilDone: a delay lock on sleep is held from the
// start, released by the suspend event's Done (and only then), and taken
// again after the machine wakes.
func TestWatcherHoldsSleepUntilDone(t *testing.T) {
	b := startBuses(t)
	events := startWatcher(t, map[string]string{"DBUS_SESSION_BUS_ADDRESS": b.session, "DBUS_SYSTEM_BUS_ADDRESS": b.system, "XDG_SESSION_ID": "c1"})
	inh := b.logind.Inhibitions()
	if len(inh) != 1 || inh[0].What != "sleep" || inh[0].Mode != "delay" || inh[0].Who != "awstray" {
		t.Fatalf("inhibitions: %+v", inh)
	}
	if err := b.logind.PrepareForSleep(true); err != nil {
		t.Fatal(err)
	}
	e := expect(t, events, Suspend, "logind PrepareForSleep")
	// Nothing but Done releases it, so a short look is enough here.
	if err := inh[0].WaitReleased(50 * time.Millisecond); err == nil {
		t.Fatal("the sleep delay was released before Done")
	}
	e.Done()
	if err := inh[0].WaitReleased(20 * time.Second); err != nil {
		t.Fatalf("the sleep delay was not released after Done: %v", err)
	}
	e.Done()

	if err := b.logind.PrepareForSleep(false); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for len(b.logind.Inhibitions()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no new sleep delay after waking: calls %s", strings.Join(b.logind.Calls(), ", "))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
