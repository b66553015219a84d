package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/keyring"

	"github.com/awstray/awstray/internal/atomicfile"
)

// stagePrefix begins the name of a folder an item is written into before it
// is renamed into place. It cannot be a key (keys begin with "v1"), so List
// never shows one.
const stagePrefix = ".awstray-write-"

// staleStage is the age past which a staging folder is left over from a
// writer that was killed: a write takes milliseconds. A writer stopped for
// longer (SIGSTOP) finds its folder gone and fails; its item is unchanged.
const staleStage = time.Hour

// atomicFileKeyring makes each write of the keyring package's file backend
// all or nothing. The package writes an item with os.WriteFile, which
// truncates the file before writing: a kill, a power cut or a full disk in
// between leaves an item no passphrase decrypts. Here the package writes
// the item into a new folder inside the keyring's folder (the same file
// system), and the file is synced, renamed over the old one and the folder
// synced: a reader sees the old item or the new one, and the new one stays
// after a power cut. The encryption stays the package's own, so the files
// are the package's format whatever its version.
type atomicFileKeyring struct {
	keyring.Keyring // the package's file keyring over dir
	dir             string
	// cfg opens the package's file backend with the same passphrase; each
	// write points its FileDir at a staging folder of its own, so that
	// writers in other processes never share one.
	cfg keyring.Config
}

// Set writes item into a staging folder and renames it into place. Its
// error says whether the item there before is unchanged.
func (k *atomicFileKeyring) Set(item keyring.Item) error {
	landed, err := k.set(item)
	if err != nil {
		return fileWriteError(k.dir, landed, err)
	}
	k.sweep()
	return nil
}

// set reports whether the new item is in place (then only making the
// rename durable failed).
func (k *atomicFileKeyring) set(item keyring.Item) (landed bool, err error) {
	if err := os.MkdirAll(k.dir, 0o700); err != nil {
		return false, err
	}
	stage, err := os.MkdirTemp(k.dir, stagePrefix)
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(stage)
	cfg := k.cfg
	cfg.FileDir = stage
	kr, err := keyring.Open(cfg)
	if err != nil {
		return false, err
	}
	if err := kr.Set(item); err != nil {
		return false, err
	}
	// The package names the file after the key; it is the only one there,
	// which saves knowing how the package escapes names.
	entries, err := os.ReadDir(stage)
	if err != nil {
		return false, err
	}
	if len(entries) != 1 {
		return false, fmt.Errorf("the keyring package wrote %d files for one item", len(entries))
	}
	name := entries[0].Name()
	if err := syncFile(filepath.Join(stage, name)); err != nil {
		return false, err
	}
	if err := os.Rename(filepath.Join(stage, name), filepath.Join(k.dir, name)); err != nil {
		return false, err
	}
	return true, atomicfile.SyncDir(k.dir)
}

// Keys leaves out staging folders, which the package would list as items.
func (k *atomicFileKeyring) Keys() ([]string, error) {
	keys, err := k.Keyring.Keys()
	if err != nil {
		return nil, err
	}
	out := keys[:0]
	for _, key := range keys {
		if !strings.HasPrefix(key, stagePrefix) {
			out = append(out, key)
		}
	}
	return out, nil
}

// sweep removes staging folders that writers killed mid-write left behind.
// They hold at most an encrypted item, possibly torn; never the only copy
// of anything.
func (k *atomicFileKeyring) sweep() {
	entries, err := os.ReadDir(k.dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), stagePrefix) {
			continue
		}
		if fi, err := e.Info(); err == nil && time.Since(fi.ModTime()) > staleStage {
			_ = os.RemoveAll(filepath.Join(k.dir, e.Name()))
		}
	}
}

// syncFile flushes the file at path to the disk. It is opened for writing:
// Windows flushes only handles that may write.
func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}

// fileWriteError says, in one line, why a write to the file keyring in dir
// failed and what became of the item: unchanged, or (landed) written but
// perhaps not durable. The cause stays matchable (errors.Is).
func fileWriteError(dir string, landed bool, err error) error {
	cause := err
	var pe *fs.PathError
	if errors.As(err, &pe) {
		cause = pe.Err // its path is a staging file: noise for a person
	}
	if landed {
		return fmt.Errorf("the item is written to the file keyring in %s, but syncing the folder failed: %w", dir, cause)
	}
	var why string
	switch {
	case diskFull(cause):
		why = fmt.Sprintf("the disk holding the file keyring in %s is full", dir)
	case readOnly(cause):
		why = fmt.Sprintf("the file keyring in %s is on a read-only disk", dir)
	case errors.Is(cause, fs.ErrPermission):
		why = fmt.Sprintf("the file keyring's folder %s cannot be written to", dir)
	default:
		return fmt.Errorf("writing to the file keyring in %s: %w; the item stored before is unchanged", dir, cause)
	}
	return fmt.Errorf("%s (%w); the item stored before is unchanged", why, cause)
}
