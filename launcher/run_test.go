//go:build !windows

package launcher

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestRunForwardsSignalsAndExitStatus(t *testing.T) {
	ready := filepath.Join(t.TempDir(), "ready")
	go func() {
		// Signal ourselves once the child has set its trap; Run forwards it.
		for i := 0; i < 200; i++ {
			if _, err := os.Stat(ready); err == nil {
				_ = syscall.Kill(os.Getpid(), syscall.SIGUSR1)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	code, err := Run([]string{"sh", "-c", `trap 'exit 42' USR1; touch "$1"; while :; do sleep 0.05; done`, "sh", ready}, os.Environ())
	if err != nil {
		t.Fatal(err)
	}
	if code != 42 {
		t.Fatalf("exit status %d, want 42 (the child's trap of the forwarded signal)", code)
	}

	code, err = Run([]string{"sh", "-c", "kill -KILL $$"}, os.Environ())
	if err != nil || code != 128+9 {
		t.Fatalf("killed child: status %d, %v; want 137", code, err)
	}
	code, err = Run([]string{"no-such-command-awstray"}, os.Environ())
	if err == nil || code != 127 {
		t.Fatalf("missing command: status %d, %v; want 127 and an error", code, err)
	}
}
