package desktoptest

import (
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// Need finds programs or stops the test (testenv.Missing).
func Need(t *testing.T, programs ...string) {
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

// InX sets up a test to run X clients on a fresh Xvfb: DISPLAY, no
// Wayland, no D-Bus (a GTK program would otherwise start a stray
// dbus-daemon), no accessibility bus. It returns the display.
func InX(t *testing.T) string {
	t.Helper()
	display := testenv.StartXvfb(t)
	t.Setenv("DISPLAY", display)
	t.Setenv("WAYLAND_DISPLAY", "")
	t.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
	t.Setenv("NO_AT_BRIDGE", "1")
	return display
}

// Xdo runs xdotool on the test's display, with stdin.
func Xdo(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "xdotool", args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("xdotool %s: %v", args[0], err)
	}
	return strings.TrimSpace(string(out))
}

// WaitWindow waits for a visible window titled exactly title and returns
// its id.
func WaitWindow(t *testing.T, title string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		out, err := exec.Command("xdotool", "search", "--onlyvisible", "--name", "^"+regexp.QuoteMeta(title)+"$").Output()
		if ids := strings.Fields(string(out)); err == nil && len(ids) > 0 {
			return ids[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no window titled %q after 20s", title)
	return ""
}
