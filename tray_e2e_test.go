//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// trayDesktop is a desktop session for the tray: its own D-Bus session bus
// with GNOME Keyring, a notification recorder, an X server, moto, and a HOME.
type trayDesktop struct {
	*sandbox
	bus     string
	display string
	notes   *testenv.NotificationRecorder
	moto    *testenv.Moto
	marker  string // an environment entry every process of this desktop has
}

func newTrayDesktop(t *testing.T, config, settingsTOML string) *trayDesktop {
	t.Helper()
	moto := testenv.StartMoto(t)
	ss := testenv.StartSecretService(t)
	d := &trayDesktop{moto: moto, marker: fmt.Sprintf("AWSTRAY_TEST_DESKTOP=%d-%d", os.Getpid(), time.Now().UnixNano())}
	d.sandbox = newSandbox(t, moto.URL)
	var env []string
	for _, kv := range d.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "AWSTRAY_BACKEND=") && !strings.HasPrefix(kv, "AWSTRAY_FILE_") &&
			!strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") && !strings.HasPrefix(kv, "AWS_CONFIG_FILE=") {
			env = append(env, kv)
		}
	}
	d.env = append(env, ss...)
	for _, kv := range ss {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			d.bus = v
		}
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			d.home = v
		}
	}
	d.display = testenv.StartXvfb(t)
	t.Cleanup(func() {
		// Terminals run in sessions of their own: end what this desktop
		// started, once the tray is gone.
		procs, _ := testenv.ProcessesWithEnv(d.marker)
		for _, p := range procs {
			_ = syscall.Kill(p.PID, syscall.SIGKILL)
		}
	})
	// A panel's watcher, as on a desktop with a tray: without one the tray
	// says so in a notification (TestTrayNoTrayHost), which the counts
	// here do not expect.
	testenv.StartStatusNotifierWatcher(t, d.bus)
	d.notes = testenv.StartNotificationRecorder(t, d.bus)
	d.env = append(d.env, d.marker, "DISPLAY="+d.display, "SHELL=/bin/sh", "TERMINAL=xterm", "AWSTRAY_CHECK_INTERVAL=200ms",
		"AWS_CONFIG_FILE="+filepath.Join(d.home, ".aws", "config"), "NO_AT_BRIDGE=1")
	writeHome(t, d.home, config, settingsTOML)
	return d
}

// startTray runs `awstray tray` and connects to its menu as a panel would.
func (d *trayDesktop) startTray(t *testing.T) (*testenv.TrayClient, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = d.env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tray output:\n%s", logs.String())
		}
	})
	c, err := testenv.ConnectTray(d.bus, cmd.Process.Pid, 10*time.Second)
	if err != nil {
		t.Fatalf("%v\ntray output:\n%s", err, logs.String())
	}
	t.Cleanup(func() { c.Close() })
	return c, cmd
}

func click(t *testing.T, c *testenv.TrayClient, path ...string) {
	t.Helper()
	m, err := c.Layout()
	if err != nil {
		t.Fatal(err)
	}
	it, ok := m.Find(path...)
	if !ok {
		t.Fatalf("no menu item %q; the menu shows %q", path, m.Labels())
	}
	if !it.Enabled {
		t.Fatalf("menu item %q is disabled", path)
	}
	if err := c.Click(it.ID); err != nil {
		t.Fatal(err)
	}
}

func waitLabel(t *testing.T, c *testenv.TrayClient, prefix string) testenv.MenuItem {
	t.Helper()
	m, err := c.WaitFor(20*time.Second, "a menu item "+prefix, func(m testenv.MenuItem) bool {
		_, ok := m.Find(prefix)
		return ok
	})
	if err != nil {
		t.Fatalf("%v; the menu shows %q", err, m.Labels())
	}
	it, _ := m.Find(prefix)
	return it
}

const trayConfig = `[profile dev]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/dev
mfa_process = echo 123456

[profile admin]
source_profile = dev
role_arn = arn:aws:iam::123456789012:role/admin
`

// TestTrayEndToEnd drives the real binary as a desktop does: the menu read
// and clicked over com.canonical.dbusmenu, the clipboard read with xclip,
// a real xterm, GNOME Keyring, and moto as STS.
func TestTrayEndToEnd(t *testing.T) {
	d := newTrayDesktop(t, trayConfig, "export_format = \"env\"\nclipboard_timeout = \"5m\"\n")
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	// Open console: a fake federation endpoint (moto here issues the
	// role's ASIA keys) and a stand-in browser, this test binary as
	// awstray-browser (main_test.go), writing what it saw to $WORK/browser.
	fed := testfake.StartFederation(t, func(akid, _, token string) string {
		if strings.HasPrefix(akid, "ASIA") && token != "" {
			return "AssumeRole"
		}
		return ""
	})
	browserWork := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	browser := filepath.Join(browserWork, "bin", "awstray-browser")
	if err := os.MkdirAll(filepath.Dir(browser), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, browser); err != nil {
		t.Fatal(err)
	}
	d.env = append(d.env, "BROWSER="+browser, "AWSTRAY_FEDERATION_URL="+fed.URL, "WORK="+browserWork)
	c, _ := d.startTray(t)

	m, err := c.Layout()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2 profiles, all locked", "dev — locked", "admin — locked", "Add profile…", "Lock all", "Recent use", "Settings", "Quit"}
	if got := m.Labels(); !slices.Equal(got, want) {
		t.Fatalf("top level:\n got %q\nwant %q", got, want)
	}
	if it, _ := m.Find("2 profiles"); it.Enabled {
		t.Error("the status line is clickable")
	}
	if v, err := c.Property("ToolTip"); err != nil || !strings.Contains(fmt.Sprint(v.Value()), "all profiles locked") {
		t.Errorf("tooltip: %v %v", v, err)
	}

	// Unlock: the MFA code comes from mfa_process; the label shows the
	// time left in minutes.
	click(t, c, "admin — locked", "Unlock…")
	admin := waitLabel(t, c, "admin — 7h 5")
	if got := strings.Join(admin.Labels(), " | "); !strings.Contains(got, "Open terminal | Copy exports | Open console | Refresh now | Lock") {
		t.Fatalf("admin's submenu: %s", got)
	}
	if v, err := c.Property("ToolTip"); err != nil || !strings.Contains(fmt.Sprint(v.Value()), "1 profile unlocked") {
		t.Errorf("tooltip after unlock: %v %v", v, err)
	}

	// Copy exports → the clipboard holds the export lines.
	click(t, c, "admin — 7h", "Copy exports")
	var clip string
	for i := 0; i < 100; i++ {
		cmd := exec.Command("xclip", "-o", "-selection", "clipboard")
		cmd.Env = []string{"DISPLAY=" + d.display}
		out, err := cmd.Output()
		if err == nil && len(out) > 0 {
			clip = string(out)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, line := range []string{"export AWS_ACCESS_KEY_ID=", "export AWS_SECRET_ACCESS_KEY=", "export AWS_SESSION_TOKEN=", "export AWS_CREDENTIAL_EXPIRATION="} {
		if !strings.Contains(clip, line) {
			t.Fatalf("clipboard has no %q:\n%s", line, clip)
		}
	}
	notes := d.notes.WaitFor(1, 10*time.Second)
	if len(notes) == 0 || notes[0].Summary != "Copied the export lines of admin" || notes[0].AppName != "awstray" {
		t.Fatalf("copy notification: %+v", notes)
	}

	// Open terminal → xterm runs `awstray exec admin`, whose shell gets
	// working credentials; the emulator itself has none.
	// Open terminal → xterm runs `awstray exec admin`, whose shell gets
	// working credentials; the emulator itself has none.
	click(t, c, "admin — 7h", "Open terminal")
	shellPID, env := findShell(t, d.marker, "admin")
	// xterm → awstray exec --server → the shell.
	server := parentOf(t, shellPID)
	ppid := parentOf(t, server)
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", server)); strings.TrimSpace(string(comm)) != "awstray" {
		t.Fatalf("the shell's parent is %q, not awstray exec --server", comm)
	}
	if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid)); strings.TrimSpace(string(comm)) != "xterm" {
		t.Fatalf("awstray's parent is %q, not xterm", comm)
	}
	// Server mode (the default): the shell has an endpoint and a token, no
	// keys; SDKs in it get credentials from `awstray exec --server`, which
	// asks the tray.
	if env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] == "" || env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] == "" || env["AWS_SECRET_ACCESS_KEY"] != "" {
		t.Fatalf("the terminal's shell is not in server mode: uri %q", env["AWS_CONTAINER_CREDENTIALS_FULL_URI"])
	}
	if arn := callerARN(t, d.moto.URL, env); !strings.Contains(arn, ":assumed-role/admin/") {
		t.Fatalf("the terminal's credentials are %s, not the admin role's", arn)
	}
	secrets := []string{env["AWS_CONTAINER_AUTHORIZATION_TOKEN"], testSecret}
	for _, line := range strings.Split(clip, "\n") {
		if v, ok := strings.CutPrefix(line, "export AWS_SECRET_ACCESS_KEY="); ok {
			secrets = append(secrets, v)
		}
		if v, ok := strings.CutPrefix(line, "export AWS_SESSION_TOKEN="); ok {
			secrets = append(secrets, v)
		}
	}
	for _, pid := range []int{ppid, server} {
		for _, f := range []string{"environ", "cmdline"} {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
			if err != nil {
				t.Fatal(err)
			}
			checkNoSecret(t, fmt.Sprintf("/proc/%d/%s", pid, f), string(b), secrets)
		}
	}
	for _, n := range d.notes.Notifications() {
		checkNoSecret(t, "a notification", n.Summary+n.Body, secrets)
	}

	// Open console → the browser gets a one-time loopback link, never the
	// sign-in token, and following it signs in with the role's credentials.
	// admin has no region of its own: the console opens at its default.
	click(t, c, "admin — 7h", "Open console")
	readBrowser := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(browserWork, "browser", name))
		return strings.TrimSpace(string(b))
	}
	for i := 0; i < 400; i++ {
		if _, err := os.Stat(filepath.Join(browserWork, "browser", "done")); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if argv := readBrowser("argv"); !regexp.MustCompile(`^http://127\.0\.0\.1:\d+/[A-Za-z0-9_-]{43}$`).MatchString(argv) {
		t.Fatalf("the browser's argv: %q", argv)
	}
	if page := readBrowser("page"); !strings.HasPrefix(page, "200 signed in as AssumeRole:ASIA") || !strings.Contains(page, " to https://console.aws.amazon.com/ ") {
		t.Fatalf("the browser's page: %q (first fetch: %q)", page, readBrowser("first"))
	}
	if second := readBrowser("second"); strings.HasPrefix(second, "303") {
		t.Fatalf("the one-time link worked twice: %q", second)
	}
	if logins := fed.Logins(); len(logins) != 1 {
		t.Fatalf("sign-ins: %q", logins)
	}

	// Lock → back to locked, and the role session is gone from the keyring.
	click(t, c, "admin — 7h", "Lock")
	waitLabel(t, c, "admin — locked")
	waitLabel(t, c, "2 profiles, all locked")
}

// findShell waits for the process of this desktop that runs with
// AWSTRAY=profile (the shell `awstray exec` became) and returns its pid and
// environment.
func findShell(t *testing.T, marker, profile string) (int, map[string]string) {
	t.Helper()
	for i := 0; i < 200; i++ {
		procs, err := testenv.ProcessesWithEnv(marker)
		if err != nil {
			testenv.Missing(t, "%v", err)
		}
		for _, p := range procs {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.PID))
			if err != nil {
				continue
			}
			env := map[string]string{}
			for _, kv := range strings.Split(string(b), "\x00") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					env[k] = v
				}
			}
			if env["AWSTRAY"] == profile {
				return p.PID, env
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no shell with AWSTRAY=%s appeared", profile)
	return 0, nil
}

func parentOf(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	// pid (comm) state ppid …; comm may hold spaces, so read after ')'.
	rest := string(b[bytes.LastIndexByte(b, ')')+2:])
	var state string
	var ppid int
	if _, err := fmt.Sscan(rest, &state, &ppid); err != nil {
		t.Fatal(err)
	}
	return ppid
}

// callerARN calls GetCallerIdentity with the credentials of env.
func callerARN(t *testing.T, endpoint string, env map[string]string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1"}
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN"} {
		if v := env[k]; v != "" {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	cmd.Args = []string{"awstray-whoami"}
	cmd.Path = os.Args[0]
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("GetCallerIdentity with the terminal's credentials: %v: %s", err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestTrayExpiryNotifications: with a 20-second session and a 15-second
// lead, exactly one "ends in" and one "ended" notification arrive, naming
// the profile, with no secret.
func TestTrayExpiryNotifications(t *testing.T) {
	const later = "\n[profile later]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/later\nmfa_process = echo 123456\n"
	d := newTrayDesktop(t, trayConfig+later, "session_duration = \"20s\"\nnotify_lead = \"15s\"\n")
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "later")
	c, _ := d.startTray(t)
	click(t, c, "dev — locked", "Unlock…")
	waitLabel(t, c, "dev — expires in")
	d.notes.WaitFor(2, 40*time.Second)
	// A duplicate would come from a later check (every 200 ms). The session
	// of "later", unlocked only now, is told to end in 5 s at the earliest,
	// by a check some 25 checks after the one that told dev's end: every
	// duplicate those checks made has arrived before it.
	click(t, c, "later — locked", "Unlock…")
	all := d.notes.WaitFor(3, 40*time.Second)
	if got, want := all[len(all)-1].Summary, "AWS session of later ends in <1m"; got != want {
		t.Fatalf("the last notification is %q, want %q (all: %+v)", got, want, all)
	}
	var notes []testenv.RecordedNotification
	for _, n := range all {
		if strings.Contains(n.Summary, " dev ") {
			notes = append(notes, n)
		}
	}
	var summaries []string
	for _, n := range notes {
		summaries = append(summaries, n.Summary)
		checkNoSecret(t, "a notification", n.Summary+n.Body, []string{testSecret})
		if strings.Contains(n.Body, "ASIA") || strings.Contains(n.Body, "AKIA") {
			t.Errorf("key material in %q", n.Body)
		}
	}
	want := []string{"AWS session of dev ends in <1m", "AWS session of dev ended"}
	if !slices.Equal(summaries, want) {
		t.Fatalf("notifications:\n got %q\nwant %q", summaries, want)
	}
	if notes[0].AppName != "awstray" || !strings.Contains(notes[1].Body, "Unlock…") {
		t.Errorf("notifications: %+v", notes)
	}
	waitLabel(t, c, "dev — needs MFA")
}

// TestTraySingleInstance: a second tray says the first runs, and exits 3
// (which the systemd unit does not restart on).
func TestTraySingleInstance(t *testing.T) {
	d := newTrayDesktop(t, trayConfig, "")
	_, first := d.startTray(t)
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = d.env
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("second tray: %v, want exit status 3\n%s", err, out)
	}
	if want := fmt.Sprintf("awstray: the tray is already running (pid %d)\n", first.Process.Pid); string(out) != want {
		t.Fatalf("second tray said %q, want %q", out, want)
	}
}

// TestTraySSOSignIn: a CLI run for a locked IAM Identity Center profile
// makes the tray sign in — the browser opens on the code's page (a
// stand-in approves it) and a notification names the code — and the CLI
// gets the credentials from the tray; a second profile of the session
// needs no new sign-in.
func TestTraySSOSignIn(t *testing.T) {
	d := newTrayDesktop(t, `[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer

[profile prod]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly
`, "")
	sso := testfake.StartSSO(t, testfake.SSOOptions{MotoURL: d.moto.URL})
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl not found (apt-get install curl)")
	}
	browsed := filepath.Join(d.tmp, "browsed")
	browser := filepath.Join(d.tmp, "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\necho \"$*\" >> "+browsed+"\nexec curl -fsS -o /dev/null \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	d.env = append(d.env, "AWS_ENDPOINT_URL_SSO="+sso.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+sso.URL, "BROWSER="+browser)
	c, _ := d.startTray(t)
	waitLabel(t, c, "dev — locked")

	out, _ := d.run(t, "", "exec", "dev", "--", "env")
	if !strings.Contains(out, "AWS_ACCESS_KEY_ID=ASIA") || !strings.Contains(out, "AWSTRAY=dev") {
		t.Fatalf("exec dev -- env:\n%s", out)
	}
	waitLabel(t, c, "dev — active")
	notes := d.notes.WaitFor(1, 10*time.Second)
	if len(notes) != 1 || notes[0].Summary != "Sign in to AWS for dev" || !regexp.MustCompile(`Approve the code [A-Z]{4}-[A-Z]{4} in the browser`).MatchString(notes[0].Body) {
		t.Fatalf("notifications: %+v", notes)
	}
	if b, err := os.ReadFile(browsed); err != nil || !strings.Contains(string(b), sso.URL+"/start?user_code=") {
		t.Fatalf("the browser was given %q (%v)", b, err)
	}

	click(t, c, "prod — locked", "Unlock…")
	waitLabel(t, c, "prod — active")
	if n := sso.Counts(); n.StartDeviceAuthorization != 1 || n.Approvals != 1 || n.GetRoleCredentials != 2 {
		t.Fatalf("IAM Identity Center calls: %+v", n)
	}
	for _, n := range d.notes.Notifications() {
		if strings.Contains(n.Body, "aoa") || strings.Contains(n.Body, "ASIA") {
			t.Errorf("token or key material in a notification: %q", n.Body)
		}
	}
}
