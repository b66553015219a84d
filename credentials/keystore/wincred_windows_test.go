package keystore

import (
	"crypto/rand"
	"fmt"
	"testing"

	"github.com/99designs/keyring"
)

// openWinCred opens the Windows Credential Manager under a service name of
// the test's own — a person's items are never touched — and removes every
// item of that name when the test ends.
func openWinCred(t *testing.T) *Store {
	t.Helper()
	s, err := Open(Options{Backend: BackendWinCred, ServiceName: randomName("awstray-test-")})
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != BackendWinCred {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	t.Cleanup(func() {
		for name := range rawWinCred(t, s) {
			_ = s.do(func(kr keyring.Keyring) error { return kr.(*chunkedKeyring).Keyring.Remove(name) })
		}
	})
	return s
}

// rawWinCred returns the size of every credential of s's service name as
// the Credential Manager holds it, chunks included.
func rawWinCred(t *testing.T, s *Store) map[string]int {
	t.Helper()
	sizes := map[string]int{}
	err := s.do(func(kr keyring.Keyring) error {
		inner := kr.(*chunkedKeyring).Keyring
		names, err := inner.Keys()
		if err != nil {
			return err
		}
		for _, name := range names {
			it, err := inner.Get(name)
			if err != nil {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			sizes[name] = len(it.Data)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("listing the Credential Manager: %v", err)
	}
	return sizes
}

// TestWinCred runs the conformance suite on the Windows Credential Manager
// (under Wine in the Windows stage, make test-windows).
func TestWinCred(t *testing.T) {
	runConformance(t, openWinCred)

	// A role session or an SSO token in JSON can pass the Credential
	// Manager's 2560 bytes: it is stored in chunks within the limit and
	// read back whole, and a shorter value drops the chunks.
	t.Run("OverTheLimit", func(t *testing.T) {
		s := openWinCred(t)
		k := Key{Kind: KindSSOToken, Profile: "corp"}
		for _, size := range []int{wincredMaxBlob - 1, wincredMaxBlob, wincredMaxBlob + 1, 6000, 20000, 10, 3*wincredMaxBlob + 7} {
			v := make([]byte, size)
			_, _ = rand.Read(v)
			mustSet(t, s, k, v)
			mustGet(t, s, k, v)
			mustList(t, s, k)
			raw := rawWinCred(t, s)
			for name, n := range raw {
				if n > wincredMaxBlob {
					t.Errorf("value of %d bytes: credential %s holds %d bytes, over the limit of %d", size, name, n, wincredMaxBlob)
				}
			}
			// One byte of the head says how the value is stored.
			if single := size+1 <= wincredMaxBlob; single != (len(raw) == 1) {
				t.Errorf("value of %d bytes is in %d credentials", size, len(raw))
			}
		}
		mustRemove(t, s, k)
		if raw := rawWinCred(t, s); len(raw) != 0 {
			t.Errorf("after Remove the Credential Manager still holds %v", raw)
		}
	})
}
