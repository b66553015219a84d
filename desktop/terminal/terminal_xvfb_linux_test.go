//go:build linux

package terminal

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/desktop/internal/desktoptest"
)

// TestXtermUnderXvfb opens a real xterm on a command that reports what it
// got: the emulator ran exactly our argv (no shell in between), under our
// title, with exactly the environment we gave it less the secrets.
func TestXtermUnderXvfb(t *testing.T) {
	desktoptest.Need(t, "Xvfb", "xterm", "xdotool")
	display := desktoptest.InX(t)
	dir := t.TempDir()
	term, err := Find("xterm", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	term.Title = fmt.Sprintf("awstray: xvfb-%d", time.Now().UnixNano())
	script := `env > "$1/env.tmp" && mv "$1/env.tmp" "$1/env"; cat /proc/$PPID/cmdline > "$1/parent"; touch "$1/ready"; while [ ! -e "$1/stop" ]; do sleep 0.05; done`
	odd := `it's "odd" $(touch pwned) ` + "`id`" + ` ; | & *`
	cmd := []string{"/bin/sh", "-c", script, "sh", dir, odd}
	env := []string{
		"DISPLAY=" + display, "PATH=/usr/bin:/bin", "HOME=" + dir, "KEEP=kept", desktoptest.Mark(),
		"AWS_SECRET_ACCESS_KEY=leaked-secret", "AWS_SESSION_TOKEN=leaked-token", "AWSTRAY=outer",
	}
	pid, err := term.Open(context.Background(), cmd, env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }) // a session of its own: pgid = pid
	desktoptest.Eventually(t, "the command in xterm started", func() bool {
		_, err := os.Stat(filepath.Join(dir, "ready"))
		return err == nil
	})

	// The emulator's own environment is what we gave, less the secrets.
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(string(environ), "\x00"), "\x00")
	want := []string{"DISPLAY=" + display, "PATH=/usr/bin:/bin", "HOME=" + dir, "KEEP=kept", desktoptest.Mark()}
	if !slices.Equal(got, want) {
		t.Errorf("xterm's environment\n %q\nwant\n %q", got, want)
	}
	// It ran exactly the argv Command built, and the command's parent is
	// xterm (no shell parsed the odd argument).
	wantArgv, _ := term.Command(cmd)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	parent, _ := os.ReadFile(filepath.Join(dir, "parent"))
	for name, b := range map[string][]byte{"xterm": cmdline, "the command's parent": parent} {
		if got := strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00"); !slices.Equal(got, wantArgv) {
			t.Errorf("%s ran\n %q\nwant\n %q", name, got, wantArgv)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("a shell ran the odd argument")
	}
	// The shell inside got our environment (and xterm's own TERM…), no
	// secret.
	shellEnv, _ := os.ReadFile(filepath.Join(dir, "env"))
	if !strings.Contains(string(shellEnv), "KEEP=kept\n") || strings.Contains(string(shellEnv), "leaked") || strings.Contains(string(shellEnv), "AWSTRAY=") {
		t.Errorf("the command's environment:\n%s", shellEnv)
	}
	// The window has the title.
	win := desktoptest.WaitWindow(t, term.Title)
	if name := desktoptest.Xdo(t, "", "getwindowname", win); name != term.Title {
		t.Errorf("window name %q, want %q", name, term.Title)
	}
	// Its own session: detached from ours.
	if sid, _ := getsid(pid); sid != pid {
		t.Errorf("xterm's session is %d, want its own (%d)", sid, pid)
	}

	if err := os.WriteFile(filepath.Join(dir, "stop"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	desktoptest.Eventually(t, "xterm exited", func() bool { return syscall.Kill(pid, 0) != nil })
	desktoptest.WaitNoLeftover(t, "xterm")
}

func getsid(pid int) (int, error) {
	sid, _, errno := syscall.RawSyscall(syscall.SYS_GETSID, uintptr(pid), 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(sid), nil
}
