package keystore

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/godbus/dbus"
)

// The keyring package talks to D-Bus through godbus v0's shared session
// connection; the probes use the same one.
const (
	secretsService   = "org.freedesktop.secrets"
	secretsPath      = "/org/freedesktop/secrets"
	kwalletService   = "org.kde.kwalletd5" // the name the keyring package calls
	kwalletPath      = "/modules/kwalletd5"
	kwalletInterface = "org.kde.KWallet"
)

// probeSecretService checks that a Secret Service answers and has the
// collection. While Open picks a backend by itself (auto), the service must
// be running already — detection does not start daemons through D-Bus
// activation — and a locked collection counts only when there is a display
// for the unlock prompt; a backend that was asked for may be activated and
// locked.
func probeSecretService(collection string, auto bool, timeout time.Duration) error {
	return withTimeout(timeout, "the Secret Service", func() error {
		conn, err := dbus.SessionBus()
		if err != nil {
			return fmt.Errorf("no D-Bus session bus: %w", err)
		}
		if err := running(conn, secretsService, !auto); err != nil {
			return fmt.Errorf("no Secret Service: %w", err)
		}
		locked, found, err := collectionState(conn, collection)
		switch {
		case err != nil:
			return err
		case !found:
			return fmt.Errorf("the Secret Service has no collection %q", collection)
		case locked && auto && !hasDisplay():
			return fmt.Errorf("the Secret Service collection %q is locked and there is no display to ask for its password on", collection)
		}
		return nil
	})
}

// probeKWallet checks that KWallet answers (see probeSecretService for
// auto) and is enabled, and returns the user's default wallet.
func probeKWallet(auto bool, timeout time.Duration) (string, error) {
	wallet := "kdewallet"
	err := withTimeout(timeout, "KWallet", func() error {
		conn, err := dbus.SessionBus()
		if err != nil {
			return fmt.Errorf("no D-Bus session bus: %w", err)
		}
		if err := running(conn, kwalletService, !auto); err != nil {
			return fmt.Errorf("no KWallet: %w", err)
		}
		obj := conn.Object(kwalletService, kwalletPath)
		var enabled bool
		if err := obj.Call(kwalletInterface+".isEnabled", 0).Store(&enabled); err != nil {
			return fmt.Errorf("asking KWallet: %w", err)
		}
		if !enabled {
			return errors.New("KWallet is disabled")
		}
		var name string
		if err := obj.Call(kwalletInterface+".networkWallet", 0).Store(&name); err == nil && name != "" {
			wallet = name
		}
		return nil
	})
	return wallet, err
}

// collectionState reads whether the Secret Service on conn has collection
// and whether it is locked.
func collectionState(conn *dbus.Conn, collection string) (locked, found bool, err error) {
	v, err := conn.Object(secretsService, secretsPath).GetProperty("org.freedesktop.Secret.Service.Collections")
	if err != nil {
		return false, false, fmt.Errorf("listing Secret Service collections: %w", err)
	}
	paths, _ := v.Value().([]dbus.ObjectPath)
	want := secretsPath + "/collection/" + collection
	for _, p := range paths {
		if decodeObjectPath(string(p)) != want {
			continue
		}
		l, err := conn.Object(secretsService, p).GetProperty("org.freedesktop.Secret.Collection.Locked")
		if err != nil {
			return false, true, fmt.Errorf("reading the state of collection %q: %w", collection, err)
		}
		locked, _ = l.Value().(bool)
		return locked, true, nil
	}
	return false, false, nil
}

// running reports whether name has an owner on the bus or, with
// activatable, can be started by the bus.
func running(conn *dbus.Conn, name string, activatable bool) error {
	bus := conn.BusObject()
	var owned bool
	if err := bus.Call("org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owned); err != nil {
		return err
	}
	if owned {
		return nil
	}
	if activatable {
		var names []string
		if err := bus.Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
			return err
		}
		if slices.Contains(names, name) {
			return nil
		}
		return fmt.Errorf("%s is neither running on the session bus nor activatable", name)
	}
	return fmt.Errorf("%s is not running on the session bus", name)
}

func hasDisplay() bool {
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// decodeObjectPath undoes the Secret Service's escaping of a collection
// label in its object path (each byte outside [A-Za-z0-9] as _XX), the way
// the keyring package compares collection paths.
func decodeObjectPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != '_' {
			b.WriteByte(p[i])
			continue
		}
		if i+3 > len(p) {
			return p
		}
		d, err := hex.DecodeString(p[i+1 : i+3])
		if err != nil {
			return p
		}
		b.Write(d)
		i += 2
	}
	return b.String()
}
