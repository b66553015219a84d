package testenv

import (
	"errors"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/godbus/dbus/v5"
)

// SecretService is a private session bus with GNOME Keyring that a test
// can take GNOME Keyring away from (StartSecretServiceControl).
type SecretService struct {
	// Env is what StartSecretService returns: the bus address, HOME,
	// XDG_* folders and XDG_RUNTIME_DIR of the bus and the keyring.
	Env []string
	ss  *secretService
}

// StartSecretServiceControl is StartSecretService with a handle on the
// daemons, stopped when the test ends.
func StartSecretServiceControl(t testing.TB) *SecretService {
	t.Helper()
	ss, err := startSecretService()
	if errors.Is(err, errNotInstalled) {
		Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("starting a Secret Service: %v", err)
	}
	t.Cleanup(ss.stop)
	return &SecretService{Env: ss.env, ss: ss}
}

// StopKeyring ends GNOME Keyring and waits for it; the bus stays. The bus
// has no service files, so nothing starts it again: the Secret Service is
// gone, as when the person's daemon crashed or was killed.
func (s *SecretService) StopKeyring() { s.ss.gkd.stop(0) }

// StartKeyring starts GNOME Keyring again on the same bus and keyring
// folder, unlocked with the same password, as a person whose daemon died
// starts it again; it waits until the login collection is unlocked.
func (s *SecretService) StartKeyring(t testing.TB) {
	t.Helper()
	gkCmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	gkCmd.Env = mergeEnv(os.Environ(), s.ss.env)
	gkCmd.Stdin = strings.NewReader(loginPassword)
	d, err := startDaemon(gkCmd)
	if err != nil {
		t.Fatalf("starting GNOME Keyring again: %v", err)
	}
	s.ss.gkd = d // stop() ends this one now
	if err := waitForLogin(s.bus(), d); err != nil {
		t.Fatalf("starting GNOME Keyring again: %v", err)
	}
}

// LockLogin locks the login collection through the Secret Service's own
// Lock call, as a screen locker or `Lock keyring` in Seahorse does.
func (s *SecretService) LockLogin(t testing.TB) {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := conn.Object(secretsName, secretsRoot).Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginPath}).Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("locking the login collection: %v", err)
	}
	if prompt != "/" || !slices.Contains(locked, loginPath) {
		t.Fatalf("locking the login collection: locked %v, prompt %s", locked, prompt)
	}
	if !s.loginLocked(t, conn) {
		t.Fatal("the login collection is still unlocked after Lock")
	}
}

// UnlockLogin unlocks the login collection with its password, without a
// prompt: the standard Unlock call needs a graphical prompter, which a
// headless bus lacks, so this uses GNOME Keyring's own
// UnlockWithMasterPassword over a plain session — what its --unlock flag
// does at login.
func (s *SecretService) UnlockLogin(t testing.TB) {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := conn.Object(secretsName, secretsRoot).Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("opening a Secret Service session: %v", err)
	}
	secret := struct {
		Session     dbus.ObjectPath
		Parameters  []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte(loginPassword), "text/plain"}
	call := conn.Object(secretsName, secretsRoot).Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginPath, secret)
	if call.Err != nil {
		t.Fatalf("unlocking the login collection: %v", call.Err)
	}
	if s.loginLocked(t, conn) {
		t.Fatal("the login collection is still locked after UnlockWithMasterPassword")
	}
}

// Items returns the labels of the login collection's items and, for each,
// its secret (read over a plain session; the collection must be unlocked).
func (s *SecretService) Items(t testing.TB) map[string][]byte {
	t.Helper()
	conn := s.connect(t)
	defer conn.Close()
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := conn.Object(secretsName, secretsRoot).Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("opening a Secret Service session: %v", err)
	}
	v, err := conn.Object(secretsName, loginPath).GetProperty("org.freedesktop.Secret.Collection.Items")
	if err != nil {
		t.Fatalf("listing the login collection: %v", err)
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	items := make(map[string][]byte, len(paths))
	for _, p := range paths {
		obj := conn.Object(secretsName, p)
		l, err := obj.GetProperty("org.freedesktop.Secret.Item.Label")
		if err != nil {
			t.Fatalf("reading the label of %s: %v", p, err)
		}
		var secret struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}
		if err := obj.Call("org.freedesktop.Secret.Item.GetSecret", 0, session).Store(&secret); err != nil {
			t.Fatalf("reading the secret of %s: %v", p, err)
		}
		label, _ := l.Value().(string)
		items[label] = secret.Value
	}
	return items
}

const (
	secretsName   = "org.freedesktop.secrets"
	secretsRoot   = dbus.ObjectPath("/org/freedesktop/secrets")
	loginPath     = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")
	loginPassword = "pw"
)

func (s *SecretService) bus() string {
	for _, kv := range s.ss.env {
		if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
			return v
		}
	}
	return ""
}

func (s *SecretService) connect(t testing.TB) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Connect(s.bus())
	if err != nil {
		t.Fatalf("connecting to the test bus: %v", err)
	}
	return conn
}

func (s *SecretService) loginLocked(t testing.TB, conn *dbus.Conn) bool {
	t.Helper()
	l, err := conn.Object(secretsName, loginPath).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		t.Fatalf("reading whether the login collection is locked: %v", err)
	}
	locked, _ := l.Value().(bool)
	return locked
}
