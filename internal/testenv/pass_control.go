package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// HidePassKey takes the secret half of the GPG key of a store InitPass
// made out of its GNUPGHOME (env is what InitPass returned), as on a
// machine where the key was deleted or the smartcard is out: pass can
// still encrypt (the public key stays) but not decrypt. The returned
// function puts the key back.
func HidePassKey(t testing.TB, env []string) (restore func()) {
	t.Helper()
	var gnupg string
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "GNUPGHOME="); ok {
			gnupg = v
		}
	}
	if gnupg == "" {
		t.Fatal("HidePassKey: no GNUPGHOME in env")
	}
	keys := filepath.Join(gnupg, "private-keys-v1.d")
	hidden := filepath.Join(filepath.Dir(gnupg), "hidden-private-keys")
	if err := os.Rename(keys, hidden); err != nil {
		t.Fatalf("hiding the GPG secret key: %v", err)
	}
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	restored := false
	restore = func() {
		t.Helper()
		if restored {
			return
		}
		restored = true
		if err := os.RemoveAll(keys); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(hidden, keys); err != nil {
			t.Fatalf("putting the GPG secret key back: %v", err)
		}
	}
	t.Cleanup(restore)
	return restore
}
