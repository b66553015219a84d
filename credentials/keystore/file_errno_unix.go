//go:build !windows

package keystore

import (
	"errors"
	"syscall"
)

// diskFull reports whether err says the disk (or the user's quota) is full.
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// readOnly reports whether err says the file system is mounted read-only.
func readOnly(err error) bool { return errors.Is(err, syscall.EROFS) }
