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
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/sys/windows"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/tray"
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
// run by cmd.exe), a role on top of it, and a user with MFA whose code the
// tray asks for in a dialog.
const trayConfig = `[profile tdev]
region = us-east-1

[profile tmfa]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/tmfa
mfa_process = echo 123456

[profile tadmin]
source_profile = tmfa
role_arn = arn:aws:iam::123456789012:role/tadmin

[profile tasks]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/tasks
`

// winDesk is one Windows user's session for the tray tests: its own
// profile folders, config, agent pipe and moto.
type winDesk struct {
	exe  string   // awstray.exe (this test binary, under testscript's name)
	env  []string // for the tray and the CLI
	pipe string
	dir  string
	// trayPID is the process startTray started.
	trayPID uint32
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
func (d *winDesk) startTray(t *testing.T) *testenv.SyncBuffer {
	t.Helper()
	return d.startTrayWith(t, nil)
}

// startTrayWith is startTray with the process attributes attr.
func (d *winDesk) startTrayWith(t *testing.T, attr *syscall.SysProcAttr) *testenv.SyncBuffer {
	t.Helper()
	cmd := exec.Command(d.exe, "tray")
	cmd.SysProcAttr = attr
	cmd.Env = d.env
	cmd.Dir = d.dir
	logs := &testenv.SyncBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d.trayPID = uint32(cmd.Process.Pid)
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
		var errb testenv.SyncBuffer
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

// TestWindowsTrayMFADialogFails: a locked profile with mfa_serial and no
// mfa_process, asked for through the tray set to PowerShell's dialogs,
// where the dialog cannot be shown (Wine's powershell.exe is a stub that
// exits 0 and prints nothing):
// the CLI gets one line naming the dialog tool at once. It used to wait
// five minutes while the tray started PowerShell again and again.
func TestWindowsTrayMFADialogFails(t *testing.T) {
	requireThrowawayCredMan(t)
	if !powershellIsStub(t) {
		t.Skip("powershell.exe shows real dialogs here: nobody would answer this one")
	}
	d := newWinDesk(t, windowsMoto(t))
	d.mustRun(t, testKeyID+"\n"+testSecret+"\n", "add", "tasks")
	d.mustRun(t, "", "clear")
	// PowerShell's dialogs, not the Win32 ones the tray uses by default.
	settingsPath := filepath.Join(d.dir, "settings.toml")
	if err := os.WriteFile(settingsPath, []byte("dialogs = \"powershell\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d.env = append(d.env, "AWSTRAY_SETTINGS="+settingsPath)
	d.startTray(t)
	trayOnly := []string{"AWSTRAY_BACKEND=file", "AWSTRAY_FILE_DIR=" + filepath.Join(d.dir, "empty-keyring"), "AWSTRAY_FILE_PASSPHRASE=unused"}
	_, errOut, took, err := d.run(t, time.Minute, "", trayOnly, "exec", "tasks", "--", "cmd", "/c", "echo", "ran")
	if err == nil {
		t.Fatalf("exec tasks succeeded without an MFA code")
	}
	line := strings.TrimSpace(errOut)
	if strings.Contains(line, "\n") || !strings.Contains(line, "powershell") {
		t.Errorf("exec tasks: stderr %q, want one line naming powershell", errOut)
	}
	if took > 10*time.Second {
		t.Errorf("exec tasks failed after %v, want within 10s", took)
	}
	t.Logf("exec tasks: %v after %v: %s", err, took, line)
}

// powershellIsStub reports whether powershell.exe ends at once without
// running a script (Wine's).
func powershellIsStub(t *testing.T) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "powershell.exe", "-NoProfile", "-NonInteractive", "-Command", "Write-Output ('a'+'b')").Output()
	if err != nil && ctx.Err() != nil {
		t.Fatalf("powershell.exe: %v", err)
	}
	return !strings.Contains(string(out), "ab")
}

// TestWindowsStartAtLogin: Start at login, chosen in the tray's menu,
// adds the tray to the user's Run key and, chosen again, removes it —
// read back with reg.exe. The menu is driven as a person with a keyboard
// would: a right click on the icon, then keys.
func TestWindowsStartAtLogin(t *testing.T) {
	requireThrowawayCredMan(t)
	d := newWinDesk(t, windowsMoto(t))
	d.startTray(t)
	pid := d.trayPID
	regValue := func() (string, bool) {
		out, err := exec.Command("reg", "query", `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, "/v", "awstray").CombinedOutput()
		if err != nil {
			return string(out), false
		}
		return string(out), strings.Contains(string(out), "awstray")
	}
	if out, ok := regValue(); ok {
		t.Fatalf("the Run key has awstray before the test:\n%s", out)
	}
	// Where Start at login sits in Settings, counted from the end: the
	// keys go to the last item and up.
	var settings tray.Item
	for _, it := range tray.BuildMenu(credentials.Snapshot{}, tray.UI{}).Items {
		if it.ID == "settings" {
			settings = it
		}
	}
	up := -1
	for i := len(settings.Children) - 1; i >= 0; i-- {
		if settings.Children[i].ID == "settings/login" {
			up = len(settings.Children) - 1 - i
		}
	}
	if up < 0 {
		t.Fatal("the Settings menu has no Start at login")
	}
	for _, want := range []bool{true, false} {
		clickStartAtLogin(t, pid, up)
		end := time.Now().Add(20 * time.Second)
		for {
			out, ok := regValue()
			if ok == want {
				if want && !strings.Contains(out, `.exe" tray`) {
					t.Errorf("the Run value is not the tray's command line:\n%s", out)
				}
				t.Logf("Start at login %v: reg query:\n%s", want, out)
				break
			}
			if time.Now().After(end) {
				t.Fatalf("Start at login chosen: the Run value present = %v after 20s, want %v:\n%s", ok, want, out)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

var (
	user32           = windows.NewLazySystemDLL("user32.dll")
	procPostMessageW = user32.NewProc("PostMessageW")
)

// trayWindows are the top-level windows of class class that process pid
// owns, visible ones only if visible.
func trayWindows(pid uint32, class string, visible bool) []windows.HWND {
	var found []windows.HWND
	cb := windows.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		var p uint32
		if _, err := windows.GetWindowThreadProcessId(h, &p); err != nil || p != pid {
			return 1
		}
		buf := make([]uint16, 256)
		n, err := windows.GetClassName(h, &buf[0], int32(len(buf)))
		if err != nil || windows.UTF16ToString(buf[:n]) != class {
			return 1
		}
		if !visible || windows.IsWindowVisible(h) {
			found = append(found, h)
		}
		return 1
	})
	_ = windows.EnumWindows(cb, nil)
	return found
}

func postMessage(h windows.HWND, msg uint32, w, l uintptr) error {
	if r, _, err := procPostMessageW.Call(uintptr(h), uintptr(msg), w, l); r == 0 {
		return err
	}
	return nil
}

// openTrayMenu opens the tray's menu as a right click on its icon does and
// returns the menu's window.
func openTrayMenu(t *testing.T, pid uint32) windows.HWND {
	t.Helper()
	const (
		wmRButtonUp = 0x0205
		wmTrayIcon  = 0x0400 + 1 // fyne.io/systray's icon callback: WM_USER+1
	)
	var popup windows.HWND
	for end := time.Now().Add(30 * time.Second); popup == 0; {
		if time.Now().After(end) {
			t.Fatal("the tray's menu did not open within 30s")
		}
		// The menu may not be built yet: ask again until it opens.
		for _, h := range trayWindows(pid, "SystrayClass", false) {
			if err := postMessage(h, wmTrayIcon, 0, wmRButtonUp); err != nil {
				t.Fatal(err)
			}
		}
		for wait := time.Now().Add(2 * time.Second); popup == 0 && time.Now().Before(wait); time.Sleep(50 * time.Millisecond) {
			if p := trayWindows(pid, "#32768", true); len(p) > 0 {
				popup = p[0]
			}
		}
	}
	return popup
}

// clickStartAtLogin opens the tray's menu, goes to Settings (above Quit,
// the last item), opens it, goes to its last item, up by up, and chooses
// that item.
func clickStartAtLogin(t *testing.T, pid uint32, up int) {
	t.Helper()
	const (
		wmKeyDown = 0x0100
		vkReturn  = 0x0D
		vkEnd     = 0x23
		vkUp      = 0x26
		vkRight   = 0x27
	)
	popup := openTrayMenu(t, pid)
	keys := []uintptr{vkEnd, vkUp, vkRight, vkEnd}
	for range up {
		keys = append(keys, vkUp)
	}
	keys = append(keys, vkReturn)
	// Posted keys reach the menu loop of the tray's thread whichever of
	// its windows they name: the submenu, once open, takes the rest.
	for _, k := range keys {
		if err := postMessage(popup, wmKeyDown, k, 1); err != nil {
			t.Fatal(err)
		}
	}
}

var (
	procSetCursorPos  = user32.NewProc("SetCursorPos")
	procGetWindowRect = user32.NewProc("GetWindowRect")
)

// TestScreenshotWindowsTray stages docs/tray-windows.png
// (AWSTRAY_WINE_SCREENSHOT=docs/tray-windows.png scripts/test-windows.sh):
// the tray's icon in Wine's notification area and its
// menu open, with a profile unlocked. The stage takes the picture from
// the host when this test says it is ready, through files in
// AWSTRAY_WINE_SHOT, a folder.
func TestScreenshotWindowsTray(t *testing.T) {
	dir := os.Getenv("AWSTRAY_WINE_SHOT")
	if dir == "" {
		t.Skip("AWSTRAY_WINE_SHOT is not set: no screenshot to stage")
	}
	requireThrowawayCredMan(t)
	d := newWinDesk(t, windowsMoto(t))
	for _, p := range []string{"tdev", "tmfa"} {
		d.mustRun(t, testKeyID+"\n"+testSecret+"\n", "add", p)
	}
	d.mustRun(t, "", "clear")
	d.startTray(t)
	trayOnly := []string{"AWSTRAY_BACKEND=file", "AWSTRAY_FILE_DIR=" + filepath.Join(d.dir, "empty-keyring"), "AWSTRAY_FILE_PASSPHRASE=unused"}
	if _, errOut, _, err := d.run(t, 30*time.Second, "", trayOnly, "exec", "tdev", "--", "cmd", "/c", "echo", "unlocked"); err != nil {
		t.Fatalf("unlocking tdev through the tray: %v\n%s", err, errOut)
	}
	// The menu opens at the pointer: put it at the tray's icon.
	var icon windows.HWND
	for end := time.Now().Add(20 * time.Second); icon == 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the tray's icon did not show in the notification area within 20s")
		}
		for _, bar := range wineTrayBars() {
			windows.EnumChildWindows(bar, windows.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
				buf := make([]uint16, 64)
				if n, err := windows.GetClassName(h, &buf[0], int32(len(buf))); err == nil && windows.UTF16ToString(buf[:n]) == "__wine_tray_icon" && windows.IsWindowVisible(h) {
					icon = h
					return 0
				}
				return 1
			}), nil)
		}
	}
	var r windows.Rect
	if ok, _, err := procGetWindowRect.Call(uintptr(icon), uintptr(unsafe.Pointer(&r))); ok == 0 {
		t.Fatalf("GetWindowRect: %v", err)
	}
	// Just above the icon: the menu opens upwards and leaves it in view.
	if ok, _, err := procSetCursorPos.Call(uintptr(r.Left), uintptr(r.Top-2)); ok == 0 {
		t.Fatalf("SetCursorPos: %v", err)
	}
	t.Logf("the tray's icon is at %+v", r)
	openTrayMenu(t, d.trayPID)
	if err := os.WriteFile(filepath.Join(dir, "ready"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for end := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "done")); err == nil {
			return
		}
		if time.Now().After(end) {
			t.Fatal("the stage took no screenshot within a minute")
		}
	}
}

// wineTrayBars are the windows of Wine's taskbar (Shell_TrayWnd).
func wineTrayBars() []windows.HWND {
	var bars []windows.HWND
	_ = windows.EnumWindows(windows.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		buf := make([]uint16, 64)
		if n, err := windows.GetClassName(h, &buf[0], int32(len(buf))); err == nil && windows.UTF16ToString(buf[:n]) == "Shell_TrayWnd" {
			bars = append(bars, h)
		}
		return 1
	}), nil)
	return bars
}

// TestWindowsResources: awstray.exe carries its icon, version information
// and manifest (rsrc_windows_*.syso; this test binary is built from the
// same package, so it carries them too).
func TestWindowsResources(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	size, err := windows.GetFileVersionInfoSize(exe, nil)
	if err != nil {
		t.Fatalf("no version information in %s: %v", exe, err)
	}
	info := make([]byte, size)
	if err := windows.GetFileVersionInfo(exe, 0, size, unsafe.Pointer(&info[0])); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{"ProductName": "awstray", "OriginalFilename": "awstray.exe"} {
		var p *uint16
		var n uint32
		if err := windows.VerQueryValue(unsafe.Pointer(&info[0]), `\StringFileInfo\040904b0\`+key, unsafe.Pointer(&p), &n); err != nil {
			t.Errorf("version information %s: %v", key, err)
			continue
		}
		if got := windows.UTF16PtrToString(p); got != want {
			t.Errorf("version information %s = %q, want %q", key, got, want)
		}
	}
	const loadAsDatafile = 0x00000002
	mod, err := windows.LoadLibraryEx(exe, 0, loadAsDatafile)
	if err != nil {
		t.Fatal(err)
	}
	defer windows.FreeLibrary(mod)
	if _, err := windows.FindResource(mod, "APP", windows.RT_GROUP_ICON); err != nil {
		t.Errorf("no application icon: %v", err)
	}
	if _, err := windows.FindResource(mod, windows.ResourceID(1), windows.RT_MANIFEST); err != nil {
		t.Errorf("no application manifest: %v", err)
	}
}

// TestWindowsVersionPrints: the CLI, a console program, prints to the
// standard output it was given.
func TestWindowsVersionPrints(t *testing.T) {
	d := newWinDesk(t, "http://127.0.0.1:1")
	out := d.mustRun(t, "", "version")
	if !strings.HasPrefix(out, "awstray ") {
		t.Fatalf("awstray version printed %q", out)
	}
}

// TestWindowsTrayMFADialog: a locked profile with mfa_serial and no
// mfa_process, asked for through the tray: the tray shows its own Win32
// dialog (no PowerShell), the test types the code into it as a person
// would, and the CLI gets the credentials.
func TestWindowsTrayMFADialog(t *testing.T) {
	requireThrowawayCredMan(t)
	d := newWinDesk(t, windowsMoto(t))
	d.mustRun(t, testKeyID+"\n"+testSecret+"\n", "add", "tasks")
	d.mustRun(t, "", "clear")
	d.startTray(t)
	trayOnly := []string{"AWSTRAY_BACKEND=file", "AWSTRAY_FILE_DIR=" + filepath.Join(d.dir, "empty-keyring"), "AWSTRAY_FILE_PASSPHRASE=unused"}
	type result struct {
		out, errOut string
		err         error
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, _, err := d.run(t, time.Minute, "", trayOnly, "exec", "tasks", "--", "cmd", "/c", "set", "AWS")
		done <- result{out, errOut, err}
	}()
	const title = "awstray: MFA code for tasks"
	var dlg windows.HWND
	for end := time.Now().Add(30 * time.Second); dlg == 0; time.Sleep(50 * time.Millisecond) {
		select {
		case r := <-done:
			t.Fatalf("exec ended before the dialog showed: %v\n%s", r.err, r.errOut)
		default:
		}
		if time.Now().After(end) {
			t.Fatalf("no window %q within 30s", title)
		}
		dlg = topWindow(d.trayPID, title)
	}
	kids := childWindows(dlg)
	if len(kids["Edit"]) != 1 {
		t.Fatalf("the dialog has %d edit boxes, want 1", len(kids["Edit"]))
	}
	code, err := windows.UTF16PtrFromString("123 456")
	if err != nil {
		t.Fatal(err)
	}
	const wmSetText, bmClick = 0x000C, 0x00F5
	if r, _, err := procSendMessageW.Call(uintptr(kids["Edit"][0]), wmSetText, 0, uintptr(unsafe.Pointer(code))); r == 0 {
		t.Fatalf("typing the code: %v", err)
	}
	clicked := false
	for _, b := range kids["Button"] {
		if windowText(b) == "OK" {
			clicked = postMessage(b, bmClick, 0, 0) == nil
		}
	}
	if !clicked {
		t.Fatal("the dialog has no OK button")
	}
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("exec tasks after the code: %v\n%s", r.err, r.errOut)
		}
		if !strings.Contains(r.out, "AWS_SESSION_TOKEN=") {
			t.Errorf("exec tasks: no session in the child's environment:\n%s", r.out)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("exec tasks did not end within 30s of the code")
	}
}

var (
	procSendMessageW   = user32.NewProc("SendMessageW")
	procGetWindowTextW = user32.NewProc("GetWindowTextW")
)

func windowText(h windows.HWND) string {
	buf := make([]uint16, 256)
	n, _, _ := procGetWindowTextW.Call(uintptr(h), uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
	return windows.UTF16ToString(buf[:n])
}

// topWindow is the visible top-level window of process pid titled title.
func topWindow(pid uint32, title string) windows.HWND {
	var found windows.HWND
	_ = windows.EnumWindows(windows.NewCallback(func(h windows.HWND, _ uintptr) uintptr {
		var p uint32
		if _, err := windows.GetWindowThreadProcessId(h, &p); err == nil && p == pid && windows.IsWindowVisible(h) && windowText(h) == title {
			found = h
			return 0
		}
		return 1
	}), nil)
	return found
}

// childWindows are h's child windows by class.
func childWindows(h windows.HWND) map[string][]windows.HWND {
	m := map[string][]windows.HWND{}
	windows.EnumChildWindows(h, windows.NewCallback(func(c windows.HWND, _ uintptr) uintptr {
		buf := make([]uint16, 64)
		if n, err := windows.GetClassName(c, &buf[0], int32(len(buf))); err == nil {
			cls := windows.UTF16ToString(buf[:n])
			m[cls] = append(m[cls], c)
		}
		return 1
	}), nil)
	return m
}

// TestWindowsTrayLeavesItsOwnConsole: a tray that Windows gave a console
// of its own (as Explorer does for the Run key) lets go of it, so no empty
// console window stays beside the tray. The test asks by attaching to the
// tray's console, which fails once the tray has none; it gives up its own
// console for that (AttachConsole needs a caller without one), so it is
// the last test of this file (they run in order).
func TestWindowsTrayLeavesItsOwnConsole(t *testing.T) {
	requireThrowawayCredMan(t)
	d := newWinDesk(t, windowsMoto(t))
	const createNewConsole = 0x00000010
	d.startTrayWith(t, &syscall.SysProcAttr{CreationFlags: createNewConsole})
	_, _, _ = procFreeConsoleT.Call()
	for end := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r, _, err := procAttachConsole.Call(uintptr(d.trayPID))
		if r == 0 {
			t.Logf("AttachConsole(tray): %v", err)
			return
		}
		_, _, _ = procFreeConsoleT.Call()
		if time.Now().After(end) {
			t.Fatal("the tray still has the console Windows made for it 15s after it listened")
		}
	}
}

var (
	procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")
	procFreeConsoleT  = windows.NewLazySystemDLL("kernel32.dll").NewProc("FreeConsole")
)
