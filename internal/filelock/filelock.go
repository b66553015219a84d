// Package filelock takes advisory, exclusive locks on lock files between
// processes (flock(2) on Unix, LockFileEx on Windows), waiting at most a
// given time: a lock held by a stuck process is an error, never a hang.
package filelock

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ErrTimeout is matched (errors.Is) by Lock's error when another holder
// kept the lock for the whole wait.
var ErrTimeout = errors.New("the lock is held by another process")

// Lock opens (creating, mode 0600) the lock file at path and takes an
// exclusive lock on it, waiting up to timeout for another holder to let
// go. On Unix a symbolic link at path is refused, not followed. unlock
// releases the lock; the system also releases it when the process ends.
// The file is left in place: removing it while another process waits on
// it would give two holders.
func Lock(path string, timeout time.Duration) (unlock func(), err error) {
	f, err := open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file %s: %w", path, err)
	}
	deadline := time.Now().Add(timeout)
	wait := time.Millisecond
	for {
		held, err := tryLock(f)
		if err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if held {
			return func() { unlockFile(f); _ = f.Close() }, nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w (waited %s)", path, ErrTimeout, timeout)
		}
		// Poll with backoff: a blocking lock cannot be given a deadline.
		time.Sleep(min(wait, left))
		wait = min(2*wait, 50*time.Millisecond)
	}
}

// ReadPID reads the PID that a lock's holder wrote in the lock file at path
// from offset on (a line, "\n" or "\r\n"; Windows holders write after the
// byte they lock, which no other handle may read); 0 when it cannot. The
// holder writes it just after taking the lock, so a reader may come in
// between: it tries a few times.
func ReadPID(path string, offset int64) int {
	for range 20 {
		if f, err := os.Open(path); err == nil {
			b, _ := io.ReadAll(io.NewSectionReader(f, offset, 64))
			_ = f.Close()
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
				return pid
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0
}
