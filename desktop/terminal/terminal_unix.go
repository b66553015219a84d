//go:build !windows

package terminal

import (
	"os/exec"

	"github.com/awstray/awstray/desktop/internal/spawn"
)

// detach starts the emulator in a session of its own, so it outlives the
// tray and no signal meant for the tray's process group reaches it.
func detach(cmd *exec.Cmd, _ launch) {
	spawn.Detach(cmd)
}
