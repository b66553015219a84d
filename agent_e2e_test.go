//go:build linux

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// agentDesk is a session for the agent tests: a D-Bus session bus for the
// tray, the file keyring, and moto behind a proxy that counts STS actions.
type agentDesk struct {
	*sandbox
	bus   string
	proxy *testfake.CountingProxy
	moto  *testenv.Moto
}

const agentConfig = `[profile dev]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/dev
mfa_process = echo call >> "$MFA_CALLS"; echo 123456

[profile admin]
source_profile = dev
role_arn = arn:aws:iam::123456789012:role/admin
`

func newAgentDesk(t testing.TB, config, settingsTOML string) *agentDesk {
	t.Helper()
	moto := testenv.StartMoto(t)
	proxy := testfake.StartCountingProxy(t, moto.URL)
	d := &agentDesk{moto: moto, proxy: proxy, bus: testenv.StartSessionBus(t)}
	// A panel's watcher: without one the tray would add a notification
	// that the tests' counts do not expect.
	testenv.StartStatusNotifierWatcher(t, d.bus)
	d.sandbox = newSandbox(t, proxy.URL)
	var env []string
	for _, kv := range d.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	runtime := filepath.Join(d.root, "run")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	d.env = append(env, "DBUS_SESSION_BUS_ADDRESS="+d.bus, "XDG_RUNTIME_DIR="+runtime,
		"XDG_STATE_HOME="+filepath.Join(d.home, ".state"), "MFA_CALLS="+filepath.Join(d.root, "mfa-calls"))
	writeHome(t, d.home, config, settingsTOML)
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	return d
}

// startTray starts the tray and waits for its agent socket to answer.
func (d *agentDesk) startTray(t testing.TB) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = d.env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	}
	t.Cleanup(stop)
	sock := filepath.Join(d.root, "run", "awstray", "agent.sock")
	for i := 0; ; i++ {
		if _, err := os.Stat(sock); err == nil {
			return cmd
		}
		if i > 400 {
			t.Fatalf("no agent socket at %s\n%s", sock, logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (d *agentDesk) mfaCalls() int {
	b, _ := os.ReadFile(filepath.Join(d.root, "mfa-calls"))
	return strings.Count(string(b), "call")
}

// runNoTTY runs awstray detached from any terminal: a prompt would fail.
func (d *agentDesk) runNoTTY(t testing.TB, args ...string) (string, string, error) {
	cmd := exec.Command(binary(t), args...)
	cmd.Env = d.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	return o.String(), e.String(), err
}

// TestAgentOneMFACodeForTenProcesses: with the tray running, ten `awstray
// exec` in ten processes get credentials with no prompt and one
// GetSessionToken between them; the same after the tray restarts.
func TestAgentOneMFACodeForTenProcesses(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	tray := d.startTray(t)
	runTen := func(round string) {
		var wg sync.WaitGroup
		errs := make(chan string, 10)
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, stderr, err := d.runNoTTY(t, "exec", "admin", "--", "awstray-whoami")
				if err != nil || !strings.Contains(out, ":assumed-role/admin/") || stderr != "" {
					errs <- fmt.Sprintf("%s: %v %q %q", round, err, out, stderr)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	}
	runTen("first ten")
	if n := d.proxy.Count("GetSessionToken"); n != 1 {
		t.Fatalf("%d GetSessionToken calls for ten processes, want 1", n)
	}
	if n := d.proxy.Count("AssumeRole"); n != 1 {
		t.Fatalf("%d AssumeRole calls for ten processes, want 1", n)
	}
	if n := d.mfaCalls(); n != 1 {
		t.Fatalf("%d MFA codes asked, want 1", n)
	}
	// A new tray: the sessions come from the keyring.
	_ = tray.Process.Signal(syscall.SIGTERM)
	_ = tray.Wait()
	d.startTray(t)
	runTen("after a restart")
	if n, m := d.proxy.Count("GetSessionToken"), d.mfaCalls(); n != 1 || m != 1 {
		t.Fatalf("after the restart: %d GetSessionToken calls and %d MFA codes, want 1 and 1", n, m)
	}
}

// TestExecServerLongRunningProcess: a program under `exec --server` keeps
// calling AWS across several credential refreshes (the endpoint reports a
// 2-second lifetime; the tray's roles last 20 s here, so renewals are real).
func TestExecServerLongRunningProcess(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "role_duration = \"20s\"\n")
	d.startTray(t)
	d.env = append(d.env, "AWSTRAY_SERVER_MAX_LIFETIME=2s", "AWSTRAY_LOOP_EVERY=500ms", "AWSTRAY_LOOP_FOR=8s")
	out, stderr, err := d.runNoTTY(t, "exec", "--server", "admin", "--", "awstray-sdkloop")
	if err != nil {
		t.Fatalf("%v: %s", err, stderr)
	}
	var calls, ok, keys int
	if _, err := fmt.Sscanf(strings.TrimSpace(out), "calls=%d ok=%d keys=%d", &calls, &ok, &keys); err != nil {
		t.Fatalf("sdkloop said %q (%v); stderr %s", out, err, stderr)
	}
	if calls < 10 || ok != calls {
		t.Fatalf("%d of %d calls succeeded", ok, calls)
	}
	if keys < 3 {
		t.Fatalf("the program saw %d different credentials, want at least 3 (two refreshes)", keys)
	}
	if n := d.proxy.Count("GetSessionToken"); n != 1 {
		t.Fatalf("%d GetSessionToken calls: renewing a role asked for MFA again", n)
	}
}

// TestAgentLoad: 50 processes asking 20 times each, at once: no errors,
// and one STS call per session made.
func TestAgentLoad(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	d.startTray(t)
	var wg sync.WaitGroup
	errs := make(chan string, 50*20)
	for p := 0; p < 50; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				out, stderr, err := d.runNoTTY(t, "credential-process", "admin")
				if err != nil || !strings.Contains(out, `"SessionToken"`) {
					errs <- fmt.Sprintf("%v %q", err, stderr)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for e := range errs {
		if n++; n <= 3 {
			t.Error(e)
		}
	}
	if n > 0 {
		t.Fatalf("%d of 1000 requests failed", n)
	}
	if g, a := d.proxy.Count("GetSessionToken"), d.proxy.Count("AssumeRole"); g != 1 || a != 1 {
		t.Fatalf("STS calls: %d GetSessionToken, %d AssumeRole; want 1 and 1", g, a)
	}
}

// TestAgentLockedProfileCancelled: asking for a profile the tray cannot
// unlock (no mfa_process, and the dialog is cancelled) fails clearly — and
// never prompts on the terminal.
func TestAgentLockedProfileCancelled(t *testing.T) {
	cfg := "[profile dev]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n"
	d := newAgentDesk(t, cfg, "dialogs = \"zenity\"\n")
	// A zenity that is cancelled, as a person pressing Cancel.
	bin := filepath.Join(d.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "zenity"), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "PATH=") {
			d.env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	d.env = append(d.env, "DISPLAY=:99")
	d.startTray(t)
	_, stderr, err := d.runNoTTY(t, "export", "dev")
	if err == nil || stderr != "awstray: the unlock dialog of the tray was cancelled\n" {
		t.Fatalf("got %v, %q", err, stderr)
	}
	// --no-agent works on its own (and, with no terminal, says what it needs).
	_, stderr, err = d.runNoTTY(t, "export", "dev", "--no-agent")
	if err == nil || !strings.Contains(stderr, "needs an MFA code: pass --mfa-token") {
		t.Fatalf("--no-agent: %v, %q", err, stderr)
	}
	if n := d.proxy.Count("GetSessionToken"); n != 0 {
		t.Fatalf("%d STS calls after a cancelled dialog", n)
	}
}

// TestAgentUnlocksWithTheTrayDialog: a command asks for a locked profile;
// the tray shows its MFA dialog (zenity here, a stand-in that types the
// code), the command waits and gets credentials — no prompt on its terminal,
// and the code is in no process's arguments.
func TestAgentUnlocksWithTheTrayDialog(t *testing.T) {
	cfg := "[profile dev]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n"
	d := newAgentDesk(t, cfg, "dialogs = \"zenity\"\n")
	bin := filepath.Join(d.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	argvLog := filepath.Join(d.root, "zenity-argv")
	zenity := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + argvLog + "\necho 765432\n"
	if err := os.WriteFile(filepath.Join(bin, "zenity"), []byte(zenity), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "PATH=") {
			d.env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	d.env = append(d.env, "DISPLAY=:99")
	d.startTray(t)
	out, stderr, err := d.runNoTTY(t, "exec", "dev", "--", "awstray-whoami")
	if err != nil || !strings.HasPrefix(out, "arn:aws:") || stderr != "" {
		t.Fatalf("exec of a locked profile through the tray: %v %q %q", err, out, stderr)
	}
	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatalf("the tray showed no dialog: %v", err)
	}
	if !strings.Contains(string(argv), "dev") || strings.Contains(string(argv), "765432") {
		t.Fatalf("dialog arguments: %q", argv)
	}
	if n := d.proxy.Count("GetSessionToken"); n != 1 {
		t.Fatalf("%d GetSessionToken calls", n)
	}
	// Now unlocked: the next command asks nothing.
	if _, _, err := d.runNoTTY(t, "exec", "dev", "--", "true"); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(argvLog); strings.Count(string(b), "--entry") > 1 {
		t.Fatalf("a second dialog was shown: %q", b)
	}
}

// serverChild is `awstray exec --server` running a shell that, for each
// line it reads, runs awstray-whoami: a new Go SDK each time, so one
// fetch of the endpoint and one AWS call.
type serverChild struct {
	t      testing.TB
	stdin  io.WriteCloser
	stdout *os.File
	r      *bufio.Reader
}

func (d *agentDesk) startServerChild(t testing.TB, profile string) *serverChild {
	t.Helper()
	cmd := exec.Command(binary(t), "exec", "--server", profile, "--",
		"sh", "-c", `while read -r _; do awstray-whoami 2>&1; echo "rc=$?"; done`)
	cmd.Env = d.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A pipe of our own, for read deadlines.
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	t.Cleanup(func() {
		_ = stdin.Close() // the shell's loop ends, then exec --server
		if err := cmd.Wait(); err != nil {
			t.Errorf("exec --server: %v\n%s", err, stderr.String())
		}
		pr.Close()
	})
	return &serverChild{t: t, stdin: stdin, stdout: pr, r: bufio.NewReader(pr)}
}

// fetch has the child make one AWS call and returns what it printed and
// whether it succeeded.
func (c *serverChild) fetch() (string, bool) {
	c.t.Helper()
	if _, err := io.WriteString(c.stdin, "go\n"); err != nil {
		c.t.Fatalf("exec --server is gone: %v", err)
	}
	_ = c.stdout.SetReadDeadline(time.Now().Add(60 * time.Second))
	var out strings.Builder
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			c.t.Fatalf("reading the child: %v (so far %q)", err, out.String())
		}
		if rc, ok := strings.CutPrefix(line, "rc="); ok {
			return out.String(), rc == "0\n"
		}
		out.WriteString(line)
	}
}

// TestExecServerObeysLock: a running `exec --server` asks the tray on
// every fetch. Locked in the tray, the profile stops serving at the next
// fetch — an error the SDK prints, no dialog, no new session — and the
// person gets one notification however often the programs ask; unlocked,
// it serves again; locked again, one more notification. When the tray
// quits, the endpoint works on its own from the keyring's sessions.
func TestExecServerObeysLock(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	notes := testenv.StartNotificationRecorder(t, d.bus)
	tray := d.startTray(t)
	child := d.startServerChild(t, "dev")
	if out, ok := child.fetch(); !ok || !strings.HasPrefix(out, "arn:aws:") {
		t.Fatalf("first fetch: %q", out)
	}

	cl, err := agent.Dial(filepath.Join(d.root, "run", "awstray", "agent.sock"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx := t.Context()
	lockedNotes := func() int {
		n := 0
		for _, note := range notes.Notifications() {
			if note.Summary == "dev is locked" {
				n++
			}
		}
		return n
	}
	sessions := d.proxy.Count("GetSessionToken")
	lockAndFetch := func(round string, wantNotes int) {
		t.Helper()
		if err := cl.Lock(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			out, ok := child.fetch()
			if ok || !strings.Contains(out, `ProfileLocked: awstray could not get credentials: profile "dev" is locked in the awstray tray: unlock it there`) {
				t.Fatalf("%s: fetch %d after Lock: ok=%v %q", round, i, ok, out)
			}
		}
		// The tray notifies before it answers: what is recorded now is
		// all that these fetches caused.
		if n := lockedNotes(); n != wantNotes {
			t.Fatalf("%s: %d notifications of the lock, want %d: %+v", round, n, wantNotes, notes.Notifications())
		}
		if n := d.proxy.Count("GetSessionToken"); n != sessions {
			t.Fatalf("%s: a fetch of a locked profile made a session (%d GetSessionToken calls, want %d)", round, n, sessions)
		}
	}
	unlockAndFetch := func(round string) {
		t.Helper()
		if err := cl.Unlock(ctx, "dev"); err != nil {
			t.Fatal(err)
		}
		sessions++
		if out, ok := child.fetch(); !ok || !strings.HasPrefix(out, "arn:aws:") {
			t.Fatalf("%s: fetch after Unlock: %q", round, out)
		}
	}

	lockAndFetch("first lock", 1)
	if got := notes.Notifications(); len(got) != 1 || got[0].Body != "Unlock it to let the programs in that terminal continue." {
		t.Fatalf("notifications: %+v", got)
	}
	unlockAndFetch("first unlock")
	lockAndFetch("second lock", 2)
	unlockAndFetch("second unlock")

	// No tray: the endpoint serves the keyring's session on its own.
	_ = cl.Close()
	_ = tray.Process.Signal(syscall.SIGTERM)
	_ = tray.Wait()
	if out, ok := child.fetch(); !ok || !strings.HasPrefix(out, "arn:aws:") {
		t.Fatalf("fetch after the tray quit: %q", out)
	}
	if n := d.proxy.Count("GetSessionToken"); n != sessions {
		t.Fatalf("%d GetSessionToken calls, want %d: the endpoint did not use the cached session", n, sessions)
	}
}
