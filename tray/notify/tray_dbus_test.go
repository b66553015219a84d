//go:build linux || freebsd || openbsd || netbsd || dragonfly

package notify

// The test PITFALLS.md asks for: a real fyne.io/systray program that shows
// and closes notifications must register its item again when the panel
// (the StatusNotifierWatcher) restarts. systray watches for the restart
// on the process's shared session-bus connection and stops watching at the
// first signal there with fewer than three arguments; NotificationClosed
// has two.

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/systray"
	"github.com/gen2brain/beeep"
	"github.com/godbus/dbus/v5"

	"github.com/awstray/awstray/assets"
	"github.com/awstray/awstray/internal/testenv"
)

// runTrayChild is the tray program: systray.Run on the main goroutine with
// one menu item, notifying through this package (mode "notifier") or
// through beeep on the shared connection (mode "beeep"), driven by lines
// on stdin:
//
//	notify TITLE   → "sent ID" or "error MESSAGE"
//	withdraw ID    → "withdrawn" (then "closed ID 3" from the server)
//	quit, or EOF   → systray.Quit
//
// In mode "notifier" it also prints "closed ID REASON" for every
// NotificationClosed its Notifier reports.
func runTrayChild(mode string) int {
	var (
		send     func(title string) (ID, error)
		withdraw func(ID) error
		stop     = func() {}
	)
	switch mode {
	case "notifier":
		n, err := New(Options{OnClosed: func(id ID, r CloseReason) { fmt.Printf("closed %d %d\n", id, r) }})
		if err != nil {
			fmt.Printf("error %v\n", err)
			return 1
		}
		send = func(title string) (ID, error) {
			return n.Notify(Notification{Title: title, Body: "Renew before it expires.", Urgency: Critical})
		}
		withdraw, stop = n.CloseNotification, func() { _ = n.Close() }
	case "beeep":
		beeep.AppName = "awstray"
		send = func(title string) (ID, error) { return 0, beeep.Notify(title, "Renew before it expires.", "") }
		withdraw = func(ID) error { return nil }
	default:
		fmt.Printf("error unknown mode %q\n", mode)
		return 2
	}
	systray.SetTitle("awstray-test") // before Run: it becomes the item's Id
	systray.Run(func() {
		systray.SetIcon(assets.Icon(assets.Active))
		systray.SetTooltip("awstray test")
		quit := systray.AddMenuItem("Quit", "Quit the test tray")
		go func() {
			if _, ok := <-quit.ClickedCh; ok {
				systray.Quit()
			}
		}()
		go func() {
			defer systray.Quit()
			in := bufio.NewScanner(os.Stdin)
			for in.Scan() {
				cmd, arg, _ := strings.Cut(in.Text(), " ")
				switch cmd {
				case "notify":
					if id, err := send(arg); err != nil {
						fmt.Printf("error %v\n", err)
					} else {
						fmt.Printf("sent %d\n", id)
					}
				case "withdraw":
					id, _ := strconv.ParseUint(arg, 10, 32)
					if err := withdraw(ID(id)); err != nil {
						fmt.Printf("error %v\n", err)
					} else {
						fmt.Println("withdrawn")
					}
				case "quit":
					return
				}
			}
		}()
	}, stop)
	return 0
}

// trayChild is a running tray program.
type trayChild struct {
	t       *testing.T
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	lines   chan string
	pending []string // lines read while looking for another
	stderr  *testenv.SyncBuffer
}

func startTrayChild(t *testing.T, busAddress, mode string) *trayChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), trayChildEnv+"="+mode, "DBUS_SESSION_BUS_ADDRESS="+busAddress)
	c := &trayChild{t: t, cmd: cmd, lines: make(chan string, 64), stderr: &testenv.SyncBuffer{}}
	cmd.Stderr = c.stderr
	var err error
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			c.lines <- s.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		_ = c.stdin.Close() // the program quits at EOF
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tray program's stderr:\n%s", c.stderr)
		}
	})
	return c
}

func (c *trayChild) send(line string) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, line+"\n"); err != nil {
		c.t.Fatalf("writing to the tray program: %v", err)
	}
}

// expect returns the first line that starts with prefix, keeping the
// others for later calls; an "error" line fails the test.
func (c *trayChild) expect(prefix string) string {
	c.t.Helper()
	for i, l := range c.pending {
		if strings.HasPrefix(l, prefix) {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return l
		}
	}
	timeout := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("the tray program ended while we waited for %q; stderr:\n%s", prefix, c.stderr)
			}
			if strings.HasPrefix(l, "error") {
				c.t.Fatalf("the tray program: %s", l)
			}
			if strings.HasPrefix(l, prefix) {
				return l
			}
			c.pending = append(c.pending, l)
		case <-timeout:
			c.t.Fatalf("the tray program did not say %q; stderr:\n%s", prefix, c.stderr)
		}
	}
}

// checkItem checks that the registered item is the tray program's and
// that its menu answers.
func checkItem(t *testing.T, busAddress string, reg testenv.SNIRegistration, pid int) {
	t.Helper()
	conn, err := dbus.Connect(busAddress)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var owner string
	name := fmt.Sprintf("org.kde.StatusNotifierItem-%d-1", pid)
	if err := conn.BusObject().Call("org.freedesktop.DBus.GetNameOwner", 0, name).Store(&owner); err != nil {
		t.Fatalf("GetNameOwner(%s): %v", name, err)
	}
	if reg.Sender != owner || reg.Service != "/StatusNotifierItem" {
		t.Fatalf("registration %+v, want /StatusNotifierItem from %s (%s)", reg, owner, name)
	}
	var rev uint32
	var layout struct {
		ID       int32
		Props    map[string]dbus.Variant
		Children []dbus.Variant
	}
	err = conn.Object(owner, "/StatusNotifierItem/menu").Call("com.canonical.dbusmenu.GetLayout", 0, int32(0), int32(-1), []string{}).Store(&rev, &layout)
	if err != nil {
		t.Fatalf("GetLayout: %v", err)
	}
	for _, ch := range layout.Children {
		if item, ok := ch.Value().([]any); ok && len(item) == 3 {
			if props, ok := item[1].(map[string]dbus.Variant); ok && props["label"].Value() == "Quit" {
				return
			}
		}
	}
	t.Fatalf("the menu has no Quit item: %+v", layout)
}

// trayScenario runs the tray program on a private bus with a fake watcher
// and a notification recorder. Each round shows three notifications and
// has the person dismiss them (in mode "notifier" also withdraws a fourth),
// then restarts the watcher and waits up to wait for the item to register
// with the new watcher. It returns the rounds after which it did; it stops
// at the first round after which it did not.
func trayScenario(t *testing.T, mode string, unicast bool, rounds int, wait time.Duration) (registeredAgain int) {
	addr := testenv.StartSessionBus(t)
	watcher := testenv.StartStatusNotifierWatcher(t, addr)
	rec := testenv.StartNotificationRecorder(t, addr)
	rec.SetUnicast(unicast)
	child := startTrayChild(t, addr, mode)

	reg, ok := watcher.WaitForRegistration(1, 20*time.Second)
	if !ok {
		t.Fatalf("the tray item never registered; stderr:\n%s", child.stderr)
	}
	checkItem(t, addr, reg, child.cmd.Process.Pid)

	shown := 0
	for round := 1; round <= rounds; round++ {
		for i := 0; i < 3; i++ {
			child.send(fmt.Sprintf("notify prod: session expires in %d min", 10-i))
			child.expect("sent ")
		}
		shown += 3
		notes := rec.WaitFor(shown, 20*time.Second)
		for _, n := range notes[shown-3:] {
			if n.AppName != "awstray" {
				t.Errorf("app name %q", n.AppName)
			}
			// The point of the private connection: notifications do not
			// come from the connection that holds the tray item.
			if shared := n.Sender == reg.Sender; shared != (mode == "beeep") {
				t.Errorf("mode %s: notification from %s, tray item on %s", mode, n.Sender, reg.Sender)
			}
			if err := rec.CloseNotification(n.ID, testenv.ClosedDismissed); err != nil {
				t.Fatal(err)
			}
			if mode == "notifier" {
				child.expect(fmt.Sprintf("closed %d %d", n.ID, Dismissed))
			}
		}
		if mode == "notifier" {
			child.send("notify prod: renewed")
			id := strings.TrimPrefix(child.expect("sent "), "sent ")
			shown++
			rec.WaitFor(shown, 20*time.Second)
			child.send("withdraw " + id)
			child.expect("withdrawn")
			child.expect(fmt.Sprintf("closed %s %d", id, ClosedByCall))
		}

		// The panel restarts.
		watcher.Restart()
		again, ok := watcher.WaitForRegistration(round+1, wait)
		if !ok {
			return registeredAgain
		}
		if again.Sender != reg.Sender {
			t.Fatalf("registered again from %s, want %s", again.Sender, reg.Sender)
		}
		registeredAgain++
	}
	return registeredAgain
}

var signalDelivery = []struct {
	name    string
	unicast bool
}{
	{"broadcast close (GNOME Shell, Plasma)", false},
	{"unicast close (dunst)", true},
}

// TestTrayRegistersAgainAfterNotifications is the regression test for the
// shared-connection pitfall: it fails if the Linux path of this package
// moves back to dbus.SessionBus().
func TestTrayRegistersAgainAfterNotifications(t *testing.T) {
	for _, sd := range signalDelivery {
		t.Run(sd.name, func(t *testing.T) {
			const rounds = 2
			if got := trayScenario(t, "notifier", sd.unicast, rounds, 20*time.Second); got != rounds {
				t.Fatalf("the tray item registered again after %d of %d watcher restarts", got, rounds)
			}
		})
	}
}

// TestBeeepOnTheSharedConnection shows the pitfall with the pinned
// versions (beeep v0.11.3, esiqveland/notify v0.13.3, systray v1.12.2):
// beeep sends on dbus.SessionBus(), so a NotificationClosed that the
// server sends to the sender (dunst does) reaches systray's signal
// channel and ends its watch for watcher restarts. beeep drops its match
// rule right after sending, so a broadcast close (GNOME Shell, Plasma)
// does not reach that connection and the item survives. If this test
// fails, the libraries changed: re-check PITFALLS.md.
func TestBeeepOnTheSharedConnection(t *testing.T) {
	t.Run("unicast close (dunst) loses the tray", func(t *testing.T) {
		if got := trayScenario(t, "beeep", true, 1, 3*time.Second); got != 0 {
			t.Fatal("with beeep on the shared connection the tray item registered again after a dunst-style close: the pitfall is gone in these versions")
		}
	})
	t.Run("broadcast close keeps the tray", func(t *testing.T) {
		if got := trayScenario(t, "beeep", false, 1, 20*time.Second); got != 1 {
			t.Fatal("with beeep and broadcast closes the tray item did not register again")
		}
	})
}
