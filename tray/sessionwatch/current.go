//go:build (darwin && cgo) || windows

package sessionwatch

import (
	"errors"
	"sync"
)

// current is the running watcher's options, for the system's callbacks (the
// macOS observers, the Windows window procedure), which cannot carry them.
var (
	currentMu sync.Mutex // guards current
	current   *Options
)

// claim makes o the running watcher's options: one watcher at a time.
func claim(o *Options) error {
	currentMu.Lock()
	defer currentMu.Unlock()
	if current != nil {
		return errors.New("watching for the screen lock: a watcher runs already")
	}
	current = o
	return nil
}

// release ends what claim began.
func release() {
	currentMu.Lock()
	current = nil
	currentMu.Unlock()
}

// running returns the running watcher's options, or nil.
func running() *Options {
	currentMu.Lock()
	defer currentMu.Unlock()
	return current
}
