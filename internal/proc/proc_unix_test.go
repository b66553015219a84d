//go:build !windows

package proc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/awstray/awstray/internal/testenv"
)

// bound is how long a helper may take to return once its deadline passed:
// far below the 30 s its grandchild would keep the pipe open, and loose
// enough for a loaded machine.
const bound = 10 * time.Second

// pidOf reads the process ID a helper printed first.
func pidOf(t *testing.T, out []byte) int {
	t.Helper()
	line, _, _ := strings.Cut(string(out), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("the helper printed %q, not a process ID", out)
	}
	return pid
}

// killAtCleanup ends a process a test left on purpose.
func killAtCleanup(t *testing.T, pid int) {
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
}

// firstLine is a Stdout that is not a file, so os/exec copies from a pipe
// and Wait waits for that pipe to close, as for a helper whose output
// awstray reads. It hands over the first line once written.
type firstLine struct {
	mu   sync.Mutex // protects buf and sent
	buf  []byte
	sent bool
	line chan string
}

func (f *firstLine) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf = append(f.buf, p...)
	if i := bytes.IndexByte(f.buf, '\n'); i >= 0 && !f.sent {
		f.sent = true
		f.line <- string(f.buf[:i+1])
	}
	return len(p), nil
}

// startedTree starts c, whose first line of output must be a process ID,
// and returns that ID once it is printed.
func startedTree(t *testing.T, c *Cmd) int {
	t.Helper()
	out := &firstLine{line: make(chan string, 1)}
	c.Stdout = out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case line := <-out.line:
		pid := pidOf(t, []byte(line))
		killAtCleanup(t, pid)
		return pid
	case <-time.After(bound):
		t.Fatalf("the helper printed no process ID within %s", bound)
	}
	return 0
}

// A grandchild that keeps stdout open must neither hold Wait nor survive
// the end of the helper's context. (The context is cancelled once the
// grandchild runs, so a slow machine cannot make the test pass or fail by
// accident; a deadline ends a context the same way.)
func TestEndKillsTheWholeTree(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := Command(ctx, "/bin/sh", "-c", `sleep 30 & echo $!; sleep 30`)
	pid := startedTree(t, c)
	start := time.Now()
	cancel()
	err := c.Wait()
	if took := time.Since(start); took > bound {
		t.Fatalf("Wait returned %s after the cancel", took)
	}
	if err == nil {
		t.Fatal("Wait = nil for a killed helper")
	}
	testenv.WaitGone(t, pid, bound)
}

// A descendant that left the helper's process group is out of reach of
// the kill; WaitDelay still gives Wait back.
func TestEscapedDescendantDoesNotHoldWait(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	if _, err := exec.LookPath("setsid"); err != nil {
		testenv.Missing(t, "setsid not found (apt-get install util-linux)")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := Command(ctx, "/bin/sh", "-c", `setsid sh -c 'echo $$; exec sleep 30' & sleep 30`)
	c.WaitDelay = 500 * time.Millisecond
	pid := startedTree(t, c) // printed once it is in a session of its own
	start := time.Now()
	cancel()
	err := c.Wait()
	if !testenv.Running(pid) {
		t.Fatal("the escaped process was killed: the test proves nothing")
	}
	if took := time.Since(start); took > bound {
		t.Fatalf("Wait returned %s after the cancel", took)
	}
	if err == nil {
		t.Fatal("Wait = nil for a killed helper")
	}
}

// A helper that ends normally keeps what it started in the background
// with its output elsewhere (a gpg-agent it launched, say): only a
// deadline or a cancel kills.
func TestNormalExitKillsNothing(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	out, err := Command(ctx, "/bin/sh", "-c", `sleep 30 >/dev/null 2>&1 & echo $!`).Output()
	if err != nil {
		t.Fatal(err)
	}
	pid := pidOf(t, out)
	killAtCleanup(t, pid)
	if !testenv.Running(pid) {
		t.Fatalf("the helper's background process %d was killed", pid)
	}
}

func TestExitStatusAndOutput(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	out, err := Command(ctx, "/bin/sh", "-c", `echo hi; exit 3`).Output()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 || string(out) != "hi\n" {
		t.Fatalf("Output = %q, %v; want \"hi\\n\", exit status 3", out, err)
	}
	c := Command(ctx, "/bin/sh", "-c", "true")
	c.Stdout = os.Stdout
	if _, err := c.Output(); err == nil {
		t.Fatal("Output with Stdout set: err = nil")
	}
}

// ptyChildEnv makes the test binary run a helper that reads the terminal.
const ptyChildEnv = "AWSTRAY_PROC_TEST_PTY_CHILD"

// In the foreground of a terminal (the CLI typed in a shell) a helper
// stays in awstray's process group: in a group of its own it would be
// stopped by SIGTTIN as soon as it read the terminal (an mfa_process
// asking for a password on /dev/tty), and never answer.
func TestHelperInTheForegroundReadsTheTerminal(t *testing.T) {
	if os.Getenv(ptyChildEnv) == "1" {
		ctx, cancel := context.WithTimeout(context.Background(), bound)
		defer cancel()
		out, err := Command(ctx, "/bin/sh", "-c", `printf 'code? ' >/dev/tty; read x </dev/tty; echo "got:$x"`).Output()
		fmt.Printf("\nhelper said %q, %v\n", out, err)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperInTheForegroundReadsTheTerminal$", "-test.count=1")
	cmd.Env = append(os.Environ(), ptyChildEnv+"=1")
	f, err := pty.Start(cmd) // a new session with the pty as its terminal, in its foreground
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var screen strings.Builder
	seen := make(chan struct{})
	go func() {
		defer close(seen)
		buf := make([]byte, 1024)
		for {
			n, err := f.Read(buf)
			screen.Write(buf[:n])
			if strings.Contains(screen.String(), "code? ") && !strings.Contains(screen.String(), "answered") {
				_, _ = f.Write([]byte("123456\n"))
				screen.WriteString("answered")
			}
			if err != nil {
				return
			}
		}
	}()
	_ = cmd.Wait()
	<-seen // the terminal's last output is read before it reports EIO
	f.Close()
	if !strings.Contains(screen.String(), `helper said "got:123456\n", <nil>`) {
		t.Fatalf("the helper did not read the terminal; the terminal shows:\n%s", screen.String())
	}
}
