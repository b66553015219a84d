//go:build linux

package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStartXvfb(t *testing.T) {
	if _, err := exec.LookPath("Xvfb"); err != nil {
		Missing(t, "Xvfb not found (apt-get install xvfb)")
	}
	var display string
	t.Run("running", func(t *testing.T) {
		display = StartXvfb(t)
		if !strings.HasPrefix(display, ":") {
			t.Fatalf("display %q", display)
		}
		if _, err := exec.LookPath("xdpyinfo"); err != nil {
			Missing(t, "xdpyinfo not found (apt-get install x11-utils)")
		}
		out, err := exec.Command("xdpyinfo", "-display", display).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "1024x768") {
			t.Fatalf("xdpyinfo: %v\n%s", err, out)
		}
		// Two at once get different displays.
		if other := StartXvfb(t); other == display {
			t.Fatalf("second Xvfb on the same display %s", other)
		}
	})
	// Stopped at cleanup: the socket and the lock file are gone.
	n := strings.TrimPrefix(display, ":")
	for _, f := range []string{filepath.Join("/tmp/.X11-unix", "X"+n), "/tmp/.X" + n + "-lock"} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s still exists after cleanup", f)
		}
	}
}

func TestProcessesWithEnv(t *testing.T) {
	mark := fmt.Sprintf("AWSTRAY_TESTENV_MARK=%d", time.Now().UnixNano())
	cmd := exec.Command("sleep", "30")
	cmd.Env = append(os.Environ(), mark)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// Start returns once the child has switched to the new program, but the
	// kernel fills in where its environment lies a moment later, so an
	// early read of /proc/PID/environ can be empty: wait for it.
	var procs []Proc
	for deadline := time.Now().Add(10 * time.Second); ; {
		var err error
		procs, err = ProcessesWithEnv(mark)
		if err != nil {
			t.Fatal(err)
		}
		if len(procs) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(procs) != 1 || procs[0].PID != cmd.Process.Pid || procs[0].Cmdline != "sleep 30" {
		t.Fatalf("found %v, want only sleep %d", procs, cmd.Process.Pid)
	}
	if procs, _ := ProcessesWithEnv(mark + "x"); len(procs) != 0 {
		t.Fatalf("a longer entry matched: %v", procs)
	}
}
