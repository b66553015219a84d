package keystore

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/awstray/awstray/internal/testenv"
)

func TestMemory(t *testing.T) {
	runConformance(t, func(*testing.T) *Store {
		s := NewMemory()
		if s.Backend() != "memory" {
			t.Fatalf("Backend() = %q", s.Backend())
		}
		return s
	})
}

// limitKeyring fails writes larger than max bytes, as the Windows
// Credential Manager does.
type limitKeyring struct {
	keyring.Keyring
	max int
}

func (l *limitKeyring) Set(it keyring.Item) error {
	if len(it.Data) > l.max {
		return errors.New("The stub received bad data.")
	}
	return l.Keyring.Set(it)
}

// TestWinCredChunking runs the suite on a memory keyring with the Windows
// Credential Manager's size limit (made small so that 2 KiB values take
// several chunks) behind the chunking that Open adds for wincred.
func TestWinCredChunking(t *testing.T) {
	runConformance(t, func(*testing.T) *Store {
		kr := &limitKeyring{Keyring: keyring.NewArrayKeyring(nil), max: 256}
		return newStore("wincred-emulated", &chunkedKeyring{Keyring: kr, max: 256}, time.Minute, "")
	})
}

func newFileStore(t testing.TB, dir, passphrase string) (*Store, error) {
	t.Helper()
	return Open(Options{
		Backend:        BackendFile,
		FileDir:        dir,
		FilePassphrase: func() (string, error) { return passphrase, nil },
	})
}

func TestFile(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store {
		s, err := newFileStore(t, t.TempDir(), "correct horse")
		if err != nil {
			t.Fatal(err)
		}
		if s.Backend() != BackendFile {
			t.Fatalf("Backend() = %q", s.Backend())
		}
		return s
	})
}

func TestFileWrongPassphrase(t *testing.T) {
	dir := t.TempDir()
	s, err := newFileStore(t, dir, "one")
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "work"}
	mustSet(t, s, k, []byte("secret"))
	if _, err := os.Stat(filepath.Join(dir, canaryFile)); err != nil {
		t.Fatalf("no canary after first use: %v", err)
	}

	wrongPassphrase := func(t *testing.T) {
		t.Helper()
		before := testenv.DirSnapshot(t, dir)
		s, err := newFileStore(t, dir, "two")
		if err != nil {
			t.Fatalf("Open decrypts nothing and should not fail: %v", err)
		}
		// Every call that would read, write or list fails clearly.
		_, getErr := s.Get(k)
		_, listErr := s.List()
		for what, err := range map[string]error{
			"Get":    getErr,
			"Set":    s.Set(Key{Kind: KindKey, Profile: "other"}, []byte("x"), ""),
			"Remove": s.Remove(k),
			"List":   listErr,
		} {
			if !errors.Is(err, ErrWrongPassphrase) {
				t.Fatalf("%s with another passphrase: %v, want ErrWrongPassphrase", what, err)
			}
			if want := "wrong passphrase for the file keyring in " + dir; !strings.Contains(err.Error(), want) {
				t.Errorf("error %q does not say %q", err, want)
			}
		}
		if after := testenv.DirSnapshot(t, dir); after != before {
			t.Errorf("a failed Open changed %s:\nbefore:\n%s\nafter:\n%s", dir, before, after)
		}
	}

	t.Run("Canary", wrongPassphrase)

	t.Run("NoCanaryYet", func(t *testing.T) {
		// A directory written before the canary existed: an item is checked.
		if err := os.Remove(filepath.Join(dir, canaryFile)); err != nil {
			t.Fatal(err)
		}
		wrongPassphrase(t)
	})

	t.Run("RightPassphrase", func(t *testing.T) {
		s, err := newFileStore(t, dir, "one")
		if err != nil {
			t.Fatal(err)
		}
		mustGet(t, s, k, []byte("secret"))
		mustList(t, s, k)
		if _, err := os.Stat(filepath.Join(dir, canaryFile)); err != nil {
			t.Errorf("canary not recreated: %v", err)
		}
	})

	t.Run("EmptyCanary", func(t *testing.T) {
		// A canary cut short while being written is made again.
		if err := os.WriteFile(filepath.Join(dir, canaryFile), nil, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := newFileStore(t, dir, "one")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.List(); err != nil { // the first listing remakes the canary
			t.Fatal(err)
		}
		wrongPassphrase(t)
	})

	t.Run("NoPassphrase", func(t *testing.T) {
		_, err := Open(Options{Backend: BackendFile, FileDir: dir})
		if err == nil || !strings.Contains(err.Error(), "needs a passphrase") {
			t.Errorf("Open without FilePassphrase: %v", err)
		}
		if _, err := newFileStore(t, dir, ""); err == nil || !strings.Contains(err.Error(), "empty passphrase") {
			t.Errorf("Open with an empty passphrase: %v", err)
		}
		_, err = Open(Options{Backend: BackendFile, FileDir: dir, FilePassphrase: func() (string, error) { return "", errors.New("prompt cancelled") }})
		if err == nil || !strings.Contains(err.Error(), "prompt cancelled") {
			t.Errorf("Open with a failing prompt: %v", err)
		}
	})
}

func TestFileDefaultDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(home, "cfg"))
	s, err := Open(Options{Backend: BackendFile, FilePassphrase: func() (string, error) { return "pw", nil }})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, Key{Kind: KindKey, Profile: "work"}, []byte("x"))
	fi, err := os.Stat(filepath.Join(home, "cfg", "awstray", "keyring", "v1%2Fkey%2Fwork"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("item mode %v, want 0600", fi.Mode())
	}
}

func randomName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func TestSecretService(t *testing.T) {
	testenv.RequireSecretService(t)
	runConformance(t, func(t *testing.T) *Store {
		// Each store has a namespace of its own in the shared collection.
		s, err := Open(Options{Backend: BackendSecretService, ServiceName: randomName("awstray-test-"), Timeout: 20 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if s.Backend() != BackendSecretService {
			t.Fatalf("Backend() = %q", s.Backend())
		}
		return s
	})

	t.Run("SeenByLibsecret", func(t *testing.T) {
		// A real Secret Service client finds the item under its label.
		if _, err := exec.LookPath("secret-tool"); err != nil {
			testenv.Missing(t, "secret-tool is not installed (Debian package libsecret-tools)")
		}
		s, err := Open(Options{Backend: BackendSecretService, ServiceName: "awstray-seen"})
		if err != nil {
			t.Fatal(err)
		}
		k := Key{Kind: KindKey, Profile: "my profile"}
		mustSet(t, s, k, []byte("x"))
		t.Cleanup(func() { _ = s.Remove(k) })
		out, err := exec.Command("secret-tool", "search", "profile", "awstray-seen/v1/key/my%20profile").CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("label = awstray-seen/v1/key/my%20profile")) {
			t.Errorf("secret-tool search: %v (%d bytes of output, no label line)", err, len(out))
		}
	})

	t.Run("Detect", func(t *testing.T) {
		s, err := Open(Options{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Backend() != BackendSecretService {
			t.Errorf("auto-detected %q, want secret-service (a Secret Service with a login collection runs)", s.Backend())
		}
	})

	t.Run("DetectRemembers", func(t *testing.T) {
		// The choice is handed back once, when the first long-term key is
		// in the keyring: a cached session does not pin a backend.
		var got []string
		remember := func(backend, why string) { got = append(got, backend+": "+why) }
		s, err := Open(Options{ServiceName: randomName("awstray-test-"), Remember: remember})
		if err != nil {
			t.Fatal(err)
		}
		session, key, key2 := Key{Kind: KindSession, Profile: "a"}, Key{Kind: KindKey, Profile: "a"}, Key{Kind: KindKey, Profile: "b"}
		mustSet(t, s, session, []byte("x"))
		if len(got) != 0 {
			t.Fatalf("remembered after a session: %q", got)
		}
		mustSet(t, s, key, []byte("x"))
		mustSet(t, s, key2, []byte("x"))
		for _, k := range []Key{session, key, key2} {
			mustRemove(t, s, k)
		}
		if len(got) != 1 || got[0] != "secret-service: found on the session bus" {
			t.Fatalf("remembered %q", got)
		}
		// A backend that was named is not the store's to remember.
		named, err := Open(Options{Backend: BackendSecretService, ServiceName: randomName("awstray-test-"), Remember: remember})
		if err != nil {
			t.Fatal(err)
		}
		mustSet(t, named, key, []byte("x"))
		mustRemove(t, named, key)
		if len(got) != 1 {
			t.Fatalf("remembered a named backend: %q", got)
		}
	})

	t.Run("MissingCollection", func(t *testing.T) {
		_, err := Open(Options{Backend: BackendSecretService, Collection: "nope"})
		if err == nil || !strings.Contains(err.Error(), `keyring backend "secret-service" is not available: the Secret Service has no collection "nope"`) {
			t.Errorf("Open with a missing collection: %v", err)
		}
	})

	t.Run("KWalletAbsent", func(t *testing.T) {
		// The bus is up, so the keyring package registered kwallet, but no
		// KWallet runs on it.
		_, err := Open(Options{Backend: BackendKWallet})
		if err == nil || !strings.Contains(err.Error(), `keyring backend "kwallet" is not available: no KWallet: org.kde.kwalletd5 is neither running on the session bus nor activatable`) {
			t.Errorf("Open(kwallet): %v", err)
		}
	})
}

func TestPass(t *testing.T) {
	env := testenv.InitPass(t)
	var storeDir string
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
		if k == "PASSWORD_STORE_DIR" {
			storeDir = v
		}
	}
	runConformance(t, func(t *testing.T) *Store {
		s, err := Open(Options{Backend: BackendPass, PassDir: storeDir, PassPrefix: randomName("t-")})
		if err != nil {
			t.Fatal(err)
		}
		if s.Backend() != BackendPass {
			t.Fatalf("Backend() = %q", s.Backend())
		}
		return s
	})

	t.Run("Layout", func(t *testing.T) {
		s, err := Open(Options{Backend: BackendPass, PassDir: storeDir})
		if err != nil {
			t.Fatal(err)
		}
		k := Key{Kind: KindRole, Profile: "team/prod", Variant: "ab12"}
		mustSet(t, s, k, []byte("x"))
		if _, err := os.Stat(filepath.Join(storeDir, "awstray", "v1", "role", "team%2Fprod", "ab12.gpg")); err != nil {
			t.Errorf("item not where pass keeps it: %v", err)
		}
		mustRemove(t, s, k)
	})

	// Issue 10.2: without the secret key gpg cannot decrypt. The error is
	// one line that says so and what to do — not "exit status 2" after
	// gpg's own lines on the process's stderr — and the item reads again
	// once the key is back.
	t.Run("NoSecretKey", func(t *testing.T) {
		s, err := Open(Options{Backend: BackendPass, PassDir: storeDir, PassPrefix: randomName("t-")})
		if err != nil {
			t.Fatal(err)
		}
		k := Key{Kind: KindKey, Profile: "dev"}
		mustSet(t, s, k, []byte(`{"k":1}`))
		restore := testenv.HidePassKey(t, env)
		_, err = s.Get(k)
		var ke *KeyringError
		want := "reading v1/key/dev from pass: gpg has no secret key for the password store (pass show: gpg: decryption failed: No secret key); import the GPG key its .gpg-id names (gpg --import) or insert its smartcard, then retry"
		if !errors.As(err, &ke) || ke.Backend != BackendPass || err.Error() != want {
			t.Fatalf("Get without the secret key: %v\nwant %s", err, want)
		}
		restore()
		if got, err := s.Get(k); err != nil || string(got) != `{"k":1}` {
			t.Fatalf("Get with the key back: %q, %v", got, err)
		}
		mustRemove(t, s, k)
	})

	// Items the keyring package's own pass backend wrote (awstray before
	// it ran pass itself) read, and the other way round.
	t.Run("LibraryFormat", func(t *testing.T) {
		prefix := randomName("t-")
		lib, err := keyring.Open(keyring.Config{AllowedBackends: []keyring.BackendType{keyring.PassBackend}, PassDir: storeDir, PassPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		if err := lib.Set(keyring.Item{Key: "v1/key/old", Data: []byte("from the library")}); err != nil {
			t.Fatal(err)
		}
		s, err := Open(Options{Backend: BackendPass, PassDir: storeDir, PassPrefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Get(Key{Kind: KindKey, Profile: "old"}); err != nil || string(got) != "from the library" {
			t.Fatalf("Get of the library's item: %q, %v", got, err)
		}
		mustSet(t, s, Key{Kind: KindKey, Profile: "new"}, []byte("from the store"))
		if it, err := lib.Get("v1/key/new"); err != nil || string(it.Data) != "from the store" {
			t.Fatalf("the library's Get of the store's item: %q, %v", it.Data, err)
		}
	})

	t.Run("NotInitialised", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Open(Options{Backend: BackendPass, PassDir: dir})
		want := `keyring backend "pass" is not available: the password store ` + dir + " is not initialised"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open on an empty directory: %v, want %q", err, want)
		}
	})
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(Options{Backend: "gnome-keyring"})
	if err == nil || !strings.Contains(err.Error(), `unknown keyring backend "gnome-keyring" (valid: secret-service, kwallet, pass, keyctl, file, wincred, keychain)`) {
		t.Errorf("unknown backend: %v", err)
	}
	for name, reason := range map[string]string{
		BackendWinCred:  "it exists only on Windows",
		BackendKeychain: "it exists only on macOS",
	} {
		_, err := Open(Options{Backend: name})
		want := fmt.Sprintf("keyring backend %q is not available: %s", name, reason)
		if err == nil || err.Error() != want {
			t.Errorf("Open(%s) = %v, want %q", name, err, want)
		}
	}
}

func TestDetectOrder(t *testing.T) {
	all := []string{BackendSecretService, BackendKWallet, BackendPass, BackendKeychain, BackendWinCred}
	tests := []struct {
		goos      string
		reachable []string
		want      string
	}{
		{"linux", all, BackendSecretService},
		{"linux", []string{BackendKWallet, BackendPass}, BackendKWallet},
		{"linux", []string{BackendPass}, BackendPass},
		{"linux", nil, BackendFile},
		{"darwin", all, BackendKeychain},
		{"darwin", nil, BackendFile},
		{"windows", all, BackendWinCred},
		{"windows", nil, BackendFile},
		{"freebsd", all, BackendPass},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%v", tt.goos, tt.reachable), func(t *testing.T) {
			var asked []string
			got, _ := detectIn(tt.goos, func(b string) (string, error) {
				asked = append(asked, b)
				for _, r := range tt.reachable {
					if r == b {
						return "", nil
					}
				}
				return "", fs.ErrNotExist
			})
			if got != tt.want {
				t.Errorf("detect = %q (asked %v), want %q", got, asked, tt.want)
			}
		})
	}
}

// blockingKeyring holds Get until release is closed, as a Secret Service
// waiting for its unlock prompt does; Remove panics.
type blockingKeyring struct {
	keyring.Keyring
	release chan struct{}
}

func (b *blockingKeyring) Get(key string) (keyring.Item, error) {
	<-b.release
	return b.Keyring.Get(key)
}

func (b *blockingKeyring) Remove(string) error { panic("boom") }

func TestTimeout(t *testing.T) {
	kr := &blockingKeyring{Keyring: keyring.NewArrayKeyring(nil), release: make(chan struct{})}
	s := newStore("fake", kr, 50*time.Millisecond, "")
	k := Key{Kind: KindKey, Profile: "work"}

	_, err := s.Get(k)
	if !errors.Is(err, ErrTimeout) || err.Error() != `reading v1/key/work from fake: keyring backend "fake" did not answer within 50ms (is it locked?)` {
		t.Fatalf("Get on a blocked backend: %v", err)
	}
	// The blocked call still holds the store: the next one must not enter
	// the library beside it.
	err = s.Set(k, []byte("x"), "label")
	if !errors.Is(err, ErrTimeout) || !strings.Contains(err.Error(), "an earlier call is still waiting") {
		t.Fatalf("Set while a call is blocked: %v", err)
	}

	close(kr.release)
	deadline := time.Now().Add(5 * time.Second)
	for {
		err = s.Set(k, []byte("x"), "label")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Set after the backend answered: %v", err)
	}
	mustGet(t, s, k, []byte("x"))

	// A panicking backend is an error, and the store stays usable.
	if err := s.Remove(k); err == nil || !strings.Contains(err.Error(), `keyring backend "fake" failed: boom`) {
		t.Errorf("Remove on a panicking backend: %v", err)
	}
	mustGet(t, s, k, []byte("x"))
}

// BenchmarkFileGet measures what `awstray exec` pays to read a cached
// session (about 1 KiB of JSON) from an open file keyring.
func BenchmarkFileGet(b *testing.B) {
	s, err := newFileStore(b, b.TempDir(), "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	k := Key{Kind: KindSession, Profile: "work"}
	v := bytes.Repeat([]byte("s"), 1024)
	if err := s.Set(k, v, "bench"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(k); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileOpenGet is the whole cost per `awstray exec`: Open (which
// decrypts the canary) and one Get.
func BenchmarkFileOpenGet(b *testing.B) {
	dir := b.TempDir()
	s, err := newFileStore(b, dir, "correct horse")
	if err != nil {
		b.Fatal(err)
	}
	k := Key{Kind: KindSession, Profile: "work"}
	if err := s.Set(k, bytes.Repeat([]byte("s"), 1024), "bench"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		s, err := newFileStore(b, dir, "correct horse")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.Get(k); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMemoryGet(b *testing.B) {
	s := NewMemory()
	k := Key{Kind: KindSession, Profile: "work"}
	if err := s.Set(k, bytes.Repeat([]byte("s"), 1024), "bench"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := s.Get(k); err != nil {
			b.Fatal(err)
		}
	}
}
