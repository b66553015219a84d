// Package single keeps one tray per user: Acquire takes a lock that the
// operating system releases when the process ends, however it ends, so a
// crashed tray never blocks the next one.
//
// On Unix the lock is an flock(2) on a file in $XDG_RUNTIME_DIR/awstray/
// (mode 0700; $TMPDIR/awstray-UID when there is no runtime directory),
// and the file holds the holder's PID for the message. On Windows it is a
// LockFileEx lock on a file in %LOCALAPPDATA%\awstray\.
package single

import (
	"fmt"
	"strings"

	"github.com/awstray/awstray/internal/filelock"
)

// HeldError is Acquire's error when another process holds the lock; it
// says, for Acquire("tray"), "the tray is already running (pid N)".
type HeldError = filelock.HeldError

// validName reports whether name can be a file name on every OS.
func validName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\:*?"<>|`+"\x00") {
		return fmt.Errorf("invalid lock name %q", name)
	}
	return nil
}

// fileName is the lock file's name for name.
func fileName(name string) string { return name + ".lock" }
