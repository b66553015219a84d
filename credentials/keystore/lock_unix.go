//go:build unix

package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// privateDir is the user's folder for awstray's lock files:
// $XDG_RUNTIME_DIR/awstray, else $TMPDIR/awstray-UID — where the tray's
// single-instance lock and the agent's socket live too. It is made 0700
// when missing; one that is there is used only if it is a folder (not a
// symbolic link) of this user that nobody else can write to: in a shared
// temp folder another user could have made it first.
func privateDir() (string, error) {
	dir := filepath.Join(os.TempDir(), "awstray-"+strconv.Itoa(os.Getuid()))
	if run := os.Getenv("XDG_RUNTIME_DIR"); run != "" && filepath.IsAbs(run) {
		dir = filepath.Join(run, "awstray")
	}
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", fmt.Errorf("making the private folder %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("checking the private folder %s: %w", dir, err)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return "", fmt.Errorf("the private folder %s is a symbolic link; remove it", dir)
	case !fi.IsDir():
		return "", fmt.Errorf("the private folder %s is not a folder; remove it", dir)
	case !ok || int(st.Uid) != os.Getuid():
		return "", fmt.Errorf("the private folder %s belongs to another user; remove it", dir)
	case fi.Mode().Perm()&0o077 != 0:
		return "", fmt.Errorf("the private folder %s is open to others (mode %04o); make it 0700", dir, fi.Mode().Perm())
	}
	return dir, nil
}
