package keystore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/godbus/dbus"
)

// TestExplainSecretService: the Secret Service's faults a person can fix
// say what to do; other errors pass through unchanged.
func TestExplainSecretService(t *testing.T) {
	gone := dbus.Error{Name: dbusServiceUnknown, Body: []any{"The name org.freedesktop.secrets was not provided by any .service files"}}
	locked := dbus.Error{Name: secretIsLocked, Body: []any{"Cannot get secret of a locked object"}}
	other := dbus.Error{Name: "org.freedesktop.Secret.Error.NoSuchObject", Body: []any{"No such item"}}
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"Gone", gone, "no Secret Service answers on the session bus (The name org.freedesktop.secrets was not provided by any .service files); start GNOME Keyring or the desktop's keyring again, then retry"},
		{"Locked", fmt.Errorf("wrapped: %w", locked), `the Secret Service collection "login" is locked (wrapped: Cannot get secret of a locked object); unlock it (Seahorse, or log in again), then retry`},
		{"Other", other, "No such item"},
		{"NotDBus", errors.New("boom"), "boom"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := explainSecretService("login", tc.err)
			if err.Error() != tc.want {
				t.Fatalf("got  %s\nwant %s", err, tc.want)
			}
			var de dbus.Error
			if errors.As(tc.err, &de) && !errors.As(err, &de) {
				t.Fatal("the backend's D-Bus error is not wrapped")
			}
		})
	}
}
