package spawn

import (
	"os/exec"
	"syscall"
)

// Detach makes cmd start in a process group of its own, so no console
// event meant for the tray reaches it. Callers add the flags of a console
// window of its own to cmd.SysProcAttr where they need one.
func Detach(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
}
