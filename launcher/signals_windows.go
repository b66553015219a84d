package launcher

import (
	"os"
	"os/exec"
)

var forwardedSignals = []os.Signal{os.Interrupt}

func exitCode(ee *exec.ExitError) int { return ee.ExitCode() }
