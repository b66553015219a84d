package keystore

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/godbus/dbus"
)

// collectionLocked reads the Locked property of the Secret Service
// collection, on the keyring package's own session connection.
func collectionLocked(collection string, timeout time.Duration) (bool, error) {
	// The check may outlive the timeout (a D-Bus call cannot be cancelled).
	var locked atomic.Bool
	err := withTimeout(timeout, "the Secret Service", func() error {
		conn, err := dbus.SessionBus()
		if err != nil {
			return fmt.Errorf("no D-Bus session bus: %w", err)
		}
		l, found, err := collectionState(conn, collection)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("the Secret Service has %w %q", errNoCollection, collection)
		}
		locked.Store(l)
		return nil
	})
	return locked.Load(), err
}
