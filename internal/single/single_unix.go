//go:build unix

package single

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/internal/filelock"
)

// Acquire takes the per-user lock called name (such as "tray"). It returns
// a *HeldError if another process — or another Acquire in this one —
// holds it. release gives the lock up and removes the file; the lock also
// ends with the process.
func Acquire(name string) (release func(), err error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	dir, err := lockDir()
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, fileName(name))
	for range 10 {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW|syscall.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("opening the lock file: %w", err)
		}
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
			_ = f.Close()
			if errors.Is(err, unix.EWOULDBLOCK) {
				return nil, &HeldError{Name: name, PID: filelock.ReadPID(path, 0)}
			}
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		// A holder removes the file on release: if the file we locked is
		// no longer the one at path, we hold a lock nobody checks. Again.
		if !samePath(f, path) {
			_ = f.Close()
			continue
		}
		if err := writePID(f); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("writing the lock file: %w", err)
		}
		return sync.OnceFunc(func() {
			_ = os.Remove(path) // while still locked: see samePath
			_ = f.Close()
		}), nil
	}
	return nil, fmt.Errorf("locking %s: the file keeps being replaced", path)
}

// lockDir returns the per-user directory for lock files, created 0700.
func lockDir() (string, error) {
	if run := os.Getenv("XDG_RUNTIME_DIR"); run != "" && filepath.IsAbs(run) {
		if fi, err := os.Stat(run); err == nil && fi.IsDir() {
			return ownDir(filepath.Join(run, "awstray"))
		}
	}
	return ownDir(filepath.Join(os.TempDir(), "awstray-"+strconv.Itoa(os.Getuid())))
}

// ownDir makes dir (0700) or checks that the one there is a directory of
// ours that nobody else can write to: in a shared /tmp another user could
// have made it first.
func ownDir(dir string) (string, error) {
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", fmt.Errorf("making the lock directory: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("checking the lock directory: %w", err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case !fi.IsDir():
		return "", fmt.Errorf("the lock directory %s is not a directory", dir)
	case ok && int(st.Uid) != os.Getuid():
		return "", fmt.Errorf("the lock directory %s belongs to uid %d, not to this user", dir, st.Uid)
	case fi.Mode().Perm()&0o077 != 0:
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("restricting the lock directory: %w", err)
		}
	}
	return dir, nil
}

// samePath reports whether f is still the file at path.
func samePath(f *os.File, path string) bool {
	a, err := f.Stat()
	if err != nil {
		return false
	}
	b, err := os.Lstat(path)
	return err == nil && os.SameFile(a, b)
}

func writePID(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err := f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	return err
}
