// Package atomicfile replaces files that people also edit (the AWS config,
// awstray's settings, the credentials file, the tray's state) so that a
// reader sees the old content or the new, never a part, a crash leaves no
// half-written file, and no edit is lost:
//
//   - writers take an advisory lock on a sibling lock file (".NAME.lock"),
//     so two awstray processes editing one file take turns;
//   - the file is read again just before the rename, and an edit made
//     meanwhile (by the person's editor, which takes no lock) is not
//     overwritten: Edit redoes its change on the new content;
//   - a symbolic link (dotfile managers link ~/.aws/config) stays a link:
//     its target is replaced;
//   - the file keeps its mode; the folder is synced after the rename, so
//     the new name survives a power cut.
package atomicfile

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/awstray/awstray/internal/filelock"
)

// LockTimeout bounds the wait for another writer of the same file.
const LockTimeout = 10 * time.Second

// maxRedo is how many times Edit redoes an edit on content that changed
// under it before it gives up.
const maxRedo = 5

// ErrChanged is matched (errors.Is) by Edit's error when the file kept
// changing while it was being edited; nothing was written.
var ErrChanged = errors.New("the file kept changing while it was being written")

// Edit replaces the file at path with what edit makes of its content.
// edit gets the current content and whether the file exists; it may be
// called more than once (when the file changes before the new content is
// in place, edit runs again on the new content), so it must depend on its
// arguments only. An error from edit is returned as it is and nothing is
// written. Nothing is written either when edit returns what the file holds,
// or nil for a file that does not exist.
//
// A new file gets mode perm; an existing one keeps its mode. A symbolic
// link at path is followed (even to a file that does not exist yet) and
// kept. The folder must exist.
func Edit(path string, perm fs.FileMode, edit func(old []byte, exists bool) ([]byte, error)) error {
	target, err := resolve(path)
	if err != nil {
		return err
	}
	unlock, err := filelock.Lock(lockPath(target), LockTimeout)
	if err != nil {
		return fmt.Errorf("locking %s for writing: %w", path, err)
	}
	defer unlock()

	old, exists, mode, err := read(target)
	if err != nil {
		return err
	}
	for range maxRedo {
		out, err := edit(old, exists)
		if err != nil {
			return err
		}
		if (exists && bytes.Equal(out, old)) || (!exists && out == nil) {
			return nil
		}
		if !exists {
			mode = perm
		}
		tmp, err := writeTemp(target, out, mode)
		if err != nil {
			return err
		}
		// The lock keeps awstray's writers out, not an editor: look again
		// as late as possible, with the new content ready to rename.
		now, nowExists, nowMode, err := read(target)
		if err != nil {
			_ = os.Remove(tmp)
			return err
		}
		if nowExists == exists && bytes.Equal(now, old) {
			if err := os.Rename(tmp, target); err != nil {
				_ = os.Remove(tmp)
				return err
			}
			return SyncDir(filepath.Dir(target))
		}
		_ = os.Remove(tmp)
		old, exists, mode = now, nowExists, nowMode
	}
	return fmt.Errorf("%s: %w; nothing written", path, ErrChanged)
}

// Write replaces the file at path with data, as Edit does: under the
// lock, through a symbolic link, keeping the mode of an existing file
// (perm for a new one).
func Write(path string, data []byte, perm fs.FileMode) error {
	return Edit(path, perm, func([]byte, bool) ([]byte, error) { return data, nil })
}

// lockPath is the lock file of target: beside it, hidden.
func lockPath(target string) string {
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".lock")
}

// resolve follows symbolic links at path to the file they name, which may
// not exist yet (filepath.EvalSymlinks fails on such a dangling link).
// Links in the folders above stay as they are: rename works through them.
func resolve(path string) (string, error) {
	p := path
	for range 40 { // Linux's own limit
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return p, nil
		}
		if err != nil {
			return "", err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			return p, nil
		}
		t, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(t) {
			t = filepath.Join(filepath.Dir(p), t)
		}
		p = t
	}
	return "", fmt.Errorf("following the links at %s: too many levels of symbolic links", path)
}

// read returns the file's content and mode; a missing file is not an
// error.
func read(path string) (data []byte, exists bool, mode fs.FileMode, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, 0, nil
	}
	if err != nil {
		return nil, false, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false, 0, err
	}
	if !fi.Mode().IsRegular() {
		return nil, false, 0, fmt.Errorf("%s is not a regular file", path)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(f); err != nil {
		return nil, false, 0, err
	}
	return b.Bytes(), true, fi.Mode().Perm(), nil
}

// writeTemp writes data to a new temporary file beside target (created
// 0600, so the data never lies readable by others), synced, then given
// mode, and returns its name.
func writeTemp(target string, data []byte, mode fs.FileMode) (name string, err error) {
	f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".tmp-*")
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err := f.Write(data); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Chmod(mode); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// SyncDir makes a rename in dir durable. Windows cannot open a folder for
// syncing, and NTFS journals the rename itself.
func SyncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("syncing the folder %s: %w", dir, err)
	}
	return nil
}
