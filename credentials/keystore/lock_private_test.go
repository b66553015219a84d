//go:build unix

package keystore

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/awstray/awstray/internal/filelock"
)

// TestLockPrivate: a held lock names its holder's PID; once released it is
// free again and names nobody; names that are no safe file name are refused.
func TestLockPrivate(t *testing.T) {
	run := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", run)
	unlock, err := LockPrivate("rotate-1", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockPrivate("rotate-1", 0)
	var held *HeldError
	if !errors.As(err, &held) || held.PID != os.Getpid() || !errors.Is(err, filelock.ErrTimeout) {
		t.Fatalf("second LockPrivate: %v, want a HeldError with pid %d", err, os.Getpid())
	}
	other, err := LockPrivate("rotate-2", 0) // another name is another lock
	if err != nil {
		t.Fatal(err)
	}
	other()
	unlock()
	if pid := filelock.ReadPID(filepath.Join(run, "awstray", "rotate-1.lock"), pidOffset); pid != 0 {
		t.Errorf("a released lock still names pid %d", pid)
	}
	again, err := LockPrivate("rotate-1", 0)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
	for _, bad := range []string{"", "../x", "a/b", ".hidden", "a b"} {
		if _, err := LockPrivate(bad, 0); err == nil {
			t.Errorf("LockPrivate(%q) took a lock", bad)
		}
	}
}
