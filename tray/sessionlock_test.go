//go:build unix && !darwin

package tray

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/tray/sessionwatch"
)

type seenEvent struct {
	e       sessionwatch.Event
	locking bool
}

// TestAppLocksOnScreenLockAndSuspend: the real watcher on a private
// session bus and a private system bus with a stand-in logind, and the
// App with a real Manager. With the settings off, every desktop's screen
// lock and a suspend reach the loop and lock nothing (and the machine may
// sleep at once); with them on, each locks every profile, logs one line
// with its reason, and lets the machine sleep only after locking.
func TestAppLocksOnScreenLockAndSuspend(t *testing.T) {
	if _, err := exec.LookPath("gdbus"); err != nil {
		testenv.Missing(t, "gdbus (Debian package libglib2.0-bin): %v", err)
	}
	sessionBus, systemBus := testenv.StartSessionBus(t), testenv.StartSessionBus(t)
	logind := testenv.StartLogind(t, systemBus, "c1")

	seen := make(chan seenEvent, 16)
	var logs testenv.SyncBuffer
	h := newApp(t, func(a *App) {
		a.sessionSeen = func(e sessionwatch.Event, locking bool) { seen <- seenEvent{e, locking} }
		a.o.Log = slog.New(slog.NewTextHandler(&logs, nil))
	})
	ctx, cancel := context.WithCancel(context.Background())
	ready, stopped := make(chan struct{}), make(chan struct{})
	env := map[string]string{"DBUS_SESSION_BUS_ADDRESS": sessionBus, "DBUS_SYSTEM_BUS_ADDRESS": systemBus, "XDG_SESSION_ID": "c1"}
	go func() {
		defer close(stopped)
		_ = sessionwatch.Run(ctx, sessionwatch.Options{Getenv: func(k string) string { return env[k] }, OnEvent: h.app.OnSession, Ready: func() { close(ready) }})
	}()
	t.Cleanup(func() { cancel(); <-stopped })
	select {
	case <-ready:
	case <-time.After(20 * time.Second):
		t.Fatal("the watcher did not get ready")
	}

	emit := func(path, signal string) func() {
		return func() {
			cmd := exec.Command("gdbus", "emit", "--session", "--object-path", path, "--signal", signal, "true")
			cmd.Env = append(os.Environ(), "DBUS_SESSION_BUS_ADDRESS="+sessionBus)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("gdbus emit %s: %v\n%s", signal, err, out)
			}
		}
	}
	triggers := []struct {
		name   string
		reason sessionwatch.Reason
		emit   func()
	}{
		{"KDE", sessionwatch.ScreenLocked, emit("/ScreenSaver", "org.freedesktop.ScreenSaver.ActiveChanged")},
		{"GNOME shield", sessionwatch.ScreenLocked, emit("/org/gnome/ScreenSaver", "org.gnome.ScreenSaver.ActiveChanged")},
		{"XFCE", sessionwatch.ScreenLocked, emit("/org/xfce/ScreenSaver", "org.xfce.ScreenSaver.ActiveChanged")},
		{"LockedHint", sessionwatch.ScreenLocked, func() {
			if err := logind.SetLockedHint(true); err != nil {
				t.Fatal(err)
			}
		}},
		{"suspend", sessionwatch.Suspend, func() {
			if err := logind.PrepareForSleep(true); err != nil {
				t.Fatal(err)
			}
		}},
	}
	waitSeen := func(name string, reason sessionwatch.Reason, locking bool) {
		t.Helper()
		select {
		case s := <-seen:
			if s.e.Reason != reason || s.locking != locking {
				t.Fatalf("%s: the loop saw %s, locking %v; want %s, locking %v", name, s.e.Reason, s.locking, reason, locking)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s: the loop never saw it", name)
		}
	}
	held := func() bool {
		for _, p := range h.m.Snapshot().Profiles {
			if p.Name == "tool" {
				return p.Held()
			}
		}
		return false
	}
	unlock := func() {
		t.Helper()
		h.app.Intents() <- Intent{Kind: IntentUnlock, Profile: "tool"}
		h.waitMenu(t, "tool unlocked", func(m Menu) bool { return title(m, "p/tool") == "tool — active" })
	}

	// Off (the default): seen, and nothing locked — no LockAll was even
	// started, so the snapshot can be read at once.
	unlock()
	for _, tr := range triggers {
		tr.emit()
		waitSeen(tr.name, tr.reason, false)
		if !held() {
			t.Fatalf("%s locked the profile with the settings off", tr.name)
		}
	}
	inh := logind.Inhibitions()
	if len(inh) != 1 {
		t.Fatalf("inhibitions: %d", len(inh))
	}
	if err := inh[0].WaitReleased(20 * time.Second); err != nil {
		t.Fatalf("with lock_on_suspend off the machine was held: %v", err)
	}
	if err := logind.PrepareForSleep(false); err != nil { // awake: a new delay is taken
		t.Fatal(err)
	}

	// On: each locks every profile.
	for _, key := range []string{"lock_on_screen_lock", "lock_on_suspend"} {
		h.app.Intents() <- Intent{Kind: IntentSetting, Setting: key, Value: "true"}
	}
	h.waitMenu(t, "both toggles on", func(m Menu) bool {
		a, _ := find(m.Items, "settings/lockscreen")
		b, _ := find(m.Items, "settings/locksuspend")
		return a.Checked && b.Checked
	})
	for _, tr := range triggers {
		unlock()
		tr.emit()
		waitSeen(tr.name, tr.reason, true)
		h.waitMenu(t, tr.name+" locks tool", func(m Menu) bool { return title(m, "p/tool") == "tool — locked" })
		if tr.reason == sessionwatch.Suspend {
			// The watcher took this delay before it reported the suspend.
			inh := logind.Inhibitions()
			if len(inh) != 2 {
				t.Fatalf("inhibitions: %d", len(inh))
			}
			if err := inh[1].WaitReleased(20 * time.Second); err != nil {
				t.Fatalf("the sleep delay was not released after the lock: %v", err)
			}
		}
	}
	waitFor(t, "a log line per lock", func() bool { return strings.Count(logs.String(), "locked every profile") == len(triggers) })
	if n := strings.Count(logs.String(), "reason=suspend"); n != 1 {
		t.Fatalf("log:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), `reason="screen locked"`); n != 4 {
		t.Fatalf("log:\n%s", logs.String())
	}
}
