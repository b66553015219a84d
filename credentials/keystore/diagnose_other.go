//go:build !linux

package keystore

import (
	"errors"
	"time"
)

// collectionLocked: the Secret Service exists only on Linux.
func collectionLocked(string, time.Duration) (bool, error) {
	return false, errors.New("it exists only on Linux")
}
