package clipboard

import (
	"os/exec"
	"syscall"
)

// endWithParent has the kernel end xclip when awstray ends, however it
// ends: a tray that crashed leaves no process serving the secret.
func endWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
}
