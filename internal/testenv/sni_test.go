package testenv

import (
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// TestWatcherRestart: a restart is seen on the bus as a real one is — the
// name goes away, then comes back with a new owner — and registrations
// are counted per run.
func TestWatcherRestart(t *testing.T) {
	addr := StartSessionBus(t)
	w := StartStatusNotifierWatcher(t, addr)
	item, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer item.Close()
	if err := item.AddMatchSignal(dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, watcherName)); err != nil {
		t.Fatal(err)
	}
	sigs := make(chan *dbus.Signal, 10)
	item.Signal(sigs)

	register := func() {
		t.Helper()
		if err := item.Object(watcherName, watcherPath).Call(watcherIface+".RegisterStatusNotifierItem", 0, "/StatusNotifierItem").Err; err != nil {
			t.Fatal(err)
		}
	}
	register()
	if r, ok := w.WaitForRegistration(1, 5*time.Second); !ok || r.Item() != item.Names()[0]+"/StatusNotifierItem" {
		t.Fatalf("registration %+v, %v", r, ok)
	}
	var items []string
	if err := item.Object(watcherName, watcherPath).StoreProperty(watcherIface+".RegisteredStatusNotifierItems", &items); err != nil || len(items) != 1 {
		t.Fatalf("RegisteredStatusNotifierItems %v: %v", items, err)
	}

	w.Restart()
	var got [][]any
	for len(got) < 2 {
		select {
		case s := <-sigs:
			if s.Name == "org.freedesktop.DBus.NameOwnerChanged" {
				got = append(got, s.Body)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("NameOwnerChanged signals: %v", got)
		}
	}
	if got[0][2] != "" || got[1][1] != "" || got[1][2] == "" || got[0][1] == got[1][2] {
		t.Fatalf("NameOwnerChanged %v: want the name released, then owned by a new connection", got)
	}
	if _, ok := w.WaitForRegistration(2, 100*time.Millisecond); ok || w.Generation() != 2 {
		t.Fatal("a registration in run 2 before anyone registered again")
	}
	register()
	if _, ok := w.WaitForRegistration(2, 5*time.Second); !ok || len(w.Registrations()) != 2 {
		t.Fatalf("registrations %+v", w.Registrations())
	}
}

func TestRecorderReplaces(t *testing.T) {
	addr := StartSessionBus(t)
	r := StartNotificationRecorder(t, addr)
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	notify := func(replaces uint32) uint32 {
		t.Helper()
		var id uint32
		err := conn.Object(notificationsName, notificationsPath).Call(notificationsIface+".Notify", 0,
			"app", replaces, "", "summary", "body", []string{}, map[string]dbus.Variant{}, int32(-1)).Store(&id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	a := notify(0)
	if b := notify(a); b != a {
		t.Errorf("replacing %d gave %d", a, b)
	}
	if c := notify(77); c == 77 || c == a {
		t.Errorf("replacing an unknown id gave %d", c)
	}
	if n := r.WaitFor(3, time.Second); n[0].Sender != conn.Names()[0] || n[1].ReplacesID != a {
		t.Errorf("recorded %+v", n)
	}
	if err := r.CloseNotification(999, ClosedDismissed); err == nil {
		t.Error("closing an unknown notification succeeded")
	}
	var name, vendor, version, spec string
	if err := conn.Object(notificationsName, notificationsPath).Call(notificationsIface+".GetServerInformation", 0).Store(&name, &vendor, &version, &spec); err != nil || spec != "1.2" {
		t.Errorf("GetServerInformation: %v %q", err, spec)
	}
}
