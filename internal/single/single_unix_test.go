//go:build unix

package single

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestLockDirectory(t *testing.T) {
	t.Run("runtime dir", func(t *testing.T) {
		run := t.TempDir()
		t.Setenv("XDG_RUNTIME_DIR", run)
		release, err := Acquire("tray")
		if err != nil {
			t.Fatal(err)
		}
		checkDir(t, filepath.Join(run, "awstray"))
		if _, err := os.Stat(filepath.Join(run, "awstray", "tray.lock")); err != nil {
			t.Errorf("lock file: %v", err)
		}
		release()
		if _, err := os.Stat(filepath.Join(run, "awstray", "tray.lock")); !os.IsNotExist(err) {
			t.Errorf("lock file after release: %v, want it removed", err)
		}
	})
	t.Run("temp dir fallback", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("XDG_RUNTIME_DIR", "")
		t.Setenv("TMPDIR", tmp)
		dir := filepath.Join(tmp, "awstray-"+strconv.Itoa(os.Getuid()))
		if err := os.Mkdir(dir, 0o755); err != nil { // too open: Acquire tightens it
			t.Fatal(err)
		}
		release, err := Acquire("tray")
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		checkDir(t, dir)
	})
	t.Run("not a directory", func(t *testing.T) {
		tmp := t.TempDir()
		t.Setenv("XDG_RUNTIME_DIR", "")
		t.Setenv("TMPDIR", tmp)
		if err := os.Symlink(t.TempDir(), filepath.Join(tmp, "awstray-"+strconv.Itoa(os.Getuid()))); err != nil {
			t.Fatal(err)
		}
		if _, err := Acquire("tray"); err == nil {
			t.Fatal("Acquire through a symlinked lock directory succeeded")
		}
	})
}

func checkDir(t *testing.T, dir string) {
	t.Helper()
	fi, err := os.Lstat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("%s: mode %v, want a directory with 0700", dir, fi.Mode())
	}
}
