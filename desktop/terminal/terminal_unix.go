//go:build !windows

package launcher

import (
	"os/exec"
	"syscall"
)

// detach starts the emulator in a session of its own, so it outlives the
// tray and no signal meant for the tray's process group reaches it.
func detach(cmd *exec.Cmd, _ launch) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
