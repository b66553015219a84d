package testenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// StartXvfb starts a virtual X server (Xvfb) on a free display for one test
// and stops it at cleanup, with every X client still connected to it. It
// returns the display (":N") for DISPLAY; a missing Xvfb is Missing.
//
// The server picks its display itself (-displayfd), so tests running at the
// same time never race for a number, and it writes the number only once it
// accepts connections; StartXvfb then also waits for its socket.
func StartXvfb(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("Xvfb")
	if err != nil {
		Missing(t, "Xvfb not found (apt-get install xvfb)")
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("starting Xvfb: %v", err)
	}
	defer r.Close()
	cmd := exec.Command(path, "-displayfd", "3", "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset")
	cmd.ExtraFiles = []*os.File{w} // fd 3
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	ownGroup(cmd)
	if err := cmd.Start(); err != nil {
		w.Close()
		t.Fatalf("starting Xvfb: %v", err)
	}
	w.Close()
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(3 * time.Second):
			killGroup(cmd)
			<-exited
		}
	}
	t.Cleanup(stop)

	num := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(r).ReadString('\n')
		num <- strings.TrimSpace(line)
	}()
	var n string
	select {
	case n = <-num:
	case <-time.After(20 * time.Second):
		t.Fatalf("Xvfb did not report its display within 20s: %s", stderr.String())
	}
	if _, err := strconv.Atoi(n); err != nil {
		<-exited
		t.Fatalf("Xvfb did not start: %s", lastLines(stderr.String(), 5))
	}
	socket := filepath.Join("/tmp/.X11-unix", "X"+n)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(socket); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Xvfb :%s has no socket %s after 10s", n, socket)
		}
		time.Sleep(10 * time.Millisecond)
	}
	return ":" + n
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Proc is a process found by ProcessesWithEnv.
type Proc struct {
	PID     int
	Cmdline string // the arguments joined by spaces
}

func (p Proc) String() string { return fmt.Sprintf("%d %s", p.PID, p.Cmdline) }

// ProcessesWithEnv lists the running processes (other than this one) whose
// initial environment holds the entry kv ("NAME=value"), from /proc. A test
// binary that sets a unique entry before starting anything finds with it
// every process it left behind, even those that daemonised and were
// reparented (xclip, wl-copy), and none of another test run's. Zombies,
// whose environment is gone, are not listed. Linux only: elsewhere it
// returns ErrNoProc.
func ProcessesWithEnv(kv string) ([]Proc, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoProc, err)
	}
	needle := []byte(kv)
	var out []Proc
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue // gone, or not ours to read
		}
		found := false
		for _, entry := range bytes.Split(env, []byte{0}) {
			if bytes.Equal(entry, needle) {
				found = true
				break
			}
		}
		if !found {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		out = append(out, Proc{PID: pid, Cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))})
	}
	return out, nil
}

// ErrNoProc means /proc cannot be read (not Linux).
var ErrNoProc = errors.New("no /proc file system")
