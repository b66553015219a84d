package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/keyring"
)

// runConformance checks the behaviour every backend must share. open
// returns a new, empty store (its own namespace where the backend is
// shared) for each subtest.
func runConformance(t *testing.T, open func(t *testing.T) *Store) {
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		mustList(t, s)
		k := Key{Kind: KindKey, Profile: "absent"}
		_, err := s.Get(k)
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("Get(absent) error = %v, want ErrNotFound", err)
		}
		if want := "reading v1/key/absent from " + s.Backend() + ": "; !strings.HasPrefix(err.Error(), want) {
			t.Errorf("Get(absent) error %q does not start with %q", err, want)
		}
		if err := s.Remove(k); err != nil {
			t.Errorf("Remove(absent) = %v, want nil", err)
		}
	})

	t.Run("SetGetOverwrite", func(t *testing.T) {
		s := open(t)
		k := Key{Kind: KindKey, Profile: "work"}
		mustSet(t, s, k, []byte(`{"v":1}`))
		mustGet(t, s, k, []byte(`{"v":1}`))
		long := bytes.Repeat([]byte("x"), 1000)
		mustSet(t, s, k, long) // longer
		mustGet(t, s, k, long)
		mustSet(t, s, k, []byte("y")) // shorter
		mustGet(t, s, k, []byte("y"))
		mustList(t, s, k)
	})

	t.Run("ProfileNames", func(t *testing.T) {
		s := open(t)
		var keys []Key
		for _, p := range []string{
			"work", "my profile", "team/prod", "a/b/c", "prod-東京", "100%", "a:b",
			"a%2Fb", "%", "%25", "x y/z%20", "emoji-🚀", "semi;colon,comma?q#hash", "tab\there",
			" lead and trail ", "-dash", "Ünïcödé", "a..b", "...", "~tilde", "$HOME&co+1=2@x",
			`back\slash`, `quote"'`, "new\nline",
		} {
			k := Key{Kind: KindKey, Profile: p}
			keys = append(keys, k)
			mustSet(t, s, k, []byte("value of "+p))
		}
		for _, k := range keys {
			mustGet(t, s, k, []byte("value of "+k.Profile))
		}
		mustList(t, s, keys...)
	})

	t.Run("KindsAndVariants", func(t *testing.T) {
		s := open(t)
		keys := []Key{
			{Kind: KindKey, Profile: "work"},
			{Kind: KindSession, Profile: "work"},
			{Kind: KindRole, Profile: "work"},
			{Kind: KindRole, Profile: "work", Variant: "3f2a9c"},
			{Kind: KindRole, Profile: "work", Variant: "deadbeef"},
			{Kind: KindSSOToken, Profile: "work"},
			{Kind: KindSSOToken, Profile: "work", Variant: "A-z_0"},
		}
		for _, k := range keys {
			mustSet(t, s, k, []byte(k.String()))
		}
		for _, k := range keys {
			mustGet(t, s, k, []byte(k.String()))
		}
		mustList(t, s, keys...)
		mustRemove(t, s, keys[3])
		mustGet(t, s, keys[4], []byte(keys[4].String()))
		mustList(t, s, slices.Delete(slices.Clone(keys), 3, 4)...)
	})

	t.Run("LargeValues", func(t *testing.T) {
		s := open(t)
		random := make([]byte, 2048)
		_, _ = rand.Read(random)
		every := make([]byte, 2048)
		for i := range every {
			every[i] = byte(i)
		}
		json := []byte(`{"AccessKeyID":"ASIA` + strings.Repeat("Z", 16) + `","SessionToken":"` + strings.Repeat("IQoJb3JpZ2luX2VjE", 120) + `"}`)
		for i, v := range [][]byte{random, every, json} {
			k := Key{Kind: KindRole, Profile: "big", Variant: fmt.Sprint(i)}
			mustSet(t, s, k, v)
			mustGet(t, s, k, v)
		}
	})

	t.Run("Remove", func(t *testing.T) {
		s := open(t)
		a := Key{Kind: KindSession, Profile: "a"}
		b := Key{Kind: KindSession, Profile: "b"}
		mustSet(t, s, a, []byte("a"))
		mustSet(t, s, b, []byte("b"))
		mustRemove(t, s, a)
		if _, err := s.Get(a); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Remove: %v, want ErrNotFound", err)
		}
		mustRemove(t, s, a) // again: absent is fine
		mustGet(t, s, b, []byte("b"))
		mustList(t, s, b)
	})

	t.Run("InvalidInput", func(t *testing.T) {
		s := open(t)
		for _, k := range []Key{
			{Kind: "bogus", Profile: "work"},
			{Kind: KindKey},
			{Kind: KindKey, Profile: ".."},
			{Kind: KindKey, Profile: "work", Variant: "a/b"},
			{Kind: KindKey, Profile: strings.Repeat("東", 40)},
		} {
			if err := s.Set(k, []byte("x"), "label"); err == nil {
				t.Errorf("Set(%#v) succeeded", k)
			}
			if _, err := s.Get(k); err == nil || errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%#v) error = %v, want a validation error", k, err)
			}
			if err := s.Remove(k); err == nil {
				t.Errorf("Remove(%#v) succeeded", k)
			}
		}
		k := Key{Kind: KindKey, Profile: "work"}
		if err := s.Set(k, nil, "label"); err == nil {
			t.Error("Set with an empty value succeeded")
		}
		mustList(t, s)
	})

	t.Run("ForeignItems", func(t *testing.T) {
		s := open(t)
		mine := Key{Kind: KindKey, Profile: "work"}
		mustSet(t, s, mine, []byte("mine"))
		foreign := []string{
			"work",                       // aws-vault style, and outside s.prefix
			"v1/key/other",               // outside s.prefix where there is one
			s.prefix + "v1/canary",       // the file backend's canary
			s.prefix + "v2/key/work",     // a later scheme
			s.prefix + "v1/bogus/work",   // an unknown kind
			s.prefix + "v1/key/a%2fb",    // not canonical
			s.prefix + "v1/key/work/x/y", // too deep
			s.prefix + "v1/key/work/bad variant!",
			s.prefix + "Chrome Safe Storage",
		}
		if s.prefix == "" {
			foreign = slices.DeleteFunc(foreign, func(r string) bool { return r == "v1/key/other" })
		}
		for _, raw := range foreign {
			rawSet(t, s, raw, []byte("foreign"))
		}
		t.Cleanup(func() {
			for _, raw := range foreign {
				_ = s.do(func(kr keyring.Keyring) error { return kr.Remove(raw) })
			}
		})
		mustList(t, s, mine)
		mustGet(t, s, mine, []byte("mine"))
		// List must not have touched them.
		for _, raw := range foreign {
			err := s.do(func(kr keyring.Keyring) error { _, err := kr.Get(raw); return err })
			if err != nil {
				t.Errorf("foreign item %q: %v", raw, err)
			}
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		const workers, rounds = 8, 3
		shared := Key{Kind: KindSession, Profile: "shared"}
		var wg sync.WaitGroup
		errs := make(chan error, workers*rounds*8)
		for w := range workers {
			wg.Go(func() {
				own := Key{Kind: KindRole, Profile: fmt.Sprintf("worker %d", w)}
				for r := range rounds {
					v := []byte(fmt.Sprintf("worker %d round %d", w, r))
					if err := s.Set(own, v, "test"); err != nil {
						errs <- err
						continue
					}
					if err := s.Set(shared, v, "test"); err != nil {
						errs <- err
					}
					got, err := s.Get(own)
					if err != nil {
						errs <- err
					} else if !bytes.Equal(got, v) {
						errs <- fmt.Errorf("worker %d read %q, want %q", w, got, v)
					}
					keys, err := s.List()
					if err != nil {
						errs <- err
					} else if !slices.Contains(keys, own) {
						errs <- fmt.Errorf("worker %d: List lacks its key", w)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		got, err := s.Get(shared)
		if err != nil || !bytes.HasPrefix(got, []byte("worker ")) || !bytes.Contains(got, []byte(fmt.Sprintf("round %d", rounds-1))) {
			t.Errorf("shared value = %q, %v; want one worker's last write", got, err)
		}
		if keys := mustListLen(t, s); keys != workers+1 {
			t.Errorf("List has %d keys, want %d", keys, workers+1)
		}
	})
}

func mustSet(t *testing.T, s *Store, k Key, v []byte) {
	t.Helper()
	if err := s.Set(k, v, "awstray test item "+k.String()); err != nil {
		t.Fatalf("Set(%s): %v", k, err)
	}
}

func mustGet(t *testing.T, s *Store, k Key, want []byte) {
	t.Helper()
	got, err := s.Get(k)
	if err != nil {
		t.Fatalf("Get(%s): %v", k, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) returned %d bytes that differ from the %d stored", k, len(got), len(want))
	}
}

func mustRemove(t *testing.T, s *Store, k Key) {
	t.Helper()
	if err := s.Remove(k); err != nil {
		t.Fatalf("Remove(%s): %v", k, err)
	}
}

// mustList checks that List returns exactly want, in string order.
func mustList(t *testing.T, s *Store, want ...Key) {
	t.Helper()
	got, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want = slices.Clone(want)
	slices.SortFunc(want, func(a, b Key) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(got, want) {
		t.Fatalf("List =\n\t%v\nwant\n\t%v", got, want)
	}
}

func mustListLen(t *testing.T, s *Store) int {
	t.Helper()
	got, err := s.List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	return len(got)
}

// rawSet writes an item under a raw backend key, as another program would.
func rawSet(t *testing.T, s *Store, raw string, data []byte) {
	t.Helper()
	err := s.do(func(kr keyring.Keyring) error { return kr.Set(keyring.Item{Key: raw, Data: data, Label: raw}) })
	if err != nil {
		t.Fatalf("writing foreign item %q: %v", raw, err)
	}
}
