package keystore

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/keyring"

	"github.com/awstray/awstray/internal/filelock"
)

// keyctlLocked serialises Set across processes. To give a key permissions
// for the whole user, the keyring package adds it to the session keyring
// first, changes its permissions, links it into awstray's keyring and
// unlinks it from the session. The session keyring is shared by every
// process of the login session, and add_key updates a key of the same
// description in place: two processes writing the same item at once (the
// tray refreshing a session while the CLI does) race, and one gets
// "setting permission … permission denied". A lock file makes the four
// steps one.
type keyctlLocked struct {
	keyring.Keyring
	// timeout bounds the wait for the lock (DefaultTimeout when zero): a
	// process stuck while holding it must not hang every other writer.
	timeout time.Duration
}

func (k *keyctlLocked) Set(item keyring.Item) error {
	unlock, err := k.lock()
	if err != nil {
		return err
	}
	defer unlock()
	// A program that is not awstray (or runs with another lock path) can
	// still meet us in the session keyring: the step fails, not the data,
	// so try again a few times.
	for attempt := 0; ; attempt++ {
		err = k.Keyring.Set(item)
		if err == nil || attempt == 4 || !strings.Contains(err.Error(), "permission denied") {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 10 * time.Millisecond)
	}
}

// Remove takes the same lock: unlinking a key while another process moves
// one of the same description through the session keyring races too.
func (k *keyctlLocked) Remove(key string) error {
	unlock, err := k.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return k.Keyring.Remove(key)
}

func (k *keyctlLocked) lock() (func(), error) {
	path, err := keyctlLockPath()
	if err != nil {
		return nil, fmt.Errorf("locking the kernel keyring for a write: %w", err)
	}
	timeout := k.timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	unlock, err := filelock.Lock(path, timeout)
	if err != nil {
		return nil, fmt.Errorf("locking the kernel keyring for a write: %w", err)
	}
	return unlock, nil
}

// keyctlLockPath is the lock file in awstray's private folder (see
// privateDir): a predictable name in a folder others can write to would
// let them plant a link there, or hold the lock.
func keyctlLockPath() (string, error) {
	dir, err := privateDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "keyctl.lock"), nil
}
