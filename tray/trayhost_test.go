//go:build linux

package tray

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/doctor"
	"github.com/awstray/awstray/internal/testenv"
)

// trayHostRun runs watchTrayHost to its end against the real tray check
// on the bus at addr (as on GNOME), and returns what it said.
func trayHostRun(t *testing.T, addr string, grace time.Duration, onCheck func(n int)) []doctor.Result {
	t.Helper()
	env := doctor.Env{Getenv: func(k string) string {
		switch k {
		case "DBUS_SESSION_BUS_ADDRESS":
			return addr
		case "XDG_CURRENT_DESKTOP":
			return "ubuntu:GNOME"
		}
		return ""
	}}
	var said []doctor.Result
	n := 0
	watchTrayHost(context.Background(), trayHostWatch{
		Check: func(ctx context.Context) doctor.Result {
			r := doctor.CheckTray(ctx, env)
			n++
			if onCheck != nil {
				onCheck(n)
			}
			return r
		},
		Grace: grace,
		Poll:  50 * time.Millisecond,
		Sleep: sleepCtx,
		Say:   func(r doctor.Result) { said = append(said, r) },
	})
	return said
}

// TestTrayHostMissing: on a bus with no StatusNotifierWatcher the tray
// says once what to install; with one, or with one that comes during the
// grace period (a panel starting after the tray), it says nothing.
func TestTrayHostMissing(t *testing.T) {
	t.Run("no watcher", func(t *testing.T) {
		said := trayHostRun(t, testenv.StartSessionBus(t), 300*time.Millisecond, nil)
		if len(said) != 1 {
			t.Fatalf("said %d times, want once: %+v", len(said), said)
		}
		if r := said[0]; r.Status != doctor.Fail || !strings.Contains(r.Fix, "AppIndicator") {
			t.Fatalf("said %+v, want a failure naming the AppIndicator extension", r)
		}
	})
	t.Run("watcher", func(t *testing.T) {
		addr := testenv.StartSessionBus(t)
		testenv.StartStatusNotifierWatcher(t, addr)
		if said := trayHostRun(t, addr, 300*time.Millisecond, nil); len(said) != 0 {
			t.Fatalf("said %+v with a watcher on the bus", said)
		}
	})
	t.Run("watcher comes late", func(t *testing.T) {
		addr := testenv.StartSessionBus(t)
		// The grace is long: a wrong "none" would come only after it,
		// so the test does not depend on this machine's speed.
		said := trayHostRun(t, addr, time.Minute, func(n int) {
			if n == 2 {
				testenv.StartStatusNotifierWatcher(t, addr)
			}
		})
		if len(said) != 0 {
			t.Fatalf("said %+v though a watcher came within the grace period", said)
		}
	})
}
