//go:build !windows

package launcher

import (
	"fmt"
	"os/exec"
	"syscall"
)

// Replace runs argv in place of this process with env (execve), so the
// command gets the terminal, the signals and the exit status directly, and
// no awstray process lingers beside it.
func Replace(argv []string, env []string) error {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return fmt.Errorf("running %s: %w", argv[0], err)
	}
	if err := syscall.Exec(path, argv, env); err != nil {
		return fmt.Errorf("running %s: %w", argv[0], err)
	}
	return nil // not reached
}
