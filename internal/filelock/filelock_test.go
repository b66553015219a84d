package filelock

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.lock")
	unlock, err := Lock(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	// Held (by another open file, as another process would): a timeout
	// error after the wait, not a hang.
	start := time.Now()
	_, err = Lock(path, 200*time.Millisecond)
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond || waited > 10*time.Second {
		t.Fatalf("waited %s for a 200ms timeout", waited)
	}
	// Released while another waits: the waiter gets it.
	got := make(chan error, 1)
	go func() {
		u, err := Lock(path, 20*time.Second)
		if err == nil {
			u()
		}
		got <- err
	}()
	unlock()
	if err := <-got; err != nil {
		t.Fatalf("after the release: %v", err)
	}
}

func TestLockRefusesASymlink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("O_NOFOLLOW is Unix's")
	}
	dir := t.TempDir()
	victim := filepath.Join(dir, "victim")
	path := filepath.Join(dir, "x.lock")
	if err := os.Symlink(victim, path); err != nil {
		t.Fatal(err)
	}
	if _, err := Lock(path, time.Second); err == nil {
		t.Fatal("locked through a symbolic link")
	}
	if _, err := os.Lstat(victim); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the link's target was created: %v", err)
	}
}
