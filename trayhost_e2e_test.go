//go:build linux

package main

import (
	"errors"
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
	logs := &testenv.SyncBuffer{}
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

// TestTrayCannotStartSaysSo: the tray started from a desktop's autostart
// cannot open its keyring (the settings name the Secret Service and none
// runs on this bus). Its stderr goes nowhere a person reads, so it says so
// once in a notification that points to awstray doctor, and exits 1.
func TestTrayCannotStartSaysSo(t *testing.T) {
	s := newSandbox(t, "http://127.0.0.1:9")
	bus := testenv.StartSessionBus(t)
	notes := testenv.StartNotificationRecorder(t, bus)
	runtime := filepath.Join(s.root, "run")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "AWSTRAY_BACKEND=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus, "XDG_RUNTIME_DIR="+runtime, "AWSTRAY_BACKEND=secret-service")
	writeHome(t, s.home, "[profile dev]\nregion = eu-west-1\n", "")
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("tray with no keyring: %v\n%s", err, out)
	}
	got := notes.WaitFor(1, 10*time.Second)
	if got[0].Summary != "awstray cannot start" || !strings.Contains(got[0].Body, "secret-service") || !strings.Contains(got[0].Body, "awstray doctor") {
		t.Fatalf("notification %q / %q", got[0].Summary, got[0].Body)
	}
	if n := len(notes.Notifications()); n != 1 {
		t.Fatalf("%d notifications, want 1", n)
	}
}
