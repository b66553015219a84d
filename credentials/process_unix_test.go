//go:build !windows

package credentials

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// hangingHelper is a command line whose shell starts a grandchild that
// keeps stdout open for 30 s and writes its process ID to pidFile.
func hangingHelper(pidFile string) string {
	return `sleep 30 & echo $! > '` + pidFile + `'; echo '{"Version":1,'; sleep 30`
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("the helper wrote no process ID: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("pid file %q: %v", b, err)
	}
	return pid
}

// credential_process and mfa_process run under the tray's resolution
// lock: when their context ends, or their deadline passes, they must
// return and leave nothing running, however the command line forks.
func TestHelperProcessesEndWithTheirContext(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	const bound = 10 * time.Second // far below the grandchild's 30 s
	run := map[string]func(ctx context.Context, command string) error{
		"credential_process": func(ctx context.Context, command string) error {
			_, err := runCredentialProcess(ctx, "slow", command)
			return err
		},
		"mfa_process": func(ctx context.Context, command string) error {
			_, err := RunMFAProcess(ctx, "slow", command)
			return err
		},
	}
	for _, name := range []string{"credential_process", "mfa_process"} {
		// Cancelled once the grandchild runs: whatever the machine's load,
		// there is a grandchild to kill.
		t.Run(name+"/cancel", func(t *testing.T) {
			pidFile := filepath.Join(t.TempDir(), "pid")
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			go func() {
				for ctx.Err() == nil {
					if b, _ := os.ReadFile(pidFile); strings.HasSuffix(string(b), "\n") {
						cancel()
						return
					}
					time.Sleep(10 * time.Millisecond)
				}
			}()
			start := time.Now()
			err := run[name](ctx, hangingHelper(pidFile))
			took := time.Since(start)
			pid := readPid(t, pidFile)
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			if took > bound {
				t.Fatalf("returned %s after the cancel", took)
			}
			if err == nil {
				t.Fatal("err = nil")
			}
			testenv.WaitGone(t, pid, bound)
		})
		t.Run(name+"/deadline", func(t *testing.T) {
			old := processTimeout
			timeout := &processTimeout
			if name == "mfa_process" {
				old, timeout = mfaProcessTimeout, &mfaProcessTimeout
			}
			*timeout = 300 * time.Millisecond
			t.Cleanup(func() { *timeout = old })
			pidFile := filepath.Join(t.TempDir(), "pid")
			start := time.Now()
			err := run[name](context.Background(), hangingHelper(pidFile))
			if took := time.Since(start); took > bound {
				t.Fatalf("returned after %s", took)
			}
			if err == nil || !strings.Contains(err.Error(), name+` of profile "slow"`) || !strings.Contains(err.Error(), "within 300ms") {
				t.Fatalf("err = %v, want the %s's deadline named", err, name)
			}
			// A loaded machine may not have started the grandchild by the
			// deadline; the cancel case above always has one.
			if b, _ := os.ReadFile(pidFile); strings.HasSuffix(string(b), "\n") {
				pid := readPid(t, pidFile)
				t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
				testenv.WaitGone(t, pid, bound)
			}
		})
	}
}
