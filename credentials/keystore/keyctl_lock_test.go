//go:build unix

package keystore

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/awstray/awstray/internal/filelock"
)

// TestKeyctlLockIsPrivate: another user of a shared temp folder plants
// symbolic links where awstray's keyctl lock would go; awstray refuses
// them and creates nothing where they point.
func TestKeyctlLockIsPrivate(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("TMPDIR", tmp)
	victim := t.TempDir()
	uid := os.Getuid()
	// Every predictable name: the private folder, and the lock file that
	// lay straight in the temp folder before.
	for _, p := range []string{fmt.Sprintf("awstray-%d", uid), fmt.Sprintf("awstray-keyctl-%d.lock", uid)} {
		if err := os.Symlink(filepath.Join(victim, "planted"), filepath.Join(tmp, p)); err != nil {
			t.Fatal(err)
		}
	}
	kr := &keyctlLocked{Keyring: keyring.NewArrayKeyring(nil)}
	err := kr.Set(keyring.Item{Key: "v1/key/dev", Data: []byte("x")})
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("got %v, want a refusal of the symbolic link", err)
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("created %v through the planted link", entries)
	}
	if _, err := kr.Keyring.Get("v1/key/dev"); !errors.Is(err, keyring.ErrKeyNotFound) {
		t.Fatalf("wrote without the lock: %v", err)
	}

	// A real private folder, but a link planted at the lock file: not
	// followed (O_NOFOLLOW).
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	if err := os.Mkdir(filepath.Join(run, "awstray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(victim, "planted"), filepath.Join(run, "awstray", "keyctl.lock")); err != nil {
		t.Fatal(err)
	}
	if err := kr.Set(keyring.Item{Key: "v1/key/dev", Data: []byte("x")}); err == nil {
		t.Fatal("locked through a link at the lock file")
	}
	if entries, _ := os.ReadDir(victim); len(entries) != 0 {
		t.Fatalf("created %v through the planted link", entries)
	}

	// A folder others can write to is refused too.
	open := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", open)
	if err := os.Mkdir(filepath.Join(open, "awstray"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(open, "awstray"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := kr.Remove("v1/key/dev"); err == nil || !strings.Contains(err.Error(), "mode 0777") {
		t.Fatalf("got %v, want a refusal of the open folder", err)
	}
}

// TestKeyctlLockTimesOut: a process that holds the lock and never lets go
// costs a writer a clear error after the store's timeout, not a hang.
func TestKeyctlLockTimesOut(t *testing.T) {
	t.Setenv("XDG_RUNTIME_DIR", t.TempDir())
	path, err := keyctlLockPath()
	if err != nil {
		t.Fatal(err)
	}
	release, err := filelock.Lock(path, time.Second) // the stuck process
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	kr := &keyctlLocked{Keyring: keyring.NewArrayKeyring(nil), timeout: 300 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- kr.Set(keyring.Item{Key: "v1/key/dev", Data: []byte("x")}) }()
	select {
	case err := <-done:
		if !errors.Is(err, filelock.ErrTimeout) || !strings.Contains(err.Error(), "locking the kernel keyring") {
			t.Fatalf("got %v, want a lock timeout", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Set still waits for the lock after 20s with a 300ms timeout")
	}
	release()
	if err := kr.Set(keyring.Item{Key: "v1/key/dev", Data: []byte("x")}); err != nil {
		t.Fatalf("after the holder let go: %v", err)
	}
}
