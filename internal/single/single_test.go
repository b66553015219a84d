package single

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/filelock"
)

// childEnv makes the test binary a lock holder (see holdLock).
const childEnv = "AWSTRAY_SINGLE_TEST_HOLD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(holdLock(name))
	}
	os.Exit(m.Run())
}

// holdLock takes the lock, says "held", and on the line "release" releases
// it and says "released"; at the end of its input it exits, lock held.
func holdLock(name string) int {
	release, err := Acquire(name)
	if err != nil {
		fmt.Printf("error %v\n", err)
		return 1
	}
	fmt.Println("held")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "release" {
			release()
			fmt.Println("released")
		}
	}
	return 0
}

// isolate points the lock directory at a temporary directory.
func isolate(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if runtime.GOOS == "windows" {
		t.Setenv("LocalAppData", dir)
	} else {
		t.Setenv("XDG_RUNTIME_DIR", dir)
	}
	return dir
}

type holder struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
}

func startHolder(t *testing.T, name string) *holder {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+name)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: stdin, lines: make(chan string, 10)}
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			h.lines <- s.Text()
		}
		close(h.lines)
	}()
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	h.expect(t, "held")
	return h
}

func (h *holder) expect(t *testing.T, want string) {
	t.Helper()
	select {
	case line, ok := <-h.lines:
		if !ok || line != want {
			t.Fatalf("lock holder said %q (open %v), want %q", line, ok, want)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("lock holder did not say %q", want)
	}
}

func wantHeld(t *testing.T, err error, pid int) {
	t.Helper()
	var held *HeldError
	if !errors.As(err, &held) {
		t.Fatalf("Acquire: %v, want a *HeldError", err)
	}
	if held.PID != pid {
		t.Errorf("HeldError.PID = %d, want %d", held.PID, pid)
	}
	if want := "the tray is already running (pid " + strconv.Itoa(pid) + ")"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestHeldByAnotherProcessUntilRelease(t *testing.T) {
	isolate(t)
	h := startHolder(t, "tray")
	_, err := Acquire("tray")
	wantHeld(t, err, h.cmd.Process.Pid)

	if _, err := io.WriteString(h.stdin, "release\n"); err != nil {
		t.Fatal(err)
	}
	h.expect(t, "released")
	release, err := Acquire("tray")
	if err != nil {
		t.Fatalf("Acquire after the holder released: %v", err)
	}
	release()
}

func TestHeldByAnotherProcessUntilItDies(t *testing.T) {
	isolate(t)
	h := startHolder(t, "tray")
	_, err := Acquire("tray")
	wantHeld(t, err, h.cmd.Process.Pid)

	if err := h.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = h.cmd.Wait()
	release, err := Acquire("tray")
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	defer release()

	// The next one sees this process.
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=tray")
	out, _ := cmd.Output()
	if want := fmt.Sprintf("error the tray is already running (pid %d)\n", os.Getpid()); string(out) != want {
		t.Errorf("a second process said %q, want %q", out, want)
	}
}

func TestHeldInThisProcess(t *testing.T) {
	isolate(t)
	release, err := Acquire("tray")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Acquire("tray")
	wantHeld(t, err, os.Getpid())
	other, err := Acquire("other")
	if err != nil {
		t.Fatalf("a lock of another name: %v", err)
	}
	other()
	release()
	release() // twice is harmless
	again, err := Acquire("tray")
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	again()
}

func TestStaleFileDoesNotBlock(t *testing.T) {
	dir := isolate(t)
	sub := dir + string(os.PathSeparator) + "awstray"
	if err := os.MkdirAll(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	// A file left by a process that died, with a PID that is not running.
	if err := os.WriteFile(sub+string(os.PathSeparator)+"tray.lock", []byte("999999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	release, err := Acquire("tray")
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	defer release()
	b, err := os.ReadFile(sub + string(os.PathSeparator) + "tray.lock")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(b)); got != strconv.Itoa(os.Getpid()) {
		t.Errorf("lock file holds %q, want this PID", got)
	}
}

func TestInvalidName(t *testing.T) {
	isolate(t)
	for _, name := range []string{"", ".", "..", "a/b", `a\b`} {
		if _, err := Acquire(name); err == nil {
			t.Errorf("Acquire(%q) succeeded", name)
		}
	}
}

func TestHeldErrorWithoutPID(t *testing.T) {
	if got := (&HeldError{Name: "tray"}).Error(); got != "the tray is already running" {
		t.Errorf("got %q", got)
	}
}

// TestReadPID: the one reader of the holder's PID takes both platforms'
// line ends, and gives 0 for what is not a PID.
func TestReadPID(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content string
		want          int
	}{
		{"unix line", "4242\n", 4242},
		{"windows line", "4242\r\n", 4242},
		{"not a number", "x\n", 0},
		{"zero", "0\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, tc.name)
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if got := filelock.ReadPID(path, 0); got != tc.want {
				t.Fatalf("ReadPID = %d, want %d", got, tc.want)
			}
		})
	}
	if got := filelock.ReadPID(filepath.Join(dir, "missing"), 0); got != 0 {
		t.Fatalf("ReadPID of no file = %d", got)
	}
}

// TestReleaseTwiceLeavesTheNextHolder: a second call of release is a
// no-op — it must not remove or unlock what a later Acquire holds.
func TestReleaseTwiceLeavesTheNextHolder(t *testing.T) {
	isolate(t)
	first, err := Acquire("tray")
	if err != nil {
		t.Fatal(err)
	}
	first()
	second, err := Acquire("tray")
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	defer second()
	first()
	if _, err := Acquire("tray"); err == nil {
		t.Fatal("the lock was free after the first holder's release ran again")
	} else {
		wantHeld(t, err, os.Getpid())
	}
}
