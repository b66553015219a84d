package keystore

import (
	"errors"

	"golang.org/x/sys/windows"
)

// diskFull reports whether err says the disk (or the user's quota) is full.
func diskFull(err error) bool {
	return errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL) ||
		errors.Is(err, windows.ERROR_DISK_QUOTA_EXCEEDED)
}

// readOnly reports whether err says the medium is write-protected.
func readOnly(err error) bool { return errors.Is(err, windows.ERROR_WRITE_PROTECT) }
