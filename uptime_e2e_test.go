//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

var uptimeSeed = flag.Uint64("uptime.seed", 0, "seed of TestTraySIGKILLDuringRefresh's kill moments (0: a new one, printed)")

// refreshPoint is where, in a renewal's AssumeRole, the tray is killed.
type refreshPoint int

const (
	// pointSent: the request reached the proxy and never reaches moto.
	pointSent refreshPoint = iota
	// pointAnswered: moto made the role session; the tray never hears.
	pointAnswered
	// pointDelivered: the tray got moto's answer and is killed a random
	// moment later, while it decodes it, writes the keyring or publishes.
	pointDelivered
)

func (p refreshPoint) String() string {
	return [...]string{"request sent", "moto answered", "answer delivered"}[p]
}

// refreshKill is one armed kill.
type refreshKill struct {
	point refreshPoint
	delay time.Duration // pointDelivered: from the answer's flush to the kill
	proc  *os.Process
	fired chan struct{} // closed just before the kill is sent
}

// refreshProxy forwards to target and, when armed, SIGKILLs the tray at a
// point of the next AssumeRole: only renewals make AssumeRole calls here,
// so the kill lands inside a refresh.
type refreshProxy struct {
	*testfake.CountingProxy

	// mu protects armed.
	mu    sync.Mutex
	armed *refreshKill
}

func startRefreshProxy(t *testing.T, target string) *refreshProxy {
	t.Helper()
	p := &refreshProxy{CountingProxy: testfake.StartCountingProxy(t, target)}
	p.OnAction(func(action string, w http.ResponseWriter, r *http.Request, next http.Handler) {
		var k *refreshKill
		if action == "AssumeRole" {
			p.mu.Lock()
			k, p.armed = p.armed, nil
			p.mu.Unlock()
		}
		if k == nil {
			next.ServeHTTP(w, r)
			return
		}
		kill := func() {
			// Said before it is done: the test must never see the tray end
			// before it knows the end was ours.
			close(k.fired)
			_ = k.proc.Signal(syscall.SIGKILL)
		}
		switch k.point {
		case pointSent, pointAnswered:
			if k.point == pointAnswered {
				next.ServeHTTP(httptest.NewRecorder(), r)
			}
			kill()
			<-r.Context().Done() // the connection closes with the process
		case pointDelivered:
			next.ServeHTTP(w, r)
			_ = http.NewResponseController(w).Flush()
			time.AfterFunc(k.delay, kill)
		}
	})
	return p
}

func (p *refreshProxy) arm(k *refreshKill) {
	p.mu.Lock()
	p.armed = k
	p.mu.Unlock()
}

// uptimeTray is one `awstray tray` process of the test.
type uptimeTray struct {
	cmd  *exec.Cmd
	logs *testenv.SyncBuffer
	done chan struct{} // closed when the process has been waited for
	err  error         // Wait's error, once done is closed
}

// startUptimeTray starts the tray and waits until its own agent answers
// on the socket: a socket a killed tray left behind answers nobody.
func startUptimeTray(t *testing.T, d *agentDesk) *uptimeTray {
	t.Helper()
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = d.env
	tr := &uptimeTray{cmd: cmd, logs: &testenv.SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = tr.logs, tr.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { tr.err = cmd.Wait(); close(tr.done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		<-tr.done
	})
	sock := d.socket()
	for end := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pid, err := agentPID(sock)
		if err == nil && pid == cmd.Process.Pid {
			return tr
		}
		select {
		case <-tr.done:
			t.Fatalf("the tray ended before serving the agent: %v\n%s", tr.err, tr.logs)
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("the tray (pid %d) does not serve %s (last: pid %d, %v)\n%s", cmd.Process.Pid, sock, pid, err, tr.logs)
		}
	}
}

func (d *agentDesk) socket() string { return filepath.Join(d.root, "run", "awstray", "agent.sock") }

// agentPID asks the agent on sock for a ping and returns the PID of the
// process that answered (SO_PEERCRED).
func agentPID(sock string) (int, error) {
	c, err := net.DialTimeout("unix", sock, 2*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0, err
	}
	var cred *unix.Ucred
	cerr := raw.Control(func(fd uintptr) { cred, err = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) })
	if cerr != nil {
		return 0, cerr
	}
	if err != nil {
		return 0, err
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, `{"v":1,"op":"ping"}`+"\n"); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return 0, err
	}
	if !strings.Contains(line, `"ok":true`) {
		return 0, fmt.Errorf("ping answered %q", line)
	}
	return int(cred.Pid), nil
}

// checkSocketFile checks that a socket file is at path.
func checkSocketFile(t *testing.T, path string) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatalf("the agent socket: %v", err)
	}
	if fi.Mode().Type() != fs.ModeSocket {
		t.Fatalf("%s is %v, not a socket", path, fi.Mode())
	}
}

// TestTraySIGKILLDuringRefresh (issue 10, item 3): the real tray renews a
// role every moment (20 s role sessions, a check every 100 ms) from an
// 8-hour MFA session; it is SIGKILLed 20 times at random points of a
// renewal's AssumeRole and started again by hand, as the systemd unit
// does. After every restart the new tray replaces the socket the dead one
// left, holds the profile again from the keyring before anyone asks, and
// serves it to `awstray export` with no MFA code asked (mfa_process's
// count stays at one) and no new MFA session; the stored key is intact
// throughout. Then a second tray says the first runs and exits 3, and the
// first still serves. The profile is unlocked once, in the menu or
// through the agent (as `awstray exec` does with the tray running).
func TestTraySIGKILLDuringRefresh(t *testing.T) {
	seed := *uptimeSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill moments: -uptime.seed=%d", seed)
	t.Run("unlocked in the menu", func(t *testing.T) {
		sigkillDuringRefresh(t, seed, func(d *agentDesk, tray *uptimeTray) {
			c, err := testenv.ConnectTray(d.bus, tray.cmd.Process.Pid, 10*time.Second)
			if err != nil {
				t.Fatalf("%v\n%s", err, tray.logs)
			}
			defer c.Close()
			click(t, c, "admin — locked", "Unlock…")
			// The tray writes its state file once the unlock is done.
			for end := time.Now().Add(30 * time.Second); !heldInState(t, d, "admin"); time.Sleep(20 * time.Millisecond) {
				if time.Now().After(end) {
					t.Fatalf("the state file does not name admin after an unlock in the menu\n%s", tray.logs)
				}
			}
		})
	})
	t.Run("unlocked through the agent", func(t *testing.T) {
		sigkillDuringRefresh(t, seed, func(d *agentDesk, tray *uptimeTray) {
			cl, err := agent.Dial(d.socket(), 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			if err := cl.Unlock(t.Context(), "admin"); err != nil {
				t.Fatalf("unlocking admin through the agent: %v\n%s", err, tray.logs)
			}
		})
	})
}

func sigkillDuringRefresh(t *testing.T, seed uint64, unlock func(*agentDesk, *uptimeTray)) {
	d := newAgentDesk(t, agentConfig, "role_duration = \"20s\"\n")
	kp := startRefreshProxy(t, d.proxy.URL)
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			d.env[i] = "AWS_ENDPOINT_URL=" + kp.URL
		}
	}
	d.env = append(d.env, "AWSTRAY_CHECK_INTERVAL=100ms")
	sock := d.socket()

	tray := startUptimeTray(t, d)
	unlock(d, tray)
	waitHeld(t, sock, "admin", "the first unlock", tray)
	if n, g := d.mfaCalls(), d.proxy.Count("GetSessionToken"); n != 1 || g != 1 {
		t.Fatalf("the unlock asked %d MFA codes and made %d MFA sessions, want 1 and 1", n, g)
	}

	rng := rand.New(rand.NewPCG(seed, 0))
	points := map[refreshPoint]int{}
	forgotten := 0 // restarts whose state file did not name admin as held
	for i := range 20 {
		k := &refreshKill{point: refreshPoint(rng.IntN(3)), delay: time.Duration(rng.Int64N(int64(40 * time.Millisecond))), proc: tray.cmd.Process, fired: make(chan struct{})}
		what := fmt.Sprintf("kill %d (%s", i+1, k.point)
		if k.point == pointDelivered {
			what += fmt.Sprintf(" + %v", k.delay.Round(100*time.Microsecond))
		}
		what += ")"
		points[k.point]++
		kp.arm(k)
		select {
		case <-k.fired:
		case <-tray.done:
			select {
			case <-k.fired: // the kill and the end were both ready
			default:
				t.Fatalf("%s: the tray ended on its own: %v\n%s", what, tray.err, tray.logs)
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("%s: no renewal within a minute\n%s", what, tray.logs)
		}
		<-tray.done
		if !killed(tray.err) {
			t.Fatalf("%s: the tray ended with %v, not SIGKILL\n%s", what, tray.err, tray.logs)
		}
		// The dead tray's socket is still there, and nothing answers on it.
		checkSocketFile(t, sock)
		if _, err := agentPID(sock); err == nil {
			t.Fatalf("%s: something still answers on the dead tray's socket", what)
		}
		checkStoredKey(t, d, what)
		remembered := heldInState(t, d, "admin")

		// The new tray answers on the path: it replaced the stale socket
		// (a path cannot be bound twice).
		tray = startUptimeTray(t, d)
		// The restarted tray holds admin again from the keyring, before
		// anyone asks for it — if the state file says it was held.
		if remembered {
			waitHeld(t, sock, "admin", what, tray)
		} else {
			forgotten++
		}
		out, stderr, err := d.runNoTTY(t, "export", "admin")
		if err != nil || stderr != "" || !strings.Contains(out, "AWS_SESSION_TOKEN=") {
			t.Fatalf("%s: export admin after the restart: %v %q\n%s", what, err, stderr, tray.logs)
		}
		if n, g := d.mfaCalls(), d.proxy.Count("GetSessionToken"); n != 1 || g != 1 {
			t.Fatalf("%s: after the restart %d MFA codes were asked and %d MFA sessions made, want 1 and 1", what, n, g)
		}
	}
	t.Logf("kill points: %v; %d AssumeRole calls in all", points, d.proxy.Count("AssumeRole"))
	if forgotten > 0 {
		t.Errorf("in %d of 20 restarts the tray did not hold admin again by itself: its state file (%s) did not name it, so only the next command's request unlocked it again",
			forgotten, stateFile(d))
	}

	// A second tray while this one runs: it says so, exits 3, and takes
	// nothing over.
	second := exec.Command(binary(t), "tray")
	second.Env = d.env
	var out bytes.Buffer
	second.Stdout, second.Stderr = &out, &out
	err := second.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("a second tray: %v, want exit status 3\n%s", err, out.String())
	}
	if want := "awstray: the tray is already running (pid " + strconv.Itoa(tray.cmd.Process.Pid) + ")\n"; out.String() != want {
		t.Fatalf("a second tray said %q, want %q", out.String(), want)
	}
	if pid, err := agentPID(sock); err != nil || pid != tray.cmd.Process.Pid {
		t.Fatalf("after a second tray, the agent answered from pid %d (%v), want the first tray's %d", pid, err, tray.cmd.Process.Pid)
	}
	checkSocketFile(t, sock)

	// A tray of another session (another runtime folder, so another
	// single-instance lock) pointed at the same socket: it runs, without
	// the agent, and the live tray keeps its socket.
	other := filepath.Join(d.root, "run2")
	if err := os.MkdirAll(other, 0o700); err != nil {
		t.Fatal(err)
	}
	third := exec.Command(binary(t), "tray")
	third.Env = append(slices.Clone(d.env), "XDG_RUNTIME_DIR="+other, "AWSTRAY_AGENT_SOCKET="+sock)
	var logs testenv.SyncBuffer
	third.Stdout, third.Stderr = &logs, &logs
	if err := third.Start(); err != nil {
		t.Fatal(err)
	}
	thirdDone := make(chan error, 1)
	go func() { thirdDone <- third.Wait() }()
	for !strings.Contains(logs.String(), `msg="no agent socket" err="another awstray agent is serving `+sock+`"`) {
		select {
		case err := <-thirdDone:
			t.Fatalf("a tray of another session ended: %v\n%s", err, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	if pid, err := agentPID(sock); err != nil || pid != tray.cmd.Process.Pid {
		t.Fatalf("after a tray of another session started, the agent answered from pid %d (%v), want %d", pid, err, tray.cmd.Process.Pid)
	}
	_ = third.Process.Signal(syscall.SIGTERM)
	<-thirdDone
	if pid, err := agentPID(sock); err != nil || pid != tray.cmd.Process.Pid {
		t.Fatalf("after a tray of another session quit, the agent answered from pid %d (%v), want %d", pid, err, tray.cmd.Process.Pid)
	}

	if out, _, err := d.runNoTTY(t, "export", "admin"); err != nil || !strings.Contains(out, "AWS_SESSION_TOKEN=") {
		t.Fatalf("export admin after a second tray: %v", err)
	}
	if n := d.mfaCalls(); n != 1 {
		t.Fatalf("%d MFA codes asked in all, want 1", n)
	}
}

// checkStoredKey checks that dev's long-term key in the keyring is the
// one added.
func checkStoredKey(t *testing.T, d *agentDesk, what string) {
	t.Helper()
	st, err := keystore.Open(keystore.Options{
		Backend:        keystore.BackendFile,
		FileDir:        d.keyring,
		FilePassphrase: func() (string, error) { return "correct horse battery staple", nil },
	})
	if err != nil {
		t.Fatalf("%s: opening the keyring: %v", what, err)
	}
	id, secret, err := credentials.StoredKey(st, "dev")
	if err != nil || id != testKeyID || secret.Reveal() != testSecret {
		t.Fatalf("%s: the stored key of dev is lost: %q, %v", what, id, err)
	}
}

func stateFile(d *agentDesk) string {
	return filepath.Join(d.home, ".state", "awstray", "state.json")
}

// heldInState reports whether the tray's state file names profile as
// held: a restarted tray holds those again from the keyring.
func heldInState(t *testing.T, d *agentDesk, profile string) bool {
	t.Helper()
	b, err := os.ReadFile(stateFile(d))
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Unlocked []string `json:"unlocked"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatalf("the tray's state file: %v\n%s", err, b)
	}
	return slices.Contains(st.Unlocked, profile)
}

// waitHeld waits until the agent on sock lists profile as held.
func waitHeld(t *testing.T, sock, profile, what string, tray *uptimeTray) {
	t.Helper()
	cl, err := agent.Dial(sock, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var last string
	for {
		ps, err := cl.List(ctx)
		if err != nil {
			t.Fatalf("%s: listing the profiles: %v", what, err)
		}
		for _, p := range ps {
			if p.Name == profile {
				last = p.State
			}
		}
		if last != "locked" && last != "unlocking" && last != "" {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s: the restarted tray does not hold %s (state %q)\n%s", what, profile, last, tray.logs)
		case <-time.After(20 * time.Millisecond):
		}
	}
}
