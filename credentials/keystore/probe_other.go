//go:build !linux

package keystore

import (
	"errors"
	"time"
)

// The D-Bus backends exist only on Linux; reachable never gets here on
// other systems, because the keyring package does not register them.

func probeSecretService(string, bool, time.Duration) error {
	return errors.New("it exists only on Linux")
}

func probeKWallet(bool, time.Duration) (string, error) {
	return "", errors.New("it exists only on Linux")
}
