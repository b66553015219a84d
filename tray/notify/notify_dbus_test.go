//go:build linux || freebsd || openbsd || netbsd || dragonfly

package notify

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"

	"github.com/awstray/awstray/internal/testenv"
)

// onBus starts a private session bus for the test and points this process
// at it.
func onBus(t *testing.T) string {
	t.Helper()
	addr := testenv.StartSessionBus(t)
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return addr
}

// callbacks records what a Notifier reports.
type callbacks struct {
	closed  chan [2]uint32
	actions chan string
}

func newCallbacks() *callbacks {
	return &callbacks{closed: make(chan [2]uint32, 16), actions: make(chan string, 16)}
}

func (c *callbacks) options() Options {
	return Options{
		OnClosed: func(id ID, r CloseReason) { c.closed <- [2]uint32{uint32(id), uint32(r)} },
		OnAction: func(id ID, key string) { c.actions <- fmt.Sprintf("%s@%d", key, id) },
	}
}

func (c *callbacks) wantClosed(t *testing.T, id ID, reason CloseReason) {
	t.Helper()
	select {
	case got := <-c.closed:
		if got != [2]uint32{uint32(id), uint32(reason)} {
			t.Fatalf("OnClosed%v, want (%d, %d)", got, id, reason)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no OnClosed(%d, %v)", id, reason)
	}
}

func (c *callbacks) wantNothing(t *testing.T) {
	t.Helper()
	select {
	case got := <-c.closed:
		t.Fatalf("unexpected OnClosed%v", got)
	case got := <-c.actions:
		t.Fatalf("unexpected OnAction %s", got)
	default:
	}
}

func TestNotify(t *testing.T) {
	for _, unicast := range []bool{false, true} {
		name := "broadcast signals (GNOME Shell, Plasma)"
		if unicast {
			name = "unicast signals (dunst)"
		}
		t.Run(name, func(t *testing.T) {
			addr := onBus(t)
			rec := testenv.StartNotificationRecorder(t, addr)
			rec.SetUnicast(unicast)
			cb := newCallbacks()
			n, err := New(cb.options())
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()

			icon := filepath.Join(t.TempDir(), "awstray icon.png")
			id1, err := n.Notify(Notification{
				Title: "prod: session expires in 10 min", Body: "Renew to keep working.",
				Urgency: Critical, Timeout: Never, Icon: icon,
				Actions: []Action{{Key: "renew", Label: "Renew…"}},
			})
			if err != nil {
				t.Fatal(err)
			}
			id2, err := n.Notify(Notification{Title: "dev unlocked", Urgency: Low, Timeout: 1500 * time.Millisecond, Icon: "awstray"})
			if err != nil {
				t.Fatal(err)
			}
			id3, err := n.Notify(Notification{Title: "prod: session expires in 5 min", Replaces: id1})
			if err != nil {
				t.Fatal(err)
			}
			if id1 == 0 || id2 == id1 || id3 != id1 {
				t.Fatalf("ids %d, %d, %d: want a new id, then the replaced one", id1, id2, id3)
			}

			notes := rec.WaitFor(3, 10*time.Second)
			first := notes[0]
			if first.AppName != "awstray" || first.Summary != "prod: session expires in 10 min" || first.Body != "Renew to keep working." {
				t.Errorf("first notification: %+v", first)
			}
			if want := (&url.URL{Scheme: "file", Path: icon}).String(); first.AppIcon != want || !strings.HasSuffix(want, "/awstray%20icon.png") {
				t.Errorf("app_icon %q, want %q", first.AppIcon, want)
			}
			if first.Timeout != 0 || notes[1].Timeout != 1500 || notes[2].Timeout != -1 {
				t.Errorf("timeouts %d, %d, %d; want 0 (never), 1500, -1 (server's)", first.Timeout, notes[1].Timeout, notes[2].Timeout)
			}
			for i, want := range []byte{2, 0, 1} {
				if u, ok := notes[i].Hints["urgency"].Value().(byte); !ok || u != want {
					t.Errorf("notification %d: urgency hint %v, want byte %d", i, notes[i].Hints["urgency"], want)
				}
				if de, _ := notes[i].Hints["desktop-entry"].Value().(string); de != "awstray" {
					t.Errorf("notification %d: desktop-entry hint %q", i, de)
				}
			}
			if strings.Join(first.Actions, ",") != "renew,Renew…" || notes[1].AppIcon != "awstray" || notes[2].ReplacesID != uint32(id1) {
				t.Errorf("actions %q, icon %q, replaces %d", first.Actions, notes[1].AppIcon, notes[2].ReplacesID)
			}

			// The person clicks "Renew…", then dismisses it.
			if err := rec.InvokeAction(uint32(id1), "renew"); err != nil {
				t.Fatal(err)
			}
			select {
			case got := <-cb.actions:
				if got != fmt.Sprintf("renew@%d", id1) {
					t.Errorf("OnAction %s", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no OnAction")
			}
			if err := rec.CloseNotification(uint32(id1), testenv.ClosedDismissed); err != nil {
				t.Fatal(err)
			}
			cb.wantClosed(t, id1, Dismissed)

			// The tray withdraws the other one.
			if err := n.CloseNotification(id2); err != nil {
				t.Fatal(err)
			}
			cb.wantClosed(t, id2, ClosedByCall)
			if got := rec.ClosedByClient(); len(got) != 1 || got[0] != uint32(id2) {
				t.Errorf("closed by the client: %v", got)
			}
			if err := n.CloseNotification(id2); err != nil {
				t.Errorf("withdrawing a closed notification: %v", err)
			}
			cb.wantNothing(t)
		})
	}
}

// TestForeignSignals: with a broadcasting server, the Notifier sees other
// programs' NotificationClosed and ActionInvoked, and garbage anyone can
// send; it reports only its own notifications.
func TestForeignSignals(t *testing.T) {
	addr := onBus(t)
	rec := testenv.StartNotificationRecorder(t, addr)
	cb := newCallbacks()
	n, err := New(cb.options())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()

	other, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var foreign uint32
	err = other.Object("org.freedesktop.Notifications", "/org/freedesktop/Notifications").Call(
		"org.freedesktop.Notifications.Notify", 0, "other", uint32(0), "", "other's", "", []string{},
		map[string]dbus.Variant{}, int32(-1)).Store(&foreign)
	if err != nil {
		t.Fatal(err)
	}
	mine, err := n.Notify(Notification{Title: "mine"})
	if err != nil {
		t.Fatal(err)
	}
	// Malformed signals on the interface: a panic here would take the tray down.
	for _, body := range [][]any{{"x"}, {"x", uint32(2)}, {uint32(mine), "two"}, {uint32(mine)}, {uint32(0), uint32(2)}} {
		if err := other.Emit("/org/freedesktop/Notifications", "org.freedesktop.Notifications.NotificationClosed", body...); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.InvokeAction(foreign, "default"); err != nil {
		t.Fatal(err)
	}
	if err := rec.CloseNotification(foreign, testenv.ClosedDismissed); err != nil {
		t.Fatal(err)
	}
	if err := rec.CloseNotification(uint32(mine), testenv.ClosedExpired); err != nil {
		t.Fatal(err)
	}
	cb.wantClosed(t, mine, Expired) // the first report is about ours
	cb.wantNothing(t)
}

func TestNoServer(t *testing.T) {
	onBus(t)
	n, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	_, err = n.Notify(Notification{Title: "x"})
	if !errors.Is(err, ErrNoServer) {
		t.Fatalf("Notify with no server: %v, want ErrNoServer", err)
	}
	if want := "sending a notification: no notification server on the session bus"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}

func TestNoSessionBus(t *testing.T) {
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	if _, err := New(Options{}); err == nil || !strings.Contains(err.Error(), "session bus") {
		t.Fatalf("New with the bus disabled: %v", err)
	}
	// No address and no $XDG_RUNTIME_DIR/bus: an error, never an
	// autolaunched dbus-daemon.
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "")
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	if _, err := New(Options{}); err == nil {
		t.Fatal("New with no session bus succeeded")
	}
}

// TestPrivateConnection: the Notifier's connection is not the process's
// shared one, which systray uses.
func TestPrivateConnection(t *testing.T) {
	onBus(t)
	n, err := New(Options{OnClosed: func(ID, CloseReason) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	shared, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer shared.Close() // the next SessionBus() connects anew
	conn, err := n.connection()
	if err != nil {
		t.Fatal(err)
	}
	if conn == shared || conn.Names()[0] == shared.Names()[0] {
		t.Fatal("the Notifier uses the shared session bus connection")
	}
}

func TestReconnect(t *testing.T) {
	addr := onBus(t)
	rec := testenv.StartNotificationRecorder(t, addr)
	cb := newCallbacks()
	n, err := New(cb.options())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	conn, _ := n.connection()
	_ = conn.Close() // as when the bus drops us
	id, err := n.Notify(Notification{Title: "after a reconnect"})
	if err != nil {
		t.Fatalf("Notify on a lost connection: %v", err)
	}
	rec.WaitFor(1, 10*time.Second)
	if err := rec.CloseNotification(uint32(id), testenv.ClosedDismissed); err != nil {
		t.Fatal(err)
	}
	cb.wantClosed(t, id, Dismissed)
}

// hangingServer owns the notification name and never answers.
type hangingServer struct{ release chan struct{} }

func (s hangingServer) Notify(string, uint32, string, string, string, []string, map[string]dbus.Variant, int32) (uint32, *dbus.Error) {
	<-s.release
	return 1, nil
}

func TestServerHangs(t *testing.T) {
	addr := onBus(t)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	srv := hangingServer{make(chan struct{})}
	defer close(srv.release)
	if err := conn.Export(srv, "/org/freedesktop/Notifications", "org.freedesktop.Notifications"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.RequestName("org.freedesktop.Notifications", dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	n, err := New(Options{CallTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	start := time.Now()
	if _, err := n.Notify(Notification{Title: "x"}); err == nil {
		t.Fatal("Notify to a hanging server succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("Notify took %v with a 300ms timeout", d)
	}
}

func TestClose(t *testing.T) {
	onBus(t)
	n, err := New(Options{OnClosed: func(ID, CloseReason) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := n.Notify(Notification{Title: "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Notify after Close: %v, want ErrClosed", err)
	}
}

func TestTimeoutMillis(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int32
	}{
		{0, -1}, {Never, 0}, {-time.Hour, 0}, {time.Nanosecond, 1}, {1500 * time.Millisecond, 1500},
		{time.Minute, 60000}, {1000 * time.Hour, 1<<31 - 1},
	} {
		if got := timeoutMillis(tc.d); got != tc.want {
			t.Errorf("timeoutMillis(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestIconArg(t *testing.T) {
	wd, _ := filepath.Abs(".")
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"awstray", "awstray"},
		{"dialog-warning", "dialog-warning"},
		{"/usr/share/icons/a b.png", "file:///usr/share/icons/a%20b.png"},
		{"icons/x.png", "file://" + filepath.Join(wd, "icons/x.png")},
	} {
		if got := iconArg(tc.in); got != tc.want {
			t.Errorf("iconArg(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
