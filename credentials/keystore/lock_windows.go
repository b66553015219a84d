package keystore

import "errors"

// privateDir is not needed on Windows: keyctl, the only user of its lock,
// is Linux's.
func privateDir() (string, error) {
	return "", errors.New("the kernel keyring exists only on Linux")
}
