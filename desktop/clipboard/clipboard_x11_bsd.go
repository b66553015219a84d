//go:build freebsd || netbsd || openbsd || dragonfly || solaris

package clipboard

import "os/exec"

// endWithParent: these systems have no parent-death signal; ClearIfOurs
// ends xclip on a clean exit.
func endWithParent(*exec.Cmd) {}
