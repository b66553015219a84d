package keystore

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/internal/testenv"
)

// smallDisk mounts a tmpfs of the given size (such as "64k") on a new
// folder for the test; it needs root.
func smallDisk(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		testenv.Missing(t, "mounting a tmpfs on %s (needs root): %v", dir, err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(dir, 0); err != nil {
			_ = unix.Unmount(dir, unix.MNT_DETACH)
		}
	})
	return dir
}

// fill writes to a file in dir until the disk is full.
func fill(t *testing.T, dir string) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, chunk := range [][]byte{make([]byte, 4096), {0}} {
		for {
			if _, err := f.Write(chunk); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatal(err)
				}
				break
			}
		}
	}
}

// wantItems checks that dir holds exactly the canary and the item of k:
// no staging folder, no temporary file.
func wantItems(t *testing.T, dir string, k Key) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := canaryFile + " " + strings.ReplaceAll(k.String(), "/", "%2F"); strings.Join(names, " ") != want {
		t.Errorf("the keyring folder holds %q, want %q", names, want)
	}
}

// TestFileDiskFull: a write to a full disk fails with an error that says
// so, and the item stored before still reads back whole; once there is
// room again, the write works.
func TestFileDiskFull(t *testing.T) {
	disk := smallDisk(t, "64k")
	dir := filepath.Join(disk, "keyring")
	s, err := newFileStore(t, dir, writerPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "work"}
	old := []byte("the key stored before")
	mustSet(t, s, k, old)
	fill(t, disk)

	// Larger than the old item: the page its file frees when the keyring
	// package truncates it is not enough.
	bigger := bytes.Repeat([]byte("n"), 16<<10)
	setErr := s.Set(k, bigger, "")
	again, err := newFileStore(t, dir, writerPassphrase) // nothing cached
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, again, k, old)
	wantItems(t, dir, k)
	want := "writing v1/key/work to file: the disk holding the file keyring in " + dir + " is full (no space left on device); the item stored before is unchanged"
	if setErr == nil || setErr.Error() != want {
		t.Fatalf("Set on a full disk: %v\nwant: %s", setErr, want)
	}
	if !errors.Is(setErr, syscall.ENOSPC) {
		t.Errorf("the error does not match ENOSPC: %v", setErr)
	}

	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	mustSet(t, s, k, bigger)
	mustGet(t, again, k, bigger)
	wantItems(t, dir, k)
}

// TestFileReadOnly: a keyring folder on a disk mounted read-only gives a
// clear error on write, and reads go on working.
func TestFileReadOnly(t *testing.T) {
	disk := smallDisk(t, "1m")
	dir := filepath.Join(disk, "keyring")
	s, err := newFileStore(t, dir, writerPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "work"}
	old := []byte("the key stored before")
	mustSet(t, s, k, old)
	if err := unix.Mount("", disk, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		t.Fatalf("remounting %s read-only: %v", disk, err)
	}

	setErr := s.Set(k, []byte("new"), "")
	again, err := newFileStore(t, dir, writerPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	mustGet(t, again, k, old)
	mustList(t, again, k)
	wantItems(t, dir, k)
	want := "writing v1/key/work to file: the file keyring in " + dir + " is on a read-only disk (read-only file system); the item stored before is unchanged"
	if setErr == nil || setErr.Error() != want {
		t.Fatalf("Set on a read-only disk: %v\nwant: %s", setErr, want)
	}
}
