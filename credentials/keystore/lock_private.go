package keystore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/awstray/awstray/internal/filelock"
)

// HeldError is LockPrivate's error when another process holds the lock.
type HeldError = filelock.HeldError

// heldMessage words LockPrivate's HeldError: its locks have internal names
// ("rotate-…"), so the message names the lock, not a program.
func heldMessage(name string, pid int) string {
	if pid <= 0 {
		return fmt.Sprintf("the lock %s is held by another process", name)
	}
	return fmt.Sprintf("the lock %s is held by process %d", name, pid)
}

// pidOffset is where the holder's PID starts in the lock file: Windows
// locks the first byte, which no other handle may then read or write.
const pidOffset = 1

// LockPrivate takes the per-user lock called name (letters, digits, "-",
// "_" and "."), a file in awstray's private folder, waiting up to wait for
// another holder (0: not at all). It returns a *HeldError naming the
// holder's PID when another process — or another LockPrivate in this one —
// keeps it. The system releases the lock when the process ends, however it
// ends.
func LockPrivate(name string, wait time.Duration) (unlock func(), err error) {
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" || strings.HasPrefix(name, ".") {
		return nil, fmt.Errorf("invalid lock name %q", name)
	}
	dir, err := privateDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name+".lock")
	release, err := filelock.Lock(path, wait)
	if errors.Is(err, filelock.ErrTimeout) {
		return nil, &HeldError{Name: name, PID: filelock.ReadPID(path, pidOffset), Message: heldMessage}
	}
	if err != nil {
		return nil, err
	}
	// The PID is for the message of whoever finds the lock held; the lock
	// holds without it.
	_ = writeHolder(path, strconv.Itoa(os.Getpid()))
	return func() {
		_ = writeHolder(path, "") // no stale PID for the next holder's rivals
		release()
	}, nil
}

func writeHolder(path, pid string) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if err := f.Truncate(pidOffset); err != nil {
		_ = f.Close()
		return err
	}
	if _, err := f.WriteAt([]byte(pid), pidOffset); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
