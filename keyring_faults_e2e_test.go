//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// Issue 10, item 2: keyring faults while the tray and the CLI run. Each row
// starts the real tray from the binary on a real keyring (GNOME Keyring on
// a private bus, the file backend on a tmpfs, pass), with moto behind the
// counting proxy, unlocks a profile through the agent, injects the fault
// and checks that
//
//	(a) the CLI says one line naming the backend and what to do, exit 1;
//	(b) the tray keeps serving what it holds;
//	(c) no item in the keyring is half-written;
//	(d) once the fault is fixed, the same tray unlocks again and writes to
//	    the keyring — no restart.

const kfConfig = `[profile dev]
region = us-east-1
mfa_serial = arn:aws:iam::123456789012:mfa/dev
mfa_process = echo 123456

[profile admin]
source_profile = dev
role_arn = arn:aws:iam::123456789012:role/admin

[profile ops]
source_profile = dev
role_arn = arn:aws:iam::123456789012:role/ops
`

// kfDesk is one row's session: a D-Bus bus with a notification recorder,
// moto behind a proxy, a keyring backend, and the tray.
type kfDesk struct {
	*sandbox
	bus   string
	notes *testenv.NotificationRecorder
	proxy *testfake.CountingProxy
	dir   string // the file keyring's folder, for the expected messages
	// items lists the keyring's awstray items, raw key → stored bytes, for
	// the no-half-written-item check; it runs with the fault fixed.
	items func(t *testing.T) map[string][]byte
}

func newKFDesk(t *testing.T, proxyURL, bus string, backendEnv []string) *kfDesk {
	t.Helper()
	d := &kfDesk{sandbox: newSandbox(t, proxyURL), bus: bus}
	var env []string
	for _, kv := range d.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "AWSTRAY_BACKEND=") && !strings.HasPrefix(kv, "AWSTRAY_FILE_") {
			env = append(env, kv)
		}
	}
	runtime := filepath.Join(d.root, "run")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		t.Fatal(err)
	}
	d.env = append(append(env, "DBUS_SESSION_BUS_ADDRESS="+bus, "XDG_RUNTIME_DIR="+runtime,
		"XDG_STATE_HOME="+filepath.Join(d.home, ".state"), "AWSTRAY_CHECK_INTERVAL=200ms"), backendEnv...)
	testenv.StartStatusNotifierWatcher(t, bus) // else the tray notifies that it has no tray host
	d.notes = testenv.StartNotificationRecorder(t, bus)
	writeHome(t, d.home, kfConfig, "")
	return d
}

// startTray starts the tray and waits for its agent socket.
func (d *kfDesk) startTray(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary(t), "tray")
	cmd.Env = d.env
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("tray output:\n%s", logs.String())
		}
	})
	sock := filepath.Join(d.root, "run", "awstray", "agent.sock")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := os.Stat(sock); err == nil {
			return cmd
		}
		select {
		case <-done:
			t.Fatalf("the tray exited: %s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no agent socket at %s", sock)
		}
	}
}

// cli runs awstray without a terminal and returns its output and exit code.
func (d *kfDesk) cli(t *testing.T, extraEnv []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(append([]string(nil), d.env...), extraEnv...)
	cmd.Dir = d.tmp
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("awstray %s: %v", strings.Join(args, " "), err)
	}
	return o.String(), e.String(), code
}

// export gets the profile's credentials through the tray.
func (d *kfDesk) export(t *testing.T, profile string) string {
	t.Helper()
	out, stderr, code := d.cli(t, nil, "export", profile, "--format", "env")
	if code != 0 || !strings.Contains(out, "AWS_SESSION_TOKEN=") {
		t.Fatalf("export %s through the tray: exit %d\nstdout: %s\nstderr: %s", profile, code, out, stderr)
	}
	return out
}

var addEnv = []string{"AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL2", "AWS_SECRET_ACCESS_KEY=" + testSecret + "2"}

func TestKeyringFault(t *testing.T) {
	type row struct {
		name string
		// setUp starts the keyring and returns the desk.
		setUp func(t *testing.T, proxyURL string) *kfDesk
		// inject makes the fault and returns the fix.
		inject func(t *testing.T, d *kfDesk) (fix func())
		// What `export dev --no-agent` and `add q --env` say while the fault
		// lasts: one line, exit 1; "" for a command that still works (a
		// read from a full disk does).
		exportLine, addLine string
		// cliOnly: the fault is in the CLI's own setup (a wrong passphrase
		// in its environment); the tray is not touched by it.
		cliOnly bool
		// trayNote is the body of the one "Unlocking admin failed"
		// notification the tray shows when an unlock in its menu meets the
		// fault ("" when the unlock works: a failed cache write is only a
		// warning).
		trayNote string
	}
	var ss *testenv.SecretService // the row's GNOME Keyring
	secretService := func(t *testing.T, proxyURL string) *kfDesk {
		ss = testenv.StartSecretServiceControl(t)
		var bus string
		for _, kv := range ss.Env {
			if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
				bus = v
			}
		}
		d := newKFDesk(t, proxyURL, bus, []string{"AWSTRAY_BACKEND=secret-service"})
		d.items = func(t *testing.T) map[string][]byte {
			items := map[string][]byte{}
			for label, v := range ss.Items(t) {
				if strings.HasPrefix(label, "awstray/") {
					// The keyring package stores its Item as JSON.
					var it struct{ Data []byte }
					if err := json.Unmarshal(v, &it); err != nil {
						t.Errorf("item %s does not decode: %v", label, err)
					}
					items[label] = it.Data
				}
			}
			return items
		}
		return d
	}
	var mnt *testenv.Mount
	fileBackend := func(t *testing.T, proxyURL string) *kfDesk {
		var d *kfDesk
		d, mnt = newFileKFDesk(t, proxyURL)
		return d
	}
	var passEnv []string
	passBackend := func(t *testing.T, proxyURL string) *kfDesk {
		passEnv = testenv.InitPass(t)
		var store string
		for _, kv := range passEnv {
			if v, ok := strings.CutPrefix(kv, "PASSWORD_STORE_DIR="); ok {
				store = v
			}
		}
		d := newKFDesk(t, proxyURL, testenv.StartSessionBus(t), append([]string{"AWSTRAY_BACKEND=pass", "AWSTRAY_PASS_DIR=" + store}, passEnv...))
		d.items = func(t *testing.T) map[string][]byte {
			for _, kv := range passEnv {
				k, v, _ := strings.Cut(kv, "=")
				t.Setenv(k, v)
			}
			st, err := keystore.Open(keystore.Options{Backend: keystore.BackendPass, PassDir: store})
			if err != nil {
				t.Fatal(err)
			}
			return storeItems(t, st)
		}
		return d
	}

	const (
		ssGone     = `keyring backend "secret-service" is not available: no Secret Service: org.freedesktop.secrets is neither running on the session bus nor activatable (chosen by AWSTRAY_BACKEND); start it, or choose another backend there: awstray does not switch keyrings by itself`
		ssGoneRead = `reading v1/key/dev from secret-service: no Secret Service answers on the session bus (The name org.freedesktop.secrets was not provided by any .service files); start GNOME Keyring or the desktop's keyring again, then retry`
		ssLocked   = `the Secret Service collection "login" is locked (%s); unlock it (Seahorse, or log in again), then retry`
		wrongPass  = `wrong passphrase for the file keyring in {dir}; give the passphrase it was made with (AWSTRAY_FILE_PASSPHRASE or the prompt)`
		noGPGKey   = `reading v1/key/dev from pass: gpg has no secret key for the password store (pass show: gpg: decryption failed: No secret key); import the GPG key its .gpg-id names (gpg --import) or insert its smartcard, then retry`
	)
	rows := []row{
		{
			name:  "GNOMEKeyringKilled",
			setUp: secretService,
			inject: func(t *testing.T, d *kfDesk) func() {
				ss.StopKeyring()
				return func() { ss.StartKeyring(t) }
			},
			// The CLI opens the keyring first: the backend it was told to
			// use is not there.
			exportLine: "awstray: " + ssGone,
			addLine:    "awstray: " + ssGone,
			trayNote:   ssGoneRead,
		},
		{
			name:  "GNOMEKeyringLocked",
			setUp: secretService,
			inject: func(t *testing.T, d *kfDesk) func() {
				ss.LockLogin(t)
				return func() { ss.UnlockLogin(t) }
			},
			exportLine: "awstray: reading v1/key/dev from secret-service: " + fmt.Sprintf(ssLocked, "Cannot get secret of a locked object"),
			addLine:    `awstray: storing the key of profile "q": writing v1/key/q to secret-service: ` + fmt.Sprintf(ssLocked, "Cannot create an item in a locked collection"),
			trayNote:   "reading v1/key/dev from secret-service: " + fmt.Sprintf(ssLocked, "Cannot get secret of a locked object"),
		},
		{
			// The CLI alone has the wrong passphrase: it refuses before it
			// writes anything; the tray, opened with the right one, is not
			// concerned.
			name:  "FileWrongPassphrase",
			setUp: fileBackend,
			inject: func(t *testing.T, d *kfDesk) func() {
				good := d.env
				d.env = append(append([]string(nil), good...), "AWSTRAY_FILE_PASSPHRASE=Tr0ub4dor&3")
				return func() { d.env = good }
			},
			cliOnly:    true,
			exportLine: "awstray: reading v1/key/dev from file: " + wrongPass,
			addLine:    `awstray: storing the key of profile "q": writing v1/key/q to file: ` + wrongPass,
		},
		{
			// Reads work from a full disk: the cached session serves the
			// CLI, and a new unlock in the tray works uncached.
			name:  "FileDiskFull",
			setUp: fileBackend,
			inject: func(t *testing.T, d *kfDesk) func() {
				return mnt.Fill(t)
			},
			addLine: `awstray: storing the key of profile "q": writing v1/key/q to file: the disk holding the file keyring in {dir} is full (no space left on device); the item stored before is unchanged`,
		},
		{
			name:  "FileReadOnly",
			setUp: fileBackend,
			inject: func(t *testing.T, d *kfDesk) func() {
				mnt.ReadOnly(t, true)
				return func() { mnt.ReadOnly(t, false) }
			},
			addLine: `awstray: storing the key of profile "q": writing v1/key/q to file: the file keyring in {dir} is on a read-only disk (read-only file system); the item stored before is unchanged`,
		},
		{
			// gpg encrypts to the public key, which is still there: a new
			// key can be stored, and reads it back once the secret key is.
			name:  "PassNoGPGKey",
			setUp: passBackend,
			inject: func(t *testing.T, d *kfDesk) func() {
				return testenv.HidePassKey(t, passEnv)
			},
			exportLine: "awstray: " + noGPGKey,
			trayNote:   noGPGKey,
		},
	}
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			moto := testenv.StartMoto(t)
			proxy := testfake.StartCountingProxy(t, moto.URL)
			d := r.setUp(t, proxy.URL)
			d.proxy = proxy
			d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
			tray := d.startTray(t)
			menu, err := testenv.ConnectTray(d.bus, tray.Process.Pid, 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { menu.Close() })
			held := d.export(t, "dev")
			before := d.items(t)
			if !hasKind(before, "session", "dev") || !hasKind(before, "key", "dev") {
				t.Fatalf("the keyring lacks dev's key or session before the fault: %v", keysOf(before))
			}
			fill := func(line string) string { return strings.ReplaceAll(line, "{dir}", d.dir) }

			fix := r.inject(t, d)

			// (a) the CLI: one line naming the backend and what to do, exit 1.
			checkLine := func(what, want string, extra []string, args ...string) {
				t.Helper()
				out, stderr, code := d.cli(t, extra, args...)
				if want == "" {
					if code != 0 {
						t.Errorf("%s with the fault: exit %d, want it to work\n%s", what, code, stderr)
					}
					return
				}
				if want = fill(want) + "\n"; code != 1 || stderr != want || out != "" {
					t.Errorf("%s with the fault: exit %d, stdout %q\n got %q\nwant %q", what, code, out, stderr, want)
				}
			}
			checkLine("export dev --no-agent", r.exportLine, nil, "export", "dev", "--no-agent", "--format", "env")
			checkLine("add q --env", r.addLine, addEnv, "add", "q", "--env")

			// (b) the tray keeps serving what it holds, and an unlock that
			// needs the keyring says why, once.
			if got := d.export(t, "dev"); got != held {
				t.Errorf("the tray served other credentials for dev during the fault:\n%s\nwant\n%s", got, held)
			}
			if !r.cliOnly {
				click(t, menu, "admin — locked", "Unlock…")
				if r.trayNote == "" {
					waitLabel(t, menu, "admin — 7h") // unlocked, uncached
				} else {
					notes := d.notes.WaitFor(1, 20*time.Second)
					if len(notes) != 1 || notes[0].Summary != "Unlocking admin failed" || notes[0].Body != r.trayNote {
						t.Errorf("notifications:\n got %+v\nwant one \"Unlocking admin failed\": %q", notes, r.trayNote)
					}
					// The menu shows it too, in admin's submenu.
					admin := waitLabel(t, menu, "admin — error")
					if got := strings.Join(admin.Labels(), " | "); !strings.Contains(got, "Error: "+r.trayNote) {
						t.Errorf("admin's submenu: %s", got)
					}
				}
			}

			fix()

			// (c) no half-written item, none lost.
			after := d.items(t)
			for k, v := range after {
				if !json.Valid(v) {
					t.Errorf("item %s is not whole: %q", k, v)
				}
			}
			for k := range before {
				if _, ok := after[k]; !ok {
					t.Errorf("item %s was lost", k)
				}
			}

			// (d) the same tray unlocks again and writes to the keyring.
			d.export(t, "ops")
			if got := d.items(t); !hasKind(got, "role", "ops") {
				t.Errorf("no role session of ops in the keyring after the fix: %v", keysOf(got))
			}
			if got := d.export(t, "dev"); got != held {
				t.Errorf("dev's held credentials changed after the fix")
			}
			if _, stderr, code := d.cli(t, addEnv, "add", "r", "--env"); code != 0 {
				t.Errorf("add r after the fix: exit %d: %s", code, stderr)
			}
			// dev's MFA session was made once: held through the fault, read
			// from the keyring again after it.
			if n := d.proxy.Count("GetSessionToken"); n != 1 {
				t.Errorf("%d GetSessionToken calls, want 1", n)
			}
			// Nothing more was said about the keyring than the one notice.
			if n := len(d.notes.Notifications()); (r.trayNote == "" && n != 0) || (r.trayNote != "" && n != 1) {
				t.Errorf("notifications at the end: %+v", d.notes.Notifications())
			}
		})
	}
}

// newFileKFDesk is a desk with the file keyring in a 256 KiB tmpfs.
func newFileKFDesk(t *testing.T, proxyURL string) (*kfDesk, *testenv.Mount) {
	t.Helper()
	mnt := testenv.MountTmpfs(t, 256<<10)
	dir := filepath.Join(mnt.Dir, "keyring")
	d := newKFDesk(t, proxyURL, testenv.StartSessionBus(t), []string{"AWSTRAY_BACKEND=file", "AWSTRAY_FILE_DIR=" + dir,
		"AWSTRAY_FILE_PASSPHRASE=correct horse battery staple"})
	d.dir = dir
	d.items = func(t *testing.T) map[string][]byte {
		st, err := keystore.Open(keystore.Options{Backend: keystore.BackendFile, FileDir: dir,
			FilePassphrase: func() (string, error) { return "correct horse battery staple", nil }})
		if err != nil {
			t.Fatal(err)
		}
		return storeItems(t, st)
	}
	return d, mnt
}

// TestKeyringFaultTrayShowsFailedCacheWrite: an unlock in the tray whose
// session cannot be written to the keyring (a full disk) works, and the
// tray says the session was not saved (the profile's submenu shows the
// manager's warning), so the person knows a restart will ask again.
func TestKeyringFaultTrayShowsFailedCacheWrite(t *testing.T) {
	moto := testenv.StartMoto(t)
	proxy := testfake.StartCountingProxy(t, moto.URL)
	d, mnt := newFileKFDesk(t, proxy.URL)
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	tray := d.startTray(t)
	menu, err := testenv.ConnectTray(d.bus, tray.Process.Pid, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { menu.Close() })
	d.export(t, "dev")
	mnt.Fill(t)
	click(t, menu, "admin — locked", "Unlock…")
	admin := waitLabel(t, menu, "admin — 7h")
	full := "the disk holding the file keyring in " + d.dir + " is full"
	shown := strings.Contains(strings.Join(admin.Labels(), " | "), full)
	for _, n := range d.notes.Notifications() {
		shown = shown || strings.Contains(n.Body, full)
	}
	if !shown {
		t.Fatalf("the tray says nothing of the session it could not save: admin's submenu %q, notifications %+v", admin.Labels(), d.notes.Notifications())
	}
}

// storeItems reads every awstray item of st.
func storeItems(t *testing.T, st *keystore.Store) map[string][]byte {
	t.Helper()
	keys, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	items := map[string][]byte{}
	for _, k := range keys {
		v, err := st.Get(k)
		if err != nil {
			t.Errorf("item %s does not read: %v", k, err)
			continue
		}
		items[k.String()] = v
	}
	return items
}

func keysOf(m map[string][]byte) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// hasKind reports whether items has a key of kind for profile, under any
// namespace prefix.
func hasKind(items map[string][]byte, kind, profile string) bool {
	for k := range items {
		if i := strings.Index(k, "v1/"+kind+"/"+profile); i >= 0 {
			return true
		}
	}
	return false
}
