//go:build linux

package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/internal/testenv"
)

// busDials is a listener where a session bus would be: it records the pid
// of every process that connects (SO_PEERCRED) and hangs up on it.
type busDials struct {
	addr string
	mu   sync.Mutex // guards pids
	pids []int
	seen chan struct{} // a send for each connection recorded
}

func listenBusDials(t *testing.T) *busDials {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	b := &busDials{addr: "unix:path=" + path, seen: make(chan struct{}, 64)}
	go func() {
		for {
			c, err := ln.AcceptUnix()
			if err != nil {
				return
			}
			pid := -1
			if raw, err := c.SyscallConn(); err == nil {
				_ = raw.Control(func(fd uintptr) {
					if cred, err := unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED); err == nil {
						pid = int(cred.Pid)
					}
				})
			}
			c.Close()
			b.mu.Lock()
			b.pids = append(b.pids, pid)
			b.mu.Unlock()
			b.seen <- struct{}{}
		}
	}()
	return b
}

// dialedBy reports whether pid connected. Connections are accepted in the
// order they were made: once a later process's connection is recorded,
// every earlier one is.
func (b *busDials) dialedBy(pid int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.pids {
		if p == pid {
			return true
		}
	}
	return false
}

// waitFor waits until pid's connection is recorded.
func (b *busDials) waitFor(t *testing.T, pid int) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for !b.dialedBy(pid) {
		select {
		case <-b.seen:
		case <-deadline:
			t.Fatalf("process %d never connected to the bus", pid)
		}
	}
}

// TestHotPathLeavesTheBusAlone (issue 8): exec, export and
// credential-process served by the tray make no D-Bus connection — the
// keyring's init used to make one (a handshake of 1–2.5 ms) in every run —
// and the command exec runs gets the person's bus address. A command that
// is not on the hot path still connects (the control, which also proves
// that the listener sees connections and has recorded every earlier one).
func TestHotPathLeavesTheBusAlone(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	d.startTray(t)
	d.run(t, "", "exec", "admin", "--", "true") // unlock through the agent

	bus := listenBusDials(t)
	env := make([]string, 0, len(d.env))
	for _, kv := range d.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	env = append(env, "DBUS_SESSION_BUS_ADDRESS="+bus.addr)
	run := func(args ...string) (pid int, stdout string) {
		t.Helper()
		cmd := exec.Command(binary(t), args...)
		cmd.Env, cmd.Dir = env, d.tmp
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("awstray %s: %v\n%s", strings.Join(args, " "), err, e.String())
		}
		leaks.ran(t, args, o.String(), e.String())
		return cmd.Process.Pid, o.String()
	}

	var hot []int
	pid, out := run("exec", "admin", "--", "sh", "-c", `printf %s "$DBUS_SESSION_BUS_ADDRESS"`)
	if out != bus.addr {
		t.Errorf("the command got DBUS_SESSION_BUS_ADDRESS=%q, want the person's %q", out, bus.addr)
	}
	hot = append(hot, pid)
	pid, out = run("export", "admin")
	if !strings.Contains(out, "AWS_SESSION_TOKEN") {
		t.Errorf("export printed:\n%s", out)
	}
	hot = append(hot, pid)
	pid, out = run("credential-process", "admin")
	if !strings.Contains(out, `"SessionToken"`) {
		t.Errorf("credential-process printed:\n%s", out)
	}
	hot = append(hot, pid)

	control, _ := run("list")
	bus.waitFor(t, control)
	for _, p := range hot {
		if bus.dialedBy(p) {
			t.Errorf("process %d (exec/export/credential-process through the tray) connected to the session bus", p)
		}
	}
	if n := d.proxy.Count("GetSessionToken") + d.proxy.Count("AssumeRole"); n != 2 {
		t.Errorf("%d STS calls, want the 2 of the first unlock", n)
	}
}

// TestHotPathWithoutTheTrayOpensTheKeyring (issue 8): when the agent's
// socket is there but no tray answers on it (a tray killed with its socket
// left behind), exec works on its own with a keyring that needs the session
// bus. The run that kept the bus from the keyring's init for speed starts
// itself again with it.
func TestHotPathWithoutTheTrayOpensTheKeyring(t *testing.T) {
	ss := testenv.StartSecretServiceControl(t)
	moto := testenv.StartMoto(t)
	s := newSandbox(t, moto.URL)
	runtime := t.TempDir()
	s.env = append(onSecretServiceBus(s.env, ss), "AWSTRAY_BACKEND=secret-service", "XDG_RUNTIME_DIR="+runtime)
	writeHome(t, s.home, "[profile dev]\nregion = us-east-1\n", "")
	s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")

	// A socket nobody listens on: Close leaves the file.
	sock := filepath.Join(runtime, "awstray", "agent.sock")
	if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
		t.Fatal(err)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()

	out, stderr := s.run(t, "", "exec", "dev", "--", "sh", "-c", `printf %s "$AWS_SESSION_TOKEN"`)
	if out == "" || stderr != "" {
		t.Fatalf("exec printed %q, said %q; want a session token and nothing said", out, stderr)
	}
	if out, _ := s.run(t, "", "export", "dev"); !strings.Contains(out, "AWS_SESSION_TOKEN") {
		t.Fatalf("export printed:\n%s", out)
	}
}
