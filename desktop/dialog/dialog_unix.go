//go:build !windows

package dialog

import "os/exec"

// dialogProcAttr sets how a dialog program starts: as it is on Unix.
func dialogProcAttr(*exec.Cmd) {}
