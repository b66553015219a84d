package terminal

import (
	"os/exec"

	"github.com/awstray/awstray/desktop/internal/spawn"
)

const createNewConsole = 0x00000010

// detach starts the emulator in a process group of its own, with a console
// window of its own where it needs one, and with the exact command line
// cmd.exe needs.
func detach(cmd *exec.Cmd, l launch) {
	spawn.Detach(cmd)
	if l.newConsole {
		cmd.SysProcAttr.CreationFlags |= createNewConsole
	}
	if l.cmdLine != "" {
		cmd.SysProcAttr.CmdLine = l.cmdLine
	}
}
