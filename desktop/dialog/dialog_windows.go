package dialog

import (
	"os/exec"
	"syscall"
)

// createNoWindow keeps a console program from opening a console window.
const createNoWindow = 0x08000000

// dialogProcAttr starts powershell.exe (or ykman) without a console window
// flashing up behind the dialog. (Not HideWindow: SW_HIDE would apply to
// the first window the program shows, the dialog itself.)
func dialogProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{CreationFlags: createNoWindow}
}
