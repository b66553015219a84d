//go:build linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// TestTrayNoTrayHost: GNOME without the AppIndicator extension — a session
// bus with no StatusNotifierWatcher. The tray says once, in a notification
// and a log line, that its icon cannot show and what to install, instead
// of running invisibly.
func TestTrayNoTrayHost(t *testing.T) {
	s := newSandbox(t, "http://127.0.0.1:9") // nothing here calls AWS
	bus := testenv.StartSessionBus(t)
	notes := testenv.StartNotificationRecorder(t, bus)
	runtime := filepath.Join(s.root, "run")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus, "XDG_RUNTIME_DIR="+runtime,
		"XDG_STATE_HOME="+filepath.Join(s.home, ".state"), "XDG_CURRENT_DESKTOP=ubuntu:GNOME")
	writeHome(t, s.home, "[profile dev]\nregion = eu-west-1\n", "")

	cmd := exec.Command(binary(t), "tray")
	cmd.Env = env
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-done
	})

	notes.WaitFor(1, 30*time.Second)
	// The log line is written just before the notification is sent.
	for end := time.Now().Add(10 * time.Second); !strings.Contains(logs.String(), "no tray host"); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no log line about the missing tray host:\n%s", logs.String())
		}
	}
	got := notes.Notifications()
	if len(got) != 1 {
		t.Fatalf("%d notifications, want exactly one: %+v", len(got), got)
	}
	n := got[0]
	if n.Summary != "awstray runs, but its icon cannot show" || !strings.Contains(n.Body, "AppIndicator extension") {
		t.Fatalf("notification %q: %q, want one naming the AppIndicator extension", n.Summary, n.Body)
	}
	if line := logs.String(); !strings.Contains(line, "gnome-shell-extension-appindicator") {
		t.Fatalf("the log line does not say what to install:\n%s", line)
	}
}
