package keystore

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/keyring"
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
}

func (k *keyctlLocked) Set(item keyring.Item) error {
	unlock, err := lockFile(keyctlLockPath())
	if err != nil {
		return fmt.Errorf("locking the kernel keyring for a write: %w", err)
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
	unlock, err := lockFile(keyctlLockPath())
	if err != nil {
		return fmt.Errorf("locking the kernel keyring for a write: %w", err)
	}
	defer unlock()
	return k.Keyring.Remove(key)
}

// keyctlLockPath is in the user's runtime folder, else the temp folder
// (named by user id, so users do not share it).
func keyctlLockPath() string {
	if dir := os.Getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "awstray-keyctl.lock")
	}
	return filepath.Join(os.TempDir(), fmt.Sprintf("awstray-keyctl-%d.lock", os.Getuid()))
}
