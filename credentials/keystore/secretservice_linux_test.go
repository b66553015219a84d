package keystore

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus"
	dbus5 "github.com/godbus/dbus/v5"

	"github.com/awstray/awstray/internal/testenv"
)

const loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

// lockLogin locks the login collection and unlocks it with GNOME Keyring's
// own master-password call at cleanup (the standard Unlock needs a prompt,
// and there is no prompter here).
func lockLogin(t *testing.T) {
	t.Helper()
	conn, err := dbus.SessionBus()
	if err != nil {
		t.Fatal(err)
	}
	svc := conn.Object(secretsService, secretsPath)
	if err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).Err; err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	t.Cleanup(func() {
		var out dbus.Variant
		var session dbus.ObjectPath
		if err := svc.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
			t.Fatalf("opening a Secret Service session: %v", err)
		}
		secret := struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}{session, []byte{}, []byte("pw"), "text/plain"}
		err := svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginCollection, secret).Err
		if err != nil {
			t.Fatalf("unlocking the login collection: %v", err)
		}
	})
}

// TestSecretServiceLocked is the case the timeout exists for: a locked
// collection whose unlock prompt nobody answers.
func TestSecretServiceLocked(t *testing.T) {
	testenv.RequireSecretService(t)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	s, err := Open(Options{Backend: BackendSecretService, ServiceName: randomName("awstray-test-"), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "work"}
	mustSet(t, s, k, []byte("x"))
	lockLogin(t)

	start := time.Now()
	_, err = s.Get(k)
	t.Logf("Get on a locked collection after %s: %v", time.Since(start).Round(time.Millisecond), err)
	if err == nil {
		t.Fatal("Get on a locked collection succeeded")
	}
	if errors.Is(err, ErrNotFound) {
		t.Errorf("Get on a locked collection: %v; want an error that is not ErrNotFound", err)
	}

	// Picking a backend by itself, Open passes over a locked collection
	// when there is no display to ask for the password on.
	auto, err := Open(Options{FileDir: t.TempDir(), FilePassphrase: func() (string, error) { return "pw", nil }})
	if err != nil {
		t.Fatal(err)
	}
	if auto.Backend() == BackendSecretService {
		t.Error("auto-detection picked a locked Secret Service with no display")
	}
	t.Logf("auto-detected with the collection locked: %s", auto.Backend())
}

// hangingPrompter owns GNOME Keyring's prompter name and never answers, as
// an unlock dialog nobody looks at.
type hangingPrompter struct{ release chan struct{} }

func (p *hangingPrompter) BeginPrompting(dbus5.ObjectPath) *dbus5.Error {
	<-p.release
	return dbus5.MakeFailedError(errors.New("no one is there"))
}

// TestSecretServiceUnansweredPrompt: the unlock prompt is shown and nobody
// answers it; the store gives up after its timeout instead of hanging.
func TestSecretServiceUnansweredPrompt(t *testing.T) {
	testenv.RequireSecretService(t)
	conn, err := dbus5.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	p := &hangingPrompter{release: make(chan struct{})}
	if err := conn.Export(p, "/org/gnome/keyring/Prompter", "org.gnome.keyring.internal.Prompter"); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName("org.gnome.keyring.SystemPrompter", dbus5.NameFlagDoNotQueue); err != nil || reply != dbus5.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning the prompter name: %v, %v", reply, err)
	}
	t.Cleanup(func() { close(p.release) })

	s, err := Open(Options{Backend: BackendSecretService, ServiceName: randomName("awstray-test-"), Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "work"}
	mustSet(t, s, k, []byte("x"))
	lockLogin(t)

	start := time.Now()
	_, err = s.Get(k)
	elapsed := time.Since(start)
	want := `reading v1/key/work from secret-service: keyring backend "secret-service" did not answer within 1s (is it locked?)`
	if !errors.Is(err, ErrTimeout) || err.Error() != want {
		t.Fatalf("Get with an unanswered prompt after %s: %v\nwant %s", elapsed, err, want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Get gave up after %s, want about 1s", elapsed)
	}
	_, err = s.List()
	if !errors.Is(err, ErrTimeout) {
		t.Errorf("List while the prompt is open: %v, want ErrTimeout", err)
	}
}

// TestStartSecretServiceForSubprocess checks the helper that end-to-end
// tests use for the awstray binary: a subprocess with its environment
// reaches GNOME Keyring, and everything is gone after the test.
func TestStartSecretServiceForSubprocess(t *testing.T) {
	if _, err := exec.LookPath("secret-tool"); err != nil {
		testenv.Missing(t, "secret-tool is not installed (Debian package libsecret-tools)")
	}
	var env []string
	t.Run("Use", func(t *testing.T) {
		env = testenv.StartSecretService(t)
		run := func(stdin string, args ...string) string {
			t.Helper()
			cmd := exec.Command("secret-tool", args...)
			cmd.Env = append(os.Environ(), env...)
			cmd.Stdin = strings.NewReader(stdin)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("secret-tool %v: %v: %s", args, err, out)
			}
			return string(out)
		}
		run("hello", "store", "--label=probe", "app", "awstray-test")
		if got := run("", "lookup", "app", "awstray-test"); got != "hello" {
			t.Errorf("secret-tool lookup = %q, want hello", got)
		}
	})
	for _, kv := range env {
		if addr, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			if conn, err := dbus5.Connect(addr); err == nil {
				conn.Close()
				t.Errorf("the bus at %s still answers after the test", addr)
			}
		}
		if home, ok := strings.CutPrefix(kv, "HOME="); ok {
			if _, err := os.Stat(home); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%s is still there: %v", home, err)
			}
		}
	}
}
