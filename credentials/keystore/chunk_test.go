package keystore

import (
	"bytes"
	"crypto/rand"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

func rawKeys(t *testing.T, kr keyring.Keyring) []string {
	t.Helper()
	keys, err := kr.Keys()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func TestChunkedWinCredSizes(t *testing.T) {
	inner := &limitKeyring{Keyring: keyring.NewArrayKeyring(nil), max: wincredMaxBlob}
	s := newStore(BackendWinCred, &chunkedKeyring{Keyring: inner, max: wincredMaxBlob}, time.Minute, "")
	k := Key{Kind: KindSSOToken, Profile: "corp"}

	for _, size := range []int{1, wincredMaxBlob - 1, wincredMaxBlob, wincredMaxBlob + 1, 3 * wincredMaxBlob, 6000, 20000} {
		v := make([]byte, size)
		_, _ = rand.Read(v)
		mustSet(t, s, k, v)
		mustGet(t, s, k, v)
		want := (size + wincredMaxBlob - 1) / wincredMaxBlob
		if size+1 <= wincredMaxBlob {
			want = 0
		}
		// Only the current generation's chunks remain.
		if got := len(rawKeys(t, inner)) - 1; got != want {
			t.Errorf("%d bytes: %d chunk items, want %d: %v", size, got, want, rawKeys(t, inner))
		}
	}
	mustList(t, s, k)
	mustRemove(t, s, k)
	if keys := rawKeys(t, inner); len(keys) != 0 {
		t.Errorf("items left after Remove: %v", keys)
	}
}

func TestChunkedReadsAgainWhileRewritten(t *testing.T) {
	inner := keyring.NewArrayKeyring(nil)
	c := &chunkedKeyring{Keyring: inner, max: 100}
	old := bytes.Repeat([]byte("o"), 350)
	if err := c.Set(keyring.Item{Key: "k", Data: old}); err != nil {
		t.Fatal(err)
	}
	staleHead, _ := inner.Get("k")
	// Another process rewrote the value: new chunks, new head, old chunks gone.
	newer := bytes.Repeat([]byte("n"), 250)
	if err := c.Set(keyring.Item{Key: "k", Data: newer}); err != nil {
		t.Fatal(err)
	}
	// We had read the old head before that; our chunks are gone.
	if _, retry, err := c.assemble("k", staleHead.Data); !retry || err == nil {
		t.Fatalf("assembling a stale head: retry=%v err=%v, want a retry", retry, err)
	}
	it, err := c.Get("k")
	if err != nil || !bytes.Equal(it.Data, newer) {
		t.Fatalf("Get = %d bytes, %v", len(it.Data), err)
	}

	// A chunk that does not match the hash is not returned.
	keys := rawKeys(t, inner)
	for _, name := range keys {
		if strings.HasSuffix(name, ".1") {
			_ = inner.Set(keyring.Item{Key: name, Data: bytes.Repeat([]byte("x"), 100)})
		}
	}
	if _, err := c.Get("k"); err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Errorf("Get with a damaged chunk: %v", err)
	}

	// Unknown formats are errors, not data.
	_ = inner.Set(keyring.Item{Key: "legacy", Data: []byte(`{"json":1}`)})
	if _, err := c.Get("legacy"); err == nil || !strings.Contains(err.Error(), "unknown format") {
		t.Errorf("Get of an item without a format byte: %v", err)
	}
}

func TestChunkedFailedWriteLeavesOldValue(t *testing.T) {
	inner := &failingKeyring{Keyring: keyring.NewArrayKeyring(nil), failAfter: -1}
	c := &chunkedKeyring{Keyring: inner, max: 100}
	old := bytes.Repeat([]byte("o"), 250)
	if err := c.Set(keyring.Item{Key: "k", Data: old}); err != nil {
		t.Fatal(err)
	}
	inner.failAfter = 2 // the third chunk of the next write fails
	if err := c.Set(keyring.Item{Key: "k", Data: bytes.Repeat([]byte("n"), 450)}); err == nil {
		t.Fatal("write with a failing chunk succeeded")
	}
	inner.failAfter = -1
	it, err := c.Get("k")
	if err != nil || !bytes.Equal(it.Data, old) {
		t.Fatalf("after a failed write: %d bytes, %v; want the old value", len(it.Data), err)
	}
	if n := len(rawKeys(t, inner)); n != 1+3 {
		t.Errorf("%d raw items after a failed write, want the head and its 3 chunks: %v", n, rawKeys(t, inner))
	}
}

// failingKeyring fails the write after failAfter successful ones.
type failingKeyring struct {
	keyring.Keyring
	failAfter int // -1: never
}

func (f *failingKeyring) Set(it keyring.Item) error {
	if f.failAfter == 0 {
		return errors.New("disk full")
	}
	if f.failAfter > 0 {
		f.failAfter--
	}
	return f.Keyring.Set(it)
}

func TestIsChunkKey(t *testing.T) {
	for name, want := range map[string]bool{
		"v1/key/work#0123456789abcdef.0":  true,
		"v1/key/work#0123456789abcdef.12": true,
		"v1/key/work":                     false,
		"v1/key/work#0123456789abcdef":    false,
		"v1/key/work#0123456789abcdeg.0":  false,
		"v1/key/work#0123.0":              false,
		"v1/key/work#0123456789abcdef.x":  false,
	} {
		if got := isChunkKey(name); got != want {
			t.Errorf("isChunkKey(%q) = %v, want %v", name, got, want)
		}
	}
}
