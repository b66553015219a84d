//go:build !windows

package spawn

import (
	"os/exec"
	"syscall"
)

// Detach makes cmd start in a session of its own, so it outlives the tray
// and no signal meant for the tray's process group reaches it.
func Detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
