package testfake

import (
	"strings"
	"sync"

	"github.com/99designs/keyring"
)

// FaultKeyring is a keyring.Keyring for tests that makes the faults a real
// backend makes and SIGKILL cannot: a write that lands and then reports an
// error, a write that fails without landing, a call that hangs until
// released (a keyring waiting for a person: the store times out, the write
// lands later). Wrap it with keystore.NewWith.
//
// Each hook gets the operation ("set", "get", "remove", "keys") and the raw
// key ("" for keys). A hook's error fails the call; Before runs before the
// inner keyring is touched (nothing lands), After after it (the change has
// landed). Hooks run outside the mutex, so they may block.
type FaultKeyring struct {
	Inner keyring.Keyring

	// mu protects the hooks, so a test may change them while calls run.
	mu            sync.Mutex
	before, after func(op, key string) error
}

// NewFaultKeyring wraps inner (an in-memory array keyring when nil).
func NewFaultKeyring(inner keyring.Keyring) *FaultKeyring {
	if inner == nil {
		inner = keyring.NewArrayKeyring(nil)
	}
	return &FaultKeyring{Inner: inner}
}

// SetHooks replaces the hooks; nil removes one.
func (f *FaultKeyring) SetHooks(before, after func(op, key string) error) {
	f.mu.Lock()
	f.before, f.after = before, after
	f.mu.Unlock()
}

func (f *FaultKeyring) hooks() (before, after func(op, key string) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.before, f.after
}

func (f *FaultKeyring) around(op, key string, fn func() error) error {
	before, after := f.hooks()
	if before != nil {
		if err := before(op, key); err != nil {
			return err
		}
	}
	if err := fn(); err != nil {
		return err
	}
	if after != nil {
		return after(op, key)
	}
	return nil
}

// Get reads from the inner keyring.
func (f *FaultKeyring) Get(key string) (keyring.Item, error) {
	var it keyring.Item
	err := f.around("get", key, func() (err error) { it, err = f.Inner.Get(key); return err })
	return it, err
}

// GetMetadata reads from the inner keyring.
func (f *FaultKeyring) GetMetadata(key string) (keyring.Metadata, error) {
	var md keyring.Metadata
	err := f.around("get", key, func() (err error) { md, err = f.Inner.GetMetadata(key); return err })
	return md, err
}

// Set writes to the inner keyring.
func (f *FaultKeyring) Set(item keyring.Item) error {
	return f.around("set", item.Key, func() error { return f.Inner.Set(item) })
}

// Remove removes from the inner keyring.
func (f *FaultKeyring) Remove(key string) error {
	return f.around("remove", key, func() error { return f.Inner.Remove(key) })
}

// Keys lists the inner keyring.
func (f *FaultKeyring) Keys() ([]string, error) {
	var keys []string
	err := f.around("keys", "", func() (err error) { keys, err = f.Inner.Keys(); return err })
	return keys, err
}

// KeyHas reports whether a raw key names kind (e.g. "key", "session",
// "role") in awstray's v1 scheme: a helper for hooks.
func KeyHas(key, kind string) bool { return strings.HasPrefix(key, "v1/"+kind+"/") }
