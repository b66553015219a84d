package single

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"golang.org/x/sys/windows"

	"github.com/awstray/awstray/internal/filelock"
)

// lockOffset is where the lock sits: far past the PID at the start of the
// file, so that others can read the PID while the range is locked.
const lockOffset = 1 << 32

// Acquire takes the per-user lock called name (such as "tray"). It returns
// a *HeldError if another process — or another Acquire in this one —
// holds it. release gives the lock up; the lock also ends with the
// process.
func Acquire(name string) (release func(), err error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	dir, err := os.UserCacheDir() // %LOCALAPPDATA%: per user, not roaming
	if err != nil {
		dir = os.TempDir()
	}
	dir = filepath.Join(dir, "awstray")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("making the lock directory: %w", err)
	}
	path := filepath.Join(dir, fileName(name))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	ol := &windows.Overlapped{Offset: uint32(lockOffset & 0xffffffff), OffsetHigh: uint32(lockOffset >> 32)}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		_ = f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
			return nil, &HeldError{Name: name, PID: filelock.ReadPID(path, 0)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\r\n"), 0)
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("writing the lock file: %w", err)
	}
	return sync.OnceFunc(func() {
		_ = windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &windows.Overlapped{Offset: ol.Offset, OffsetHigh: ol.OffsetHigh})
		_ = f.Close()
	}), nil
}
