//go:build !windows

package testenv

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// noTerminalEnv names the test that a child test process runs in a
// session of its own (WithoutTerminal).
const noTerminalEnv = "AWSTRAY_TEST_WITHOUT_TERMINAL"

// WithoutTerminal makes the calling test run in a process that has no
// controlling terminal, as the tray started by a desktop has none: the
// helpers of internal/proc behave differently in a terminal's foreground
// (where `go test` runs when typed in one). Without a terminal it returns
// true and the test goes on; else it runs the test again in a child test
// process that leads a new session, reports that child's result, and
// returns false: the caller returns at once.
func WithoutTerminal(t *testing.T) bool {
	t.Helper()
	if os.Getenv(noTerminalEnv) == t.Name() {
		return true // the child
	}
	f, err := os.OpenFile("/dev/tty", os.O_RDONLY|syscall.O_NOCTTY, 0)
	if err != nil {
		return true // no controlling terminal
	}
	f.Close()
	parts := strings.Split(t.Name(), "/")
	for i, p := range parts {
		parts[i] = "^" + regexp.QuoteMeta(p) + "$"
	}
	cmd := exec.Command(os.Args[0], "-test.run="+strings.Join(parts, "/"), "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), noTerminalEnv+"="+t.Name())
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	switch {
	case err != nil:
		t.Fatalf("%s, run without a terminal: %v\n%s", t.Name(), err, out)
	case bytes.Contains(out, []byte("--- SKIP: "+t.Name())):
		t.Skipf("%s, run without a terminal, skipped:\n%s", t.Name(), out)
	case !bytes.Contains(out, []byte("--- PASS: "+t.Name())):
		t.Fatalf("%s, run without a terminal, did not pass:\n%s", t.Name(), out)
	}
	return false
}

// WaitGone waits up to within for process pid to be gone: no such
// process, or a zombie (dead; whoever inherited it has not reaped it
// yet). It fails the test if the process still runs then.
func WaitGone(t testing.TB, pid int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if gone(pid) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after %s", pid, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Running reports whether process pid runs (exists and is no zombie).
func Running(pid int) bool { return !gone(pid) }

func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false // no /proc here: kill(0) said it exists
	}
	// pid (comm) STATE …: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}
