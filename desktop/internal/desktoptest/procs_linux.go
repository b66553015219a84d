package desktoptest

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// mark is an environment entry every process the tests start inherits
// (tests that set a whole environment add Mark()), so Main finds what they
// left running — xclip and wl-copy servers, terminals, dialogs, Xvfb — and
// nothing of anyone else's. Set once by Main before any test runs.
var mark string

// Mark is the environment entry (NAME=value) that marks the processes of
// this test binary, for a test that gives a program a whole environment.
func Mark() string { return mark }

// Main runs the tests with every process they start marked, and returns
// m.Run's exit code — or 1 when one of those processes still runs 5 s
// after the tests ended (it is killed and named on stderr). Call it from
// TestMain: os.Exit(desktoptest.Main(m)).
func Main(m *testing.M) int {
	mark = fmt.Sprintf("AWSTRAY_DESKTOP_TEST=%d-%d", os.Getpid(), time.Now().UnixNano())
	name, value, _ := strings.Cut(mark, "=")
	os.Setenv(name, value)
	code := m.Run()
	var left []testenv.Proc
	for i := 0; i < 100; i++ { // processes being stopped get 5 s
		left, _ = testenv.ProcessesWithEnv(mark)
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
	return code
}

// Leftover lists the processes this test binary started that still run
// and whose command line contains substr.
func Leftover(t *testing.T, substr string) []testenv.Proc {
	t.Helper()
	procs, err := testenv.ProcessesWithEnv(mark)
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

// WaitNoLeftover waits up to 5 s until no process of this test binary
// with substr in its command line runs.
func WaitNoLeftover(t *testing.T, substr string) {
	t.Helper()
	var left []testenv.Proc
	for i := 0; i < 100; i++ {
		if left = Leftover(t, substr); len(left) == 0 {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s still running: %v", substr, left)
}
