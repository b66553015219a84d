package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/godbus/dbus/v5"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

// binary builds awstray once per test run.
func binary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "awstray-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "awstray")
		// As released: static, without cgo (no libc to load at each start).
		build := exec.Command("go", "build", "-trimpath", "-o", builtBin, ".")
		build.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

// sandbox is a HOME, TMPDIR and file keyring of one test, and the
// environment that points awstray at them and at moto.
type sandbox struct {
	root, home, tmp, keyring string
	env                      []string
}

func newSandbox(t testing.TB, motoURL string) *sandbox {
	t.Helper()
	root := leaks.dir(t) // kept until TestMain's leak scan
	s := &sandbox{root: root, home: filepath.Join(root, "home"), tmp: filepath.Join(root, "tmp"), keyring: filepath.Join(root, "keyring")}
	leaks.keyring(s.keyring)
	leaks.secret(testSecret)
	for _, d := range []string{s.home, s.tmp} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + s.home,
		"TMPDIR=" + s.tmp,
		"XDG_CONFIG_HOME=" + filepath.Join(s.home, ".config"),
		"AWS_CONFIG_FILE=" + filepath.Join(s.home, ".aws", "config"),
		"AWSTRAY_BACKEND=file",
		"AWSTRAY_FILE_DIR=" + s.keyring,
		"AWSTRAY_FILE_PASSPHRASE=correct horse battery staple",
		"AWS_ENDPOINT_URL=" + motoURL,
		"DBUS_SESSION_BUS_ADDRESS=disabled:",
		"SHELL=/bin/sh",
	}
	return s
}

// run runs awstray with args and stdin, failing the test on a non-zero exit.
func (s *sandbox) run(t testing.TB, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = s.env
	cmd.Dir = s.tmp
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	leaks.ran(t, args, o.String(), e.String())
	if err != nil {
		t.Fatalf("awstray %s: %v\nstderr: %s", strings.Join(args, " "), err, e.String())
	}
	return o.String(), e.String()
}

const (
	testKeyID  = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// TestNoSecretLeaks runs add → exec → export → credential-process → clear and
// then looks for every secret it handled in the child's argv, in all that
// awstray printed to stderr, and in every file under HOME, TMPDIR and the
// keyring folder.
func TestNoSecretLeaks(t *testing.T) {
	moto := testenv.StartMoto(t)
	s := newSandbox(t, moto.URL)
	config := "[profile dev]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\nmfa_process = echo 123456\n\n" +
		"[profile admin]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/admin\n\n" +
		"[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n" +
		"[profile sso]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Developer\n"
	// IAM Identity Center: the fake, and a browser that approves the code.
	sso := testfake.StartSSO(t, testfake.SSOOptions{MotoURL: moto.URL})
	if _, err := exec.LookPath("curl"); err != nil {
		testenv.Missing(t, "curl not found (apt-get install curl)")
	}
	browser := filepath.Join(t.TempDir(), "browser")
	if err := os.WriteFile(browser, []byte("#!/bin/sh\nexec curl -fsS -o /dev/null \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	s.env = append(s.env, "AWS_ENDPOINT_URL_SSO="+sso.URL, "AWS_ENDPOINT_URL_SSO_OIDC="+sso.URL, "BROWSER="+browser)
	if err := os.MkdirAll(filepath.Join(s.home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.home, ".aws", "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir() // outside the scanned folders: the child writes what it got here
	var stderrs []string
	_, e := s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	stderrs = append(stderrs, e)
	for _, p := range []string{"dev", "admin", "sso"} {
		script := fmt.Sprintf(`tr '\0' ' ' < /proc/$$/cmdline > %s/%s.argv; env > %s/%s.env`, out, p, out, p)
		_, e = s.run(t, "", "exec", p, "--", "sh", "-c", script)
		stderrs = append(stderrs, e)
	}
	for _, f := range []string{"env", "fish", "powershell", "process", "ini"} {
		_, e = s.run(t, "", "export", "admin", "--format", f)
		stderrs = append(stderrs, e)
	}
	_, e = s.run(t, "", "credential-process", "dev")
	stderrs = append(stderrs, e)
	_, e = s.run(t, "", "list")
	stderrs = append(stderrs, e)
	_, e = s.run(t, "", "clear")
	stderrs = append(stderrs, e)

	ssoSecrets := sso.Secrets()
	if len(ssoSecrets) < 3 {
		t.Fatalf("the sign-in handed out %d secrets, want a client secret, an access and a refresh token", len(ssoSecrets))
	}
	secrets := append([]string{testSecret}, ssoSecrets...)
	for _, p := range []string{"dev", "admin", "sso"} {
		env, err := os.ReadFile(filepath.Join(out, p+".env"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(env), "\n") {
			for _, name := range []string{"AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN="} {
				if v, ok := strings.CutPrefix(line, name); ok {
					secrets = append(secrets, v)
				}
			}
		}
		argv, err := os.ReadFile(filepath.Join(out, p+".argv"))
		if err != nil {
			t.Fatal(err)
		}
		checkNoSecret(t, "the argv of the child of exec "+p, string(argv), secrets)
		leaks.text(t.Name()+": argv of the child of exec "+p, string(argv))
	}
	if len(secrets) < 10 {
		t.Fatalf("expected the long-term secret, the sign-in's three, and three sessions' secrets and tokens, found %d secrets", len(secrets))
	}
	leaks.secret(secrets...)
	for i, e := range stderrs {
		checkNoSecret(t, fmt.Sprintf("stderr of run %d", i), e, secrets)
	}
	files := 0
	for _, dir := range []string{s.home, s.tmp, s.keyring} {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files++
			checkNoSecret(t, path, string(b), secrets)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if files < 3 {
		t.Fatalf("scanned only %d files; the config and the keyring items should be there", files)
	}
}

func checkNoSecret(t *testing.T, where, text string, secrets []string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("a secret (%d chars) appears in %s", len(s), where)
		}
	}
}

// TestNoStrayDBusDaemon: with no session bus, the keyring package's init
// would autolaunch a dbus-daemon (through dbus-launch) that outlives awstray.
// internal/busenv prevents it; this runs awstray with dbus-launch on PATH
// and looks for any process left holding a marker from awstray's
// environment.
func TestNoStrayDBusDaemon(t *testing.T) {
	if _, err := exec.LookPath("dbus-launch"); err != nil {
		testenv.Missing(t, "dbus-launch (Debian package dbus-x11), without which this test proves nothing")
	}
	marker := fmt.Sprintf("AWSTRAY_STRAY_MARKER=%d", os.Getpid())
	s := newSandbox(t, "http://127.0.0.1:1")
	env := []string{marker}
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	for _, args := range [][]string{{"version"}, {"list"}} {
		cmd := exec.Command(binary(t), args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("awstray %v: %v: %s", args, err, out)
		}
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/environ")
	for _, p := range procs {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if bytes.Contains(b, []byte(marker+"\x00")) {
			comm, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "comm"))
			pid := filepath.Base(filepath.Dir(p))
			_ = exec.Command("kill", pid).Run()
			t.Errorf("process %s (%s) outlived awstray", pid, strings.TrimSpace(string(comm)))
		}
	}
}

// TestSecretServiceCLI runs the CLI as a person on a GNOME desktop would:
// no backend named, so awstray picks the Secret Service; the key lands in
// the "login" collection, where secret-tool sees it, and exec works from it.
func TestSecretServiceCLI(t *testing.T) {
	moto := testenv.StartMoto(t)
	ssEnv := testenv.StartSecretService(t)
	s := newSandbox(t, moto.URL)
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "AWSTRAY_BACKEND=") && !strings.HasPrefix(kv, "AWSTRAY_FILE_") &&
			!strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	s.env = append(env, ssEnv...)
	_, stderr := s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	if !strings.Contains(stderr, "in the secret-service keyring") {
		t.Fatalf("add did not pick the Secret Service: %s", stderr)
	}
	out, _ := s.run(t, "", "exec", "dev", "--", "sh", "-c", "echo token=${AWS_SESSION_TOKEN:+set}")
	if !strings.Contains(out, "token=set") {
		t.Fatalf("exec through the Secret Service: %q", out)
	}
	labels := secretServiceLabels(t, ssEnv)
	if !strings.Contains(labels, "awstray/v1/key/dev") || !strings.Contains(labels, "awstray/v1/session/dev") {
		t.Fatalf("the login collection does not hold the key and the session: %s", labels)
	}
	out, _ = s.run(t, "", "list", "--json")
	if !strings.Contains(out, `"stored_key": true`) {
		t.Fatalf("list: %s", out)
	}
	s.run(t, "", "remove", "dev", "-f")
	out, _ = s.run(t, "", "list", "--json")
	if !strings.Contains(out, `"stored_key": false`) {
		t.Fatalf("list after remove: %s", out)
	}
}

// secretServiceLabels lists the labels of the items in the "login"
// collection, asking the Secret Service over its own D-Bus API.
func secretServiceLabels(t *testing.T, env []string) string {
	t.Helper()
	var addr string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			addr = v
		}
	}
	conn, err := dbus.Connect(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	coll := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets/aliases/default")
	v, err := coll.GetProperty("org.freedesktop.Secret.Collection.Items")
	if err != nil {
		t.Fatalf("reading the collection's items: %v", err)
	}
	var labels []string
	for _, item := range v.Value().([]dbus.ObjectPath) {
		l, err := conn.Object("org.freedesktop.secrets", item).GetProperty("org.freedesktop.Secret.Item.Label")
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, l.Value().(string))
	}
	return strings.Join(labels, ", ")
}

// writeHome writes the AWS config, and the settings file unless
// settingsTOML is empty, into the home folder of a test desktop.
func writeHome(t testing.TB, home, config, settingsTOML string) {
	t.Helper()
	files := [][2]string{{filepath.Join(home, ".aws", "config"), config}}
	if settingsTOML != "" {
		files = append(files, [2]string{filepath.Join(home, ".config", "awstray", "settings.toml"), settingsTOML})
	}
	for _, f := range files {
		if err := os.MkdirAll(filepath.Dir(f[0]), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f[0], []byte(f[1]), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
