//go:build linux || freebsd || netbsd || openbsd || dragonfly || solaris

package clipboard

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

// TestClipboardTool pins the choice the copying code and `awstray doctor`
// share.
func TestClipboardTool(t *testing.T) {
	for _, tc := range []struct {
		name      string
		vars      map[string]string
		programs  []string
		wantTool  string
		wantPaths []string
		wantErr   error
	}{
		{"Wayland", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"wl-copy", "wl-paste", "xclip"}, "wl-copy", []string{"/bin/wl-copy", "/bin/wl-paste"}, nil},
		{"Wayland without wl-paste falls back to X11", map[string]string{"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, []string{"wl-copy", "xsel"}, "xsel", []string{"/bin/xsel"}, nil},
		{"X11 prefers xclip", map[string]string{"DISPLAY": ":0"}, []string{"xsel", "xclip"}, "xclip", []string{"/bin/xclip"}, nil},
		{"Wayland only, nothing installed", map[string]string{"WAYLAND_DISPLAY": "wayland-0"}, []string{"xclip"}, "", nil, ErrNoTool},
		{"no session", nil, []string{"xclip", "wl-copy", "wl-paste"}, "", nil, ErrNoGraphicalSession},
	} {
		t.Run(tc.name, func(t *testing.T) {
			look := func(name string) (string, error) {
				if slices.Contains(tc.programs, name) {
					return "/bin/" + name, nil
				}
				return "", exec.ErrNotFound
			}
			tool, paths, err := Tool(func(k string) string { return tc.vars[k] }, look)
			if !errors.Is(err, tc.wantErr) || tool != tc.wantTool || !slices.Equal(paths, tc.wantPaths) {
				t.Fatalf("Tool = %q %q %v, want %q %q %v", tool, paths, err, tc.wantTool, tc.wantPaths, tc.wantErr)
			}
		})
	}
}
