package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Mount is a small tmpfs of a test's own, for a file keyring that runs out
// of room or is made read-only under a running program.
type Mount struct {
	Dir string
}

// MountTmpfs mounts a tmpfs of size bytes on a new folder (root only: a
// missing privilege is a missing component, see Missing) and unmounts it
// when the test ends.
func MountTmpfs(t testing.TB, size int) *Mount {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := "size=" + strconv.Itoa(size) + ",mode=0700"
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, opts); err != nil {
		if os.IsPermission(err) {
			Missing(t, "mounting a tmpfs needs root: %v", err)
		}
		t.Fatalf("mounting a tmpfs on %s: %v", dir, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return &Mount{Dir: dir}
}

// ReadOnly remounts the tmpfs read-only (ro true) or read-write, keeping
// its files, as a filesystem remounted after an error would be.
func (m *Mount) ReadOnly(t testing.TB, ro bool) {
	t.Helper()
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_NOSUID | syscall.MS_NODEV)
	if ro {
		flags |= syscall.MS_RDONLY
	}
	if err := syscall.Mount("tmpfs", m.Dir, "tmpfs", flags, ""); err != nil {
		t.Fatalf("remounting %s (read-only %v): %v", m.Dir, ro, err)
	}
}

// Fill writes a file that takes all the room left on the tmpfs, and
// returns a function that removes it again.
func (m *Mount) Fill(t testing.TB) (free func()) {
	t.Helper()
	path := filepath.Join(m.Dir, "filler")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break // ENOSPC: full
		}
	}
	// A page smaller than 4 KiB may still fit.
	for {
		if _, err := f.Write(buf[:1]); err != nil {
			break
		}
	}
	if err := f.Close(); err != nil && !isNoSpace(err) {
		t.Fatal(err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatalf("freeing the tmpfs: %v", err)
		}
	}
}

func isNoSpace(err error) bool {
	var errno syscall.Errno
	return errors.As(err, &errno) && errno == syscall.ENOSPC
}
