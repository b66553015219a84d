//go:build windows

package main

// The Windows stage (make test-windows, scripts/test-windows.sh): this file
// is built into a Windows test binary and run under Wine 10 on Linux, or on
// Windows itself. moto_server runs outside Wine: the stage passes its URL
// in AWSTRAY_TEST_MOTO_URL (without it, moto_server is started here).

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/windows"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/testenv"
)

// windowsMoto returns the URL of a moto_server with no state.
func windowsMoto(t *testing.T) string {
	t.Helper()
	u := os.Getenv("AWSTRAY_TEST_MOTO_URL")
	if u == "" {
		return testenv.StartMoto(t).URL
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(u+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("resetting moto_server at %s: %v", u, err)
	}
	resp.Body.Close()
	return u
}

// requireThrowawayCredMan stops the test unless the Credential Manager it
// writes to is a throwaway one: the scripts add and remove items of the
// service awstray, which a person's own keys use too.
func requireThrowawayCredMan(t *testing.T) {
	t.Helper()
	if os.Getenv("AWSTRAY_TEST_WINCRED") != "throwaway" {
		testenv.Missing(t, "these tests write and delete awstray items in this Windows user's Credential Manager: "+
			"set AWSTRAY_TEST_WINCRED=throwaway under Wine or for a throwaway user")
	}
}

// windowsPassEnv are the variables a Windows program needs from its
// parent's environment (testscript starts from an empty one); Wine's own
// (WINE*) tell a child which prefix and server it belongs to.
func windowsPassEnv() [][2]string {
	var out [][2]string
	for _, kv := range os.Environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		switch u := strings.ToUpper(k); {
		case u == "SYSTEMROOT", u == "WINDIR", u == "COMSPEC", u == "PATHEXT", u == "SYSTEMDRIVE",
			u == "PROGRAMDATA", u == "PROGRAMFILES", u == "COMMONPROGRAMFILES", u == "OS",
			u == "USERNAME", u == "USERDOMAIN", u == "COMPUTERNAME", u == "NUMBER_OF_PROCESSORS",
			strings.HasPrefix(u, "PROCESSOR_"), strings.HasPrefix(u, "WINE"), u == "DISPLAY":
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// serialT runs testscript's scripts one after the other: they share the
// one Credential Manager of the Windows user.
type serialT struct{ *testing.T }

func (serialT) Parallel() {}

func (t serialT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(t *testing.T) { f(serialT{t}) })
}

func (serialT) Verbose() bool { return testing.Verbose() }

// TestWindowsScripts runs the CLI scripts of testdata/windows with the
// Windows binary: the wincred and file keyrings, exec through cmd.exe,
// the Windows export formats, exit codes.
func TestWindowsScripts(t *testing.T) {
	requireThrowawayCredMan(t)
	moto := windowsMoto(t)
	testscript.RunT(serialT{t}, testscript.Params{
		Dir:                 filepath.Join("testdata", "windows"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exitcode N PROGRAM [ARGS...]: PROGRAM exits with status N; its
			// output is kept for stdout and stderr.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
				}
				err := ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				switch {
				case errors.As(err, &ee):
					got = ee.ExitCode()
				case err != nil:
					ts.Fatalf("%s: %v", args[1], err)
				}
				if fmt.Sprint(got) != args[0] {
					ts.Fatalf("%s exited with status %d, want %s", args[1], got, args[0])
				}
			},
		},
		Setup: func(e *testscript.Env) error {
			for _, kv := range windowsPassEnv() {
				e.Setenv(kv[0], kv[1])
			}
			home := filepath.Join(e.WorkDir, "home")
			for _, kv := range [][2]string{
				{"USERPROFILE", home},
				{"APPDATA", filepath.Join(home, "AppData", "Roaming")},
				{"LOCALAPPDATA", filepath.Join(home, "AppData", "Local")},
				{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
				{"AWSTRAY_BACKEND", "wincred"},
				// No tray answers there: the CLI works on its own.
				{"AWSTRAY_AGENT_SOCKET", `\\.\pipe\awstray-test-` + randomHex(8)},
				{"AWS_ENDPOINT_URL", moto},
				{"AWS_EC2_METADATA_DISABLED", "true"},
			} {
				e.Setenv(kv[0], kv[1])
			}
			return nil
		},
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// trayConfig has a plain IAM user, one with MFA (codes from mfa_process,
// run by cmd.exe) and a role on top of it.
const trayConfig = `[profile tdev]
region = us-east-1

[profile tmfa]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/tmfa
mfa_process = echo 123456

[profile tadmin]
source_profile = tmfa
role_arn = arn:aws:iam::123456789012:role/tadmin
`

// winDesk is one Windows user's session for the tray tests: its own
// profile folders, config, agent pipe and moto.
type winDesk struct {
	exe  string   // awstray.exe (this test binary, under testscript's name)
	env  []string // for the tray and the CLI
	pipe string
	dir  string
}

func newWinDesk(t *testing.T, moto string) *winDesk {
	t.Helper()
	exe, err := exec.LookPath("awstray")
	if err != nil {
		t.Fatalf("awstray.exe is not on PATH (testscript.Main puts it there): %v", err)
	}
	d := &winDesk{exe: exe, dir: t.TempDir(), pipe: `\\.\pipe\awstray-test-` + randomHex(8)}
	home := filepath.Join(d.dir, "home")
	if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(trayConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	d.env = []string{"PATH=" + os.Getenv("PATH"), "TMP=" + d.dir, "TEMP=" + d.dir}
	for _, kv := range windowsPassEnv() {
		d.env = append(d.env, kv[0]+"="+kv[1])
	}
	d.env = append(d.env,
		"USERPROFILE="+home,
		"APPDATA="+filepath.Join(home, "AppData", "Roaming"),
		"LOCALAPPDATA="+filepath.Join(home, "AppData", "Local"),
		"AWS_CONFIG_FILE="+filepath.Join(home, ".aws", "config"),
		"AWSTRAY_BACKEND=wincred",
		"AWSTRAY_AGENT_SOCKET="+d.pipe,
		"AWS_ENDPOINT_URL="+moto,
		"AWS_EC2_METADATA_DISABLED=true",
	)
	return d
}

// run runs awstray with args and stdin, with extra environment entries
// after the desk's, for at most limit; it returns stdout, stderr, how long
// it took and the error.
func (d *winDesk) run(t *testing.T, limit time.Duration, stdin string, extraEnv []string, args ...string) (stdout, stderr string, took time.Duration, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, d.exe, args...)
	cmd.Env = append(append([]string(nil), d.env...), extraEnv...)
	cmd.Dir = d.dir
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err = cmd.Run()
	took = time.Since(start)
	if ctx.Err() != nil {
		err = fmt.Errorf("killed after %v: %w", limit, ctx.Err())
	}
	return o.String(), e.String(), took, err
}

func (d *winDesk) mustRun(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, errOut, _, err := d.run(t, time.Minute, stdin, nil, args...)
	if err != nil {
		t.Fatalf("awstray %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// startTray starts the tray and waits until its pipe has an instance
// listening — without connecting to it: the first connection is the one
// under test.
func (d *winDesk) startTray(t *testing.T) *syncBuffer {
	t.Helper()
	cmd := exec.Command(d.exe, "tray")
	cmd.Env = d.env
	cmd.Dir = d.dir
	logs := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("tray output:\n%s", logs.String())
		}
	})
	name, err := windows.UTF16PtrFromString(d.pipe)
	if err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(30 * time.Second); ; {
		// WaitNamedPipe returns once an instance listens; it opens none.
		if err := waitNamedPipe(name, 100); err == nil {
			return logs
		}
		select {
		case <-exited:
			t.Fatalf("the tray exited before it listened on %s:\n%s", d.pipe, logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(end) {
			t.Fatalf("the tray did not listen on %s within 30s:\n%s", d.pipe, logs.String())
		}
	}
}

var procWaitNamedPipeW = windows.NewLazySystemDLL("kernel32.dll").NewProc("WaitNamedPipeW")

func waitNamedPipe(name *uint16, ms uint32) error {
	r, _, err := procWaitNamedPipeW.Call(uintptr(unsafe.Pointer(name)), uintptr(ms))
	if r == 0 {
		return err
	}
	return nil
}

// syncBuffer is a bytes.Buffer for several goroutines.
type syncBuffer struct {
	mu sync.Mutex // protects b
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWindowsTrayAgent: the tray serves the CLI through its named pipe.
// The first request a freshly started tray gets — exec of a locked
// profile, which the tray unlocks — is answered in under 2 s (under Wine
// it used to wait for ever: go-winio's listener left the first client on
// an instance nobody reads). The CLI runs with an empty keyring of its
// own, so that it cannot work without the tray.
func TestWindowsTrayAgent(t *testing.T) {
	requireThrowawayCredMan(t)
	d := newWinDesk(t, windowsMoto(t))
	for _, p := range []string{"tdev", "tmfa"} {
		d.mustRun(t, testKeyID+"\n"+testSecret+"\n", "add", p)
	}
	d.mustRun(t, "", "clear") // nothing cached: every profile starts locked
	d.startTray(t)
	trayOnly := []string{"AWSTRAY_BACKEND=file", "AWSTRAY_FILE_DIR=" + filepath.Join(d.dir, "empty-keyring"), "AWSTRAY_FILE_PASSPHRASE=unused"}

	out, errOut, took, err := d.run(t, 30*time.Second, "", trayOnly, "exec", "tdev", "--", "cmd", "/c", "set", "AWS")
	if err != nil {
		t.Fatalf("the first exec through the tray: %v (after %v)\n%s", err, took, errOut)
	}
	if !regexp.MustCompile(`(?m)^AWS_ACCESS_KEY_ID=A[KS]IA`).MatchString(out) || !strings.Contains(out, "AWS_SESSION_TOKEN=") {
		t.Fatalf("exec through the tray: no credentials in the child's environment:\n%s", out)
	}
	if took > 2*time.Second {
		t.Errorf("the first exec through the tray took %v, want under 2s", took)
	}
	t.Logf("the first exec through the tray took %v", took)

	c, err := agent.Dial(d.pipe, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	states := map[string]string{}
	ps, err := c.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		states[p.Name] = p.State
	}
	if states["tdev"] != "active" || states["tmfa"] != "locked" {
		t.Errorf("the tray's profiles after exec tdev: %v, want tdev active and tmfa locked", states)
	}

	t.Run("RoleWithMFA", func(t *testing.T) {
		// tmfa is locked: the tray runs its mfa_process, then assumes the role.
		out, errOut, took, err := d.run(t, 30*time.Second, "", trayOnly, "exec", "tadmin", "--", "awstray-whoami")
		if err != nil {
			t.Fatalf("exec tadmin through the tray: %v (after %v)\n%s", err, took, errOut)
		}
		if !strings.HasPrefix(out, "arn:aws:sts::123456789012:assumed-role/tadmin/") {
			t.Errorf("exec tadmin: whoami = %q", out)
		}
	})

	t.Run("ExecServer", func(t *testing.T) {
		// An SDK in the child fetches from the endpoint, which asks the tray.
		out, errOut, _, err := d.run(t, 30*time.Second, "", trayOnly, "exec", "--server", "tdev", "--", "awstray-whoami")
		if err != nil {
			t.Fatalf("exec --server tdev: %v\n%s", err, errOut)
		}
		if !strings.HasPrefix(out, "arn:aws:") {
			t.Errorf("exec --server tdev: whoami = %q", out)
		}
	})

	t.Run("ExecServerLocked", func(t *testing.T) {
		// The test is the SDK: the child prints the endpoint and waits for
		// its stdin to close. Locked in the tray, the next fetch fails at
		// once with the reason, although no notification can be shown
		// under Wine.
		ectx, ecancel := context.WithTimeout(context.Background(), time.Minute)
		defer ecancel()
		cmd := exec.CommandContext(ectx, d.exe, "exec", "--server", "tdev", "--", "cmd", "/c", "set AWS_CONTAINER& more")
		cmd.Env = append(append([]string(nil), d.env...), trayOnly...)
		cmd.Dir = d.dir
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var errb syncBuffer
		cmd.Stderr = &errb
		cmd.WaitDelay = 5 * time.Second // the grandchild holds stdout
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = stdin.Close(); _ = cmd.Wait() }()
		type endpoint struct{ uri, token string }
		found := make(chan endpoint, 1)
		go func() {
			var e endpoint
			sc := bufio.NewScanner(stdout)
			for (e.uri == "" || e.token == "") && sc.Scan() {
				k, v, _ := strings.Cut(strings.TrimSpace(sc.Text()), "=")
				switch k {
				case "AWS_CONTAINER_CREDENTIALS_FULL_URI":
					e.uri = v
				case "AWS_CONTAINER_AUTHORIZATION_TOKEN":
					e.token = v
				}
			}
			found <- e
			_, _ = io.Copy(io.Discard, stdout)
		}()
		var uri, token string
		select {
		case e := <-found:
			uri, token = e.uri, e.token
		case <-ectx.Done():
		}
		if uri == "" || token == "" {
			t.Fatalf("the child of exec --server shows no endpoint:\n%s", errb.String())
		}
		fetch := func() (int, string, time.Duration) {
			req, err := http.NewRequestWithContext(ectx, http.MethodGet, uri, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", token)
			start := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("fetching from the endpoint: %v", err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b), time.Since(start)
		}
		if code, body, _ := fetch(); code != http.StatusOK || !strings.Contains(body, `"AccessKeyId"`) {
			t.Fatalf("fetch while tdev is unlocked: %d %.80s", code, body)
		}
		if err := c.Lock(ctx, "tdev"); err != nil {
			t.Fatal(err)
		}
		code, body, took := fetch()
		if code != http.StatusLocked || !strings.Contains(body, `"code":"ProfileLocked"`) {
			t.Errorf("fetch while tdev is locked: %d %s, want 423 ProfileLocked", code, body)
		}
		if took > 2*time.Second {
			t.Errorf("the fetch of a locked profile took %v, want under 2s (an SDK gives up after about 2s)", took)
		}
		if err := stdin.Close(); err != nil {
			t.Fatal(err)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("exec --server: %v\n%s", err, errb.String())
		}
	})
}
