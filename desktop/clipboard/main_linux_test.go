//go:build linux

package launcher

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// testMark is an environment entry every process these tests start
// inherits (tests that set a whole environment add it), so TestMain finds
// what they left running — xclip and wl-copy servers, terminals, dialogs,
// Xvfb — and nothing of anyone else's.
var testMark string

func TestMain(m *testing.M) {
	if text := os.Getenv(clipChildEnv); text != "" {
		clipChild(text)
	}
	testMark = fmt.Sprintf("AWSTRAY_LAUNCHER_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())
	name, value, _ := strings.Cut(testMark, "=")
	os.Setenv(name, value)
	code := m.Run()
	var left []testenv.Proc
	for i := 0; i < 100; i++ { // processes being stopped get 5 s
		left, _ = testenv.ProcessesWithEnv(testMark)
		if len(left) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(left) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the tests left processes running (now killed):\n")
		for _, p := range left {
			fmt.Fprintf(os.Stderr, "  %v\n", p)
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
		code = 1
	}
	os.Exit(code)
}

// clipChildEnv makes the test binary a stand-in tray that copies the
// variable's value, says "ready" and waits to be killed.
const clipChildEnv = "AWSTRAY_TEST_CLIP_CHILD"

func clipChild(text string) {
	if err := CopySecret(context.Background(), text, 0); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	os.Exit(0)
}

// leftover lists the processes this test binary started that still run
// and whose command line contains substr.
func leftover(t *testing.T, substr string) []testenv.Proc {
	t.Helper()
	procs, err := testenv.ProcessesWithEnv(testMark)
	if err != nil {
		t.Fatal(err)
	}
	var out []testenv.Proc
	for _, p := range procs {
		if strings.Contains(p.Cmdline, substr) {
			out = append(out, p)
		}
	}
	return out
}

// waitNoLeftover waits up to 5 s until no process of this test binary
// with substr in its command line runs.
func waitNoLeftover(t *testing.T, substr string) {
	t.Helper()
	var left []testenv.Proc
	for i := 0; i < 100; i++ {
		if left = leftover(t, substr); len(left) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s still running: %v", substr, left)
}

// need finds programs or stops the test (testenv.Missing).
func need(t *testing.T, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			testenv.Missing(t, "%s not found (apt-get install %s)", p, debianPackage(p))
		}
	}
}

func debianPackage(program string) string {
	switch program {
	case "Xvfb":
		return "xvfb"
	case "xdpyinfo", "xprop":
		return "x11-utils"
	}
	return program
}

// inX sets up a test to run X clients on a fresh Xvfb: DISPLAY, no
// Wayland, no D-Bus (a GTK program would otherwise start a stray
// dbus-daemon), no accessibility bus.
func inX(t *testing.T) string {
	t.Helper()
	display := testenv.StartXvfb(t)
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	t.Setenv("NO_AT_BRIDGE", "1")
	return display
}
