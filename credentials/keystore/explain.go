package keystore

import (
	"errors"
	"fmt"

	"github.com/godbus/dbus"

	"github.com/awstray/awstray/internal/oneline"
)

// Errors of the Secret Service that a person can act on, by their D-Bus
// names (the messages differ between GNOME Keyring, KeePassXC and
// KWallet's Secret Service).
const (
	dbusServiceUnknown = "org.freedesktop.DBus.Error.ServiceUnknown"
	dbusNameHasNoOwner = "org.freedesktop.DBus.Error.NameHasNoOwner"
	dbusNoReply        = "org.freedesktop.DBus.Error.NoReply"
	secretIsLocked     = "org.freedesktop.Secret.Error.IsLocked"
)

// KeyringError is a backend's error that says what the person should do
// about it: start the keyring, unlock it. It stays one line.
type KeyringError struct {
	Backend string
	Problem string // what is wrong, for a person
	Hint    string // what to do about it
	Err     error  // the backend's own error
}

func (e *KeyringError) Error() string {
	return fmt.Sprintf("%s (%s); %s", e.Problem, oneline.String(e.Err.Error()), e.Hint)
}

func (e *KeyringError) Unwrap() error { return e.Err }

// explainSecretService names the two faults a running desktop has — the
// daemon gone, the collection locked — so that the error says what to do.
// Every call of the keyring package opens a new session on the shared
// connection, so once the daemon is back or the collection unlocked, the
// next call works: nothing to reopen here.
func explainSecretService(collection string, err error) error {
	var de dbus.Error
	if !errors.As(err, &de) {
		return err
	}
	switch de.Name {
	case dbusServiceUnknown, dbusNameHasNoOwner, dbusNoReply:
		return &KeyringError{Backend: BackendSecretService, Err: err,
			Problem: "no Secret Service answers on the session bus",
			Hint:    "start GNOME Keyring or the desktop's keyring again, then retry"}
	case secretIsLocked:
		return &KeyringError{Backend: BackendSecretService, Err: err,
			Problem: fmt.Sprintf("the Secret Service collection %q is locked", collection),
			Hint:    "unlock it (Seahorse, or log in again), then retry"}
	}
	return err
}
