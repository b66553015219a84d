//go:build linux || freebsd || netbsd || openbsd || dragonfly || solaris

package launcher

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// A clipboard program is run under the clipboard's lock: one whose child
// holds its output must not keep it past its context, nor live on.
func TestRunClipEndsTheProgramsChildren(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	const bound = 10 * time.Second
	pidFile := filepath.Join(t.TempDir(), "pid")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once the child runs, however slow the machine
		for ctx.Err() == nil {
			if b, _ := os.ReadFile(pidFile); strings.HasSuffix(string(b), "\n") {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	_, err := runClip(ctx, "", "/bin/sh", "-c", `sleep 30 & echo $! > "$0.tmp"; mv "$0.tmp" "$0"; sleep 30`, pidFile)
	if took := time.Since(start); took > bound {
		t.Fatalf("returned after %s", took)
	}
	if err == nil {
		t.Fatal("err = nil")
	}
	b, _ := os.ReadFile(pidFile)
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil {
		t.Fatalf("pid file %q", b)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	testenv.WaitGone(t, pid, bound)
}
