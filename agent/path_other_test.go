//go:build !linux && !darwin && !freebsd && !windows

package agent

import (
	"runtime"
	"testing"
)

func testPath(t testing.TB) string {
	t.Skip("the agent is not supported on " + runtime.GOOS)
	return ""
}
