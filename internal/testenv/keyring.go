package testenv

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// The keyring recipes of /work/shared/TESTING.md, as helpers: a private
// D-Bus session bus with GNOME Keyring (secret-service) and a throw-away
// password store (pass). Every daemon is a direct child of the test
// process, so that it can be stopped and waited for: no dbus-daemon,
// gnome-keyring-daemon or gpg-agent outlives the tests.

// reexecEnv marks the test binary that ReexecWithSecretService started.
const reexecEnv = "AWSTRAY_TESTENV_SECRET_SERVICE"

// errNotInstalled marks a daemon that is not on PATH.
var errNotInstalled = errors.New("not installed")

// startupTimeout bounds the start of each daemon.
const startupTimeout = 15 * time.Second

// secretServiceErr is why ReexecWithSecretService ran the tests without a
// Secret Service; RequireSecretService reports it.
var secretServiceErr error

// StartSecretService starts a private D-Bus session bus and GNOME Keyring
// on it, with a "login" collection (password "pw") in a temporary home,
// and stops both when the test ends. It returns the environment entries
// that put a process on that bus and home: DBUS_SESSION_BUS_ADDRESS, HOME,
// XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and XDG_RUNTIME_DIR — for
// a subprocess such as the awstray binary. (This process's keyring package
// picked its bus when it started; see ReexecWithSecretService.)
func StartSecretService(t testing.TB) []string {
	t.Helper()
	return StartSecretServiceControl(t).Env
}

// ReexecWithSecretService runs the tests of a package that needs the Secret
// Service in-process. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(testenv.ReexecWithSecretService(m)) }
//
// The keyring package dials the session bus in init(), before TestMain, so
// a bus started by the test itself comes too late. ReexecWithSecretService
// therefore starts the bus and GNOME Keyring, runs the test binary again
// (same arguments) on them, returns its exit status and stops the daemons.
// It does so even when the process has a session bus already: the tests
// must not write to a developer's own login keyring. Without dbus-daemon or
// gnome-keyring-daemon it runs the tests in this process, and
// RequireSecretService stops the tests that need them.
func ReexecWithSecretService(m *testing.M) int {
	if os.Getenv(reexecEnv) == "1" {
		return m.Run()
	}
	ss, err := startSecretService()
	if err != nil {
		secretServiceErr = err
		return m.Run()
	}
	defer ss.stop()

	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = append(mergeEnv(os.Environ(), ss.env), reexecEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// Stay alive until the child is done so that the daemons are stopped;
	// pass on what we get (go test sends SIGQUIT on a timeout).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "testenv: running the tests on a private Secret Service: %v\n", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case err := <-done:
			var ee *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &ee) && ee.ExitCode() > 0:
				return ee.ExitCode()
			default:
				fmt.Fprintf(os.Stderr, "testenv: the tests on a private Secret Service: %v\n", err)
				return 1
			}
		}
	}
}

// RequireSecretService stops the test (see Missing) unless the process
// runs on the private bus and GNOME Keyring ReexecWithSecretService started.
func RequireSecretService(t testing.TB) {
	t.Helper()
	switch {
	case os.Getenv(reexecEnv) == "1":
	case errors.Is(secretServiceErr, errNotInstalled):
		Missing(t, "Secret Service: %v", secretServiceErr)
	case secretServiceErr != nil:
		t.Fatalf("starting a Secret Service: %v", secretServiceErr)
	default:
		Missing(t, "Secret Service: TestMain does not call testenv.ReexecWithSecretService")
	}
}

// secretService is a running private bus with GNOME Keyring.
type secretService struct {
	dir  string
	env  []string
	bus  *daemon
	gkd  *daemon
	once sync.Once
}

func startSecretService() (_ *secretService, err error) {
	for _, p := range []string{"dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(p); err != nil {
			return nil, fmt.Errorf("%s is %w (Debian packages dbus, gnome-keyring)", p, errNotInstalled)
		}
	}
	// A short directory: unix socket paths are limited to ~100 bytes.
	dir, err := os.MkdirTemp("", "awstray-ss-")
	if err != nil {
		return nil, err
	}
	ss := &secretService{dir: dir}
	defer func() {
		if err != nil {
			ss.stop()
		}
	}()
	home := filepath.Join(dir, "home")
	run := filepath.Join(dir, "run")
	for _, d := range []string{home, run} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return nil, err
		}
	}

	bus, addr, err := startBus(run)
	if err != nil {
		return nil, err
	}
	ss.bus = bus

	ss.env = []string{
		"DBUS_SESSION_BUS_ADDRESS=" + addr,
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + run,
	}
	// --unlock reads the login password from stdin and creates the "login"
	// collection with it in XDG_DATA_HOME/keyrings.
	gkCmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	gkCmd.Env = mergeEnv(os.Environ(), ss.env)
	gkCmd.Stdin = strings.NewReader(loginPassword)
	if ss.gkd, err = startDaemon(gkCmd); err != nil {
		return nil, err
	}
	if err := waitForLogin(addr, ss.gkd); err != nil {
		return nil, fmt.Errorf("gnome-keyring-daemon: %w", err)
	}
	return ss, nil
}

// stop stops the daemons, waits for them and removes the directory.
func (ss *secretService) stop() {
	ss.once.Do(func() {
		ss.gkd.stop(0)
		ss.bus.stop(0)
		_ = os.RemoveAll(ss.dir)
	})
}

// readLine reads dbus-daemon's address from its stdout.
func readLine(r interface{ Read([]byte) (int, error) }, d *daemon) (string, error) {
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case s := <-line:
		if s == "" {
			return "", fmt.Errorf("no address printed: %s", d.output())
		}
		return s, nil
	case <-d.done:
		return "", fmt.Errorf("exited: %v: %s", d.err, d.output())
	case <-time.After(startupTimeout):
		return "", fmt.Errorf("no address within %s", startupTimeout)
	}
}

// waitForLogin waits until the Secret Service on addr has an unlocked
// "login" collection.
func waitForLogin(addr string, d *daemon) error {
	conn, err := dbus.Connect(addr)
	if err != nil {
		return fmt.Errorf("connecting to %s: %w", addr, err)
	}
	defer conn.Close()
	const login = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	deadline := time.Now().Add(startupTimeout)
	for {
		v, err := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").GetProperty("org.freedesktop.Secret.Service.Collections")
		if err == nil {
			paths, _ := v.Value().([]dbus.ObjectPath)
			for _, p := range paths {
				if p != login {
					continue
				}
				l, err := conn.Object("org.freedesktop.secrets", login).GetProperty("org.freedesktop.Secret.Collection.Locked")
				if locked, _ := l.Value().(bool); err == nil && !locked {
					return nil
				}
			}
		}
		select {
		case <-d.done:
			return fmt.Errorf("exited: %v: %s", d.err, d.output())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no unlocked login collection within %s (last error: %v): %s", startupTimeout, err, d.output())
		}
	}
}

// InitPass makes a password store for the pass backend: a temporary
// GNUPGHOME with a passphrase-less key, a gpg-agent for it, and `pass init`
// in a temporary PASSWORD_STORE_DIR. It returns GNUPGHOME=… and
// PASSWORD_STORE_DIR=…; a test that runs pass in-process sets them with
// t.Setenv. At cleanup the agent is stopped (gpgconf --kill gpg-agent) and
// waited for, and the directories are removed.
func InitPass(t testing.TB) []string {
	t.Helper()
	for _, p := range []string{"pass", "gpg", "gpg-agent", "gpgconf"} {
		if _, err := exec.LookPath(p); err != nil {
			Missing(t, "%s is not installed (Debian packages pass, gnupg)", p)
		}
	}
	dir, err := os.MkdirTemp("", "awstray-pass-") // short: the agent's socket lives here
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	gnupg := filepath.Join(dir, "gnupg")
	store := filepath.Join(dir, "store")
	if err := os.Mkdir(gnupg, 0o700); err != nil {
		t.Fatal(err)
	}
	env := []string{"GNUPGHOME=" + gnupg, "PASSWORD_STORE_DIR=" + store}
	full := mergeEnv(os.Environ(), env)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Env = full
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.Bytes())
		}
		return string(out)
	}

	// gpg starts a gpg-agent on demand, which daemonises and outlives the
	// test. Start it here instead, in the foreground (--supervised) on a
	// socket we bind where gpg looks for it, as a child we can wait for.
	_ = exec.Command("gpgconf", "--create-socketdir").Run() // where /run/user/UID exists
	sock := strings.TrimSpace(run("gpgconf", "--list-dirs", "agent-socket"))
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatalf("binding the gpg-agent socket: %v", err)
	}
	ul := l.(*net.UnixListener)
	ul.SetUnlinkOnClose(false)
	f, err := ul.File()
	_ = ul.Close()
	if err != nil {
		t.Fatalf("binding the gpg-agent socket: %v", err)
	}
	agentCmd := exec.Command("gpg-agent", "--supervised")
	agentCmd.Env = full
	agentCmd.ExtraFiles = []*os.File{f} // fd 3
	agent, err := startDaemon(agentCmd)
	_ = f.Close()
	if err != nil {
		t.Fatalf("starting gpg-agent: %v", err)
	}
	t.Cleanup(func() {
		kill := exec.Command("gpgconf", "--kill", "gpg-agent")
		kill.Env = full
		_ = kill.Run()
		agent.stop(5 * time.Second)
	})

	run("gpg", "--batch", "--passphrase", "", "--quick-gen-key", "awstray test <test@awstray.invalid>", "future-default", "default", "never")
	var fpr string
	for _, line := range strings.Split(run("gpg", "--batch", "--with-colons", "--list-secret-keys"), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" {
			fpr = f[9]
			break
		}
	}
	if fpr == "" {
		t.Fatal("gpg made no key")
	}
	run("pass", "init", fpr)
	return env
}

// daemon is a started child process that is waited for exactly once.
type daemon struct {
	cmd  *exec.Cmd
	out  *SyncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // Wait's result, set before done is closed
}

func startDaemon(cmd *exec.Cmd) (*daemon, error) {
	d := &daemon{cmd: cmd, out: &SyncBuffer{}, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = d.out
	}
	cmd.Stderr = d.out
	cmd.WaitDelay = 2 * time.Second // do not hang on a grandchild holding the pipes
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", filepath.Base(cmd.Path), err)
	}
	go func() {
		d.err = cmd.Wait()
		close(d.done)
	}()
	return d, nil
}

// stop waits up to grace for the daemon to end by itself, then asks it to
// end (SIGTERM), kills it after a while, and waits for it.
func (d *daemon) stop(grace time.Duration) {
	if d == nil {
		return
	}
	select {
	case <-d.done:
		return
	case <-time.After(grace):
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		_ = d.cmd.Process.Kill()
	}
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

func (d *daemon) output() string { return strings.TrimSpace(d.out.String()) }

// mergeEnv returns base with the variables set in over replaced; an entry
// "NAME=" only drops NAME.
func mergeEnv(base, over []string) []string {
	names := make(map[string]bool, len(over))
	for _, kv := range over {
		name, _, _ := strings.Cut(kv, "=")
		names[name] = true
	}
	var out []string
	for _, kv := range base {
		if name, _, _ := strings.Cut(kv, "="); !names[name] {
			out = append(out, kv)
		}
	}
	for _, kv := range over {
		if !strings.HasSuffix(kv, "=") {
			out = append(out, kv)
		}
	}
	return out
}

// startBus starts a private session bus listening in dir: without service
// directories, so nothing is D-Bus-activated on it (no second keyring
// daemon, no notification daemon taking the name before a recorder).
func startBus(dir string) (*daemon, string, error) {
	var dirXML bytes.Buffer
	_ = xml.EscapeText(&dirXML, []byte(dir))
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=`+dirXML.String()+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600); err != nil {
		return nil, "", err
	}
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=1")
	cmd.Env = mergeEnv(os.Environ(), []string{"DBUS_SESSION_BUS_ADDRESS="})
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	d, err := startDaemon(cmd)
	if err != nil {
		return nil, "", err
	}
	addr, err := readLine(stdout, d)
	if err != nil {
		d.stop(0)
		return nil, "", fmt.Errorf("dbus-daemon: %w", err)
	}
	return d, addr, nil
}
