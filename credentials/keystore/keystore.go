// Package keystore owns awstray's items in the OS keyring: it stores opaque
// bytes (the caller's JSON of credentials) under one versioned key scheme,
// v1/<kind>/<profile>[/<variant>], over github.com/99designs/keyring.
//
// It picks and opens the backend (always exactly one, never the library's
// silent fall-through), bounds every backend call with a timeout, serialises
// calls (the library has no locking), guards the file backend against a
// wrong passphrase with a canary item, and splits values too large for the
// Windows Credential Manager. It does not know what the bytes mean, and it
// never logs or prints them.
package keystore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"

	_ "github.com/awstray/awstray/internal/busenv" // settles the bus address before keyring's init dials it
)

// ErrNotFound is returned (wrapped) by Get when the keyring has no item
// under the key.
var ErrNotFound = errors.New("not found in the keyring")

// ErrTimeout is matched (errors.Is) by the error of a call the backend did
// not answer in time, typically because it waits for a person to unlock it.
var ErrTimeout = errors.New("keyring backend did not answer in time")

// ErrWrongPassphrase is matched (errors.Is) by Open's error when the file
// backend's passphrase does not decrypt its canary item.
var ErrWrongPassphrase = errors.New("wrong passphrase")

// Store keeps awstray's items in one keyring backend. Its methods are safe
// for concurrent use; calls reach the backend one at a time.
type Store struct {
	backend string        // as Backend reports it
	timeout time.Duration // bound of each call, waiting for the lock included
	prefix  string        // namespace of raw keys, see rawKey

	// sem is the store's mutex: holding its one slot means a call into kr
	// is in flight. It protects kr, whose backends keep unsynchronised state
	// (the file backend's cached passphrase, the Secret Service session and
	// collection, the KWallet handle) and do non-atomic multi-step work on
	// disk (file, pass) or in the wincred chunking. The goroutine running
	// the backend call holds it, not the caller: a call that timed out keeps
	// the store locked until the backend answers, so the library is never
	// entered twice at once.
	sem chan struct{}
	kr  keyring.Keyring
	// verify checks the file backend's passphrase (nil elsewhere, and once
	// it passed); guarded by sem like kr.
	verify func(keyring.Keyring) error

	// explain turns a backend's own error into one that says what to do
	// (nil: left as it is). Set by Open before the store is shared.
	explain func(error) error

	// remember records an auto-detected backend once a key is in it (see
	// Options.Remember); nil otherwise. Set once, by Open, before the store
	// is shared; rememberOnce runs it once.
	remember     func()
	rememberOnce sync.Once
}

// verified runs the passphrase check if one is pending. Call it inside do.
func (s *Store) verified(kr keyring.Keyring) error {
	if s.verify == nil {
		return nil
	}
	if err := s.verify(kr); err != nil {
		return err
	}
	s.verify = nil
	return nil
}

// newStore wraps an opened keyring. It is the one constructor; Open and
// NewMemory and the tests go through it.
func newStore(backend string, kr keyring.Keyring, timeout time.Duration, prefix string) *Store {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Store{
		backend: backend,
		timeout: timeout,
		prefix:  prefix,
		sem:     make(chan struct{}, 1),
		kr:      kr,
	}
}

// NewMemory returns a store that keeps items in memory only
// (keyring.NewArrayKeyring), for tests of other packages. Its Backend is
// "memory".
func NewMemory() *Store {
	return newStore("memory", keyring.NewArrayKeyring(nil), DefaultTimeout, "")
}

// Backend reports the backend in use, as the keyring package names it
// ("secret-service", "file", …), or "memory".
func (s *Store) Backend() string { return s.backend }

// rawKey is the name of k in the backend. It is k.String() except in the
// Secret Service, where every application shares the "login" collection and
// the item label is the key: there it is <ServiceName>/<key>, so that
// awstray's items are recognisable and cannot meet another program's. The
// other backends have a namespace of their own (a folder, a named keyring,
// a target prefix, a keychain service, a directory).
func (s *Store) rawKey(k Key) string { return s.prefix + k.String() }

// Get returns the bytes stored under k. An absent item is an error matching
// ErrNotFound.
func (s *Store) Get(k Key) ([]byte, error) {
	if err := k.Validate(); err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", k, s.backend, err)
	}
	var data []byte
	err := s.do(func(kr keyring.Keyring) error {
		it, err := kr.Get(s.rawKey(k))
		if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) {
			// An item that does not decrypt: say so plainly when the
			// passphrase is the reason.
			if verr := s.verified(kr); verr != nil {
				return verr
			}
		}
		if err != nil {
			return err
		}
		data = bytes.Clone(it.Data)
		return nil
	})
	if errors.Is(err, keyring.ErrKeyNotFound) || (err == nil && len(data) == 0) {
		return nil, fmt.Errorf("reading %s from %s: %w", k, s.backend, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s from %s: %w", k, s.backend, err)
	}
	return data, nil
}

// Set stores data under k, replacing what was there. label describes the
// item to a person who browses the keyring (for example "awstray key for
// profile work"); it is not secret and is stored in the clear where the
// backend has labels. data must not be empty.
func (s *Store) Set(k Key, data []byte, label string) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("writing %s to %s: %w", k, s.backend, err)
	}
	if len(data) == 0 {
		return fmt.Errorf("writing %s to %s: empty value", k, s.backend)
	}
	if label == "" {
		label = "awstray " + k.String()
	}
	item := keyring.Item{
		Key:         s.rawKey(k),
		Data:        bytes.Clone(data),
		Label:       label,
		Description: "awstray " + string(k.Kind),
	}
	err := s.do(func(kr keyring.Keyring) error {
		if err := s.verified(kr); err != nil {
			return err
		}
		return kr.Set(item)
	})
	if err != nil {
		return fmt.Errorf("writing %s to %s: %w", k, s.backend, err)
	}
	if k.Kind == KindKey && s.remember != nil {
		s.rememberOnce.Do(s.remember)
	}
	return nil
}

// Remove deletes the item under k. An absent item is not an error.
func (s *Store) Remove(k Key) error {
	if err := k.Validate(); err != nil {
		return fmt.Errorf("removing %s from %s: %w", k, s.backend, err)
	}
	err := s.do(func(kr keyring.Keyring) error {
		if err := s.verified(kr); err != nil {
			return err
		}
		return kr.Remove(s.rawKey(k))
	})
	if err != nil && !errors.Is(err, keyring.ErrKeyNotFound) && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing %s from %s: %w", k, s.backend, err)
	}
	return nil
}

// List returns the keys of awstray's items, sorted by their string form.
// Items ParseKey does not accept (the file backend's canary, other
// programs' items, other key versions) are skipped.
func (s *Store) List() ([]Key, error) {
	var raw []string
	err := s.do(func(kr keyring.Keyring) error {
		if err := s.verified(kr); err != nil {
			return err
		}
		var err error
		raw, err = kr.Keys()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing keys in %s: %w", s.backend, err)
	}
	keys := make([]Key, 0, len(raw))
	seen := make(map[Key]bool, len(raw))
	for _, r := range raw {
		name, ok := strings.CutPrefix(r, s.prefix)
		if !ok {
			continue
		}
		k, ok := ParseKey(name)
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.String(), b.String()) })
	return keys, nil
}

// do runs fn on the keyring while holding the store's lock, and gives up
// after the store's timeout — the time to get the lock included. fn keeps
// running after a timeout (a D-Bus call cannot be cancelled) and releases
// the lock when it returns.
func (s *Store) do(fn func(keyring.Keyring) error) error {
	timer := time.NewTimer(s.timeout)
	defer timer.Stop()
	select {
	case s.sem <- struct{}{}:
	case <-timer.C:
		return &timeoutError{backend: s.backend, after: s.timeout, busy: true}
	}
	done := make(chan error, 1)
	go func() {
		defer func() { <-s.sem }()
		defer func() {
			// A panic in a backend (KWallet's bindings assert reply types)
			// must not take the tray down with it.
			if r := recover(); r != nil {
				done <- fmt.Errorf("keyring backend %q failed: %v", s.backend, r)
			}
		}()
		done <- fn(s.kr)
	}()
	select {
	case err := <-done:
		if err != nil && s.explain != nil {
			err = s.explain(err)
		}
		return err
	case <-timer.C:
		return &timeoutError{backend: s.backend, after: s.timeout}
	}
}

// timeoutError is the error of a call the backend did not answer in time.
type timeoutError struct {
	backend string
	after   time.Duration
	busy    bool // an earlier call that timed out still holds the store
}

func (e *timeoutError) Error() string {
	if e.busy {
		return fmt.Sprintf("keyring backend %q did not answer within %s: an earlier call is still waiting for it (is it locked?)", e.backend, e.after)
	}
	return fmt.Sprintf("keyring backend %q did not answer within %s (is it locked?)", e.backend, e.after)
}

func (e *timeoutError) Is(target error) bool { return target == ErrTimeout }

// NewWith wraps any keyring.Keyring as a Store named backend, with the
// given per-call timeout (DefaultTimeout when zero). Tests use it to put a
// fault-injecting keyring under the code that stores credentials.
func NewWith(backend string, kr keyring.Keyring, timeout time.Duration) *Store {
	return newStore(backend, kr, timeout, "")
}
