package launcher

import (
	"os/exec"
	"syscall"
)

const createNewConsole = 0x00000010

// detach starts the emulator in a process group of its own, with a console
// window of its own where it needs one, and with the exact command line
// cmd.exe needs.
func detach(cmd *exec.Cmd, l launch) {
	attr := &syscall.SysProcAttr{CreationFlags: syscall.CREATE_NEW_PROCESS_GROUP}
	if l.newConsole {
		attr.CreationFlags |= createNewConsole
	}
	if l.cmdLine != "" {
		attr.CmdLine = l.cmdLine
	}
	cmd.SysProcAttr = attr
}
