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
		v, err := conn.Object(secretsService, secretsPath).GetProperty("org.freedesktop.Secret.Service.Collections")
		if err != nil {
			return fmt.Errorf("listing Secret Service collections: %w", err)
		}
		paths, _ := v.Value().([]dbus.ObjectPath)
		want := secretsPath + "/collection/" + collection
		for _, p := range paths {
			if decodeObjectPath(string(p)) != want {
				continue
			}
			l, err := conn.Object(secretsService, p).GetProperty("org.freedesktop.Secret.Collection.Locked")
			if err != nil {
				return fmt.Errorf("reading the state of collection %q: %w", collection, err)
			}
			b, _ := l.Value().(bool)
			locked.Store(b)
			return nil
		}
		return fmt.Errorf("the Secret Service has %w %q", errNoCollection, collection)
	})
	return locked.Load(), err
}
