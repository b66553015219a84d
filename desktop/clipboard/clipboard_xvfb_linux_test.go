//go:build linux

package clipboard

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awstray/awstray/desktop/internal/desktoptest"
)

// xclipRead is what another program reads from the CLIPBOARD selection
// ("" when nobody owns it).
func xclipRead(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "xclip", "-o", "-selection", "clipboard").Output()
	if err != nil {
		return "" // "Error: target STRING not available": empty
	}
	return string(out)
}

// personCopies copies text as the person would, with an xclip of its own
// (in the foreground, so the test ends it).
func personCopies(t *testing.T, text string) {
	t.Helper()
	cmd := exec.Command("xclip", "-i", "-selection", "clipboard", "-quiet")
	cmd.Stdin = strings.NewReader(text)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	r := bufio.NewReader(stderr)
	if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "Waiting") {
		t.Fatalf("xclip: %q", line)
	}
	go func() { _, _ = r.WriteTo(discard{}); _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestClipboardUnderXvfb(t *testing.T) {
	desktoptest.Need(t, "Xvfb", "xclip")
	desktoptest.InX(t)
	tools := map[string]func(context.Context) (clipTool, error){
		"xclip": pickClipTool, // xclip is first on X11
		"xsel": func(context.Context) (clipTool, error) {
			path, err := exec.LookPath("xsel")
			if err != nil {
				return nil, err
			}
			return &xselClipboard{path: path}, nil
		},
	}
	for _, name := range []string{"xclip", "xsel"} {
		t.Run(name, func(t *testing.T) {
			if name == "xsel" {
				desktoptest.Need(t, "xsel")
			}
			s, clock, checked := clipWithClock(tools[name])
			ctx := desktoptest.Context(t)

			t.Run("cleared when unchanged", func(t *testing.T) {
				if err := s.copy(ctx, "AKIA-secret-1\nline two", 300*time.Millisecond); err != nil {
					t.Fatal(err)
				}
				if got := xclipRead(t); got != "AKIA-secret-1\nline two" {
					t.Fatalf("clipboard = %q", got)
				}
				if tool := s.tool.name(); tool != name {
					t.Fatalf("copied with %s, want %s", tool, name)
				}
				clock.Advance(300 * time.Millisecond)
				waitChecked(t, checked, s.lastGen())
				if got := xclipRead(t); got != "" {
					t.Fatalf("clipboard = %q after the timer", got)
				}
				desktoptest.WaitNoLeftover(t, name)
			})

			t.Run("kept when the person copied since", func(t *testing.T) {
				if err := s.copy(ctx, "secret-2", 200*time.Millisecond); err != nil {
					t.Fatal(err)
				}
				personCopies(t, "the person's own text")
				clock.Advance(200 * time.Millisecond)
				waitChecked(t, checked, s.lastGen())
				if got := xclipRead(t); got != "the person's own text" {
					t.Fatalf("clipboard = %q, want the person's text kept", got)
				}
				if err := s.clearIfOurs(ctx, 0); err != nil {
					t.Fatal(err)
				}
				if got := xclipRead(t); got != "the person's own text" {
					t.Fatalf("ClearIfOurs wiped the person's text: %q", got)
				}
			})

			t.Run("clear on exit", func(t *testing.T) {
				cctx, cancel := context.WithCancel(ctx)
				if err := s.copy(cctx, "secret-3", 100*time.Millisecond); err != nil {
					t.Fatal(err)
				}
				cancel() // the timer stops with its context
				waitChecked(t, checked, s.lastGen())
				clock.Advance(time.Second)
				if got := xclipRead(t); got != "secret-3" {
					t.Fatalf("clipboard = %q: the timer ran past its context", got)
				}
				if err := s.clearIfOurs(ctx, 0); err != nil {
					t.Fatal(err)
				}
				if got := xclipRead(t); got != "" {
					t.Fatalf("clipboard = %q after ClearIfOurs", got)
				}
				desktoptest.WaitNoLeftover(t, name)
			})

			t.Run("a later copy replaces the timer", func(t *testing.T) {
				if err := s.copy(ctx, "secret-4", 100*time.Millisecond); err != nil {
					t.Fatal(err)
				}
				first := s.lastGen()
				if err := s.copy(ctx, "secret-5", time.Minute); err != nil {
					t.Fatal(err)
				}
				clock.Advance(200 * time.Millisecond)
				waitChecked(t, checked, first)
				if got := xclipRead(t); got != "secret-5" {
					t.Fatalf("clipboard = %q: the first copy's timer cleared the second", got)
				}
				if err := s.clearIfOurs(ctx, 0); err != nil {
					t.Fatal(err)
				}
				if got := xclipRead(t); got != "" {
					t.Fatalf("clipboard = %q after ClearIfOurs", got)
				}
				desktoptest.WaitNoLeftover(t, name)
			})
		})
	}

	t.Run("package functions", func(t *testing.T) {
		ctx := desktoptest.Context(t)
		if err := CopySecret(ctx, "export AWS_SECRET_ACCESS_KEY=x", time.Minute); err != nil {
			t.Fatal(err)
		}
		if got := xclipRead(t); got != "export AWS_SECRET_ACCESS_KEY=x" {
			t.Fatalf("clipboard = %q", got)
		}
		if err := ClearIfOurs(ctx); err != nil {
			t.Fatal(err)
		}
		if got := xclipRead(t); got != "" {
			t.Fatalf("clipboard = %q", got)
		}
		desktoptest.WaitNoLeftover(t, "xclip")
	})
}

// A tray that dies without clearing takes its xclip, and so the secret,
// with it.
func TestClipboardEndsWithTheTray(t *testing.T) {
	desktoptest.Need(t, "Xvfb", "xclip")
	desktoptest.InX(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), clipChildEnv+"=secret-of-a-crashed-tray")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("the stand-in tray: %q", line)
	}
	if got := xclipRead(t); got != "secret-of-a-crashed-tray" {
		t.Fatalf("clipboard = %q", got)
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	// Gone before anyone pastes (a paste would also end it, on a broken
	// pipe, but only after it served the secret).
	desktoptest.WaitNoLeftover(t, "xclip")
	if got := xclipRead(t); got != "" {
		t.Fatalf("clipboard = %q after the tray died", got)
	}
}

func TestClipboardNeedsASession(t *testing.T) {
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	err := (&clipState{pick: pickClipTool}).copy(context.Background(), "x", 0)
	if err == nil || !strings.Contains(err.Error(), "no graphical session") {
		t.Fatalf("err = %v", err)
	}
}

func TestWlCopyArgs(t *testing.T) {
	w := &wlClipboard{copyPath: "/usr/bin/wl-copy", pastePath: "/usr/bin/wl-paste", sensitive: true}
	if got := w.copyArgs(); !slices.Equal(got, []string{"/usr/bin/wl-copy", "--sensitive"}) {
		t.Errorf("copyArgs = %q", got)
	}
	w.sensitive = false
	if got := w.copyArgs(); !slices.Equal(got, []string{"/usr/bin/wl-copy"}) {
		t.Errorf("copyArgs = %q", got)
	}
}

// failingRead is a clipboard tool whose read fails as wl-paste does
// without focus: a real program that exits non-zero. It counts its reads.
type failingRead struct {
	clipTool
	reads *atomic.Int32
}

func (f failingRead) read(ctx context.Context) (string, error) {
	f.reads.Add(1)
	return runClip(ctx, "", "/bin/sh", "-c", "echo 'Error: no focus' >&2; exit 1")
}

// mustRead is a clipboard tool that cannot tell whether its copy is still
// there without reading (as wl-copy, and the macOS and Windows clipboards).
type mustRead struct{ clipTool }

func (mustRead) holds() (ours, known bool) { return false, false }

// A read that fails is no sign that the person copied something: the
// secret is cleared all the same.
func TestClipboardClearsWhenTheReadFails(t *testing.T) {
	desktoptest.Need(t, "Xvfb", "xclip")
	desktoptest.InX(t)
	xclip := func(context.Context) (clipTool, error) {
		path, err := exec.LookPath("xclip")
		return &xclipClipboard{path: path}, err
	}
	cases := []struct {
		name      string
		wrap      func(clipTool, *atomic.Int32) clipTool
		personToo bool   // the person copies before the timer ends
		want      string // on the clipboard after the timer
		noRead    bool   // the tool must not read the clipboard at all
	}{
		// xclip's own process tells whether the copy is still ours: no
		// read is needed, so none can fail.
		{name: "xclip, its read failing", wrap: func(c clipTool, n *atomic.Int32) clipTool { return failingRead{c, n} }, want: "", noRead: true},
		{name: "a reading tool, its read failing", wrap: func(c clipTool, n *atomic.Int32) clipTool { return mustRead{failingRead{c, n}} }, want: ""},
		{name: "a reading tool, unchanged", wrap: func(c clipTool, _ *atomic.Int32) clipTool { return mustRead{c} }, want: ""},
		{name: "a reading tool, the person copied", wrap: func(c clipTool, _ *atomic.Int32) clipTool { return mustRead{c} }, personToo: true, want: "the person's text"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var reads atomic.Int32
			s, clock, checked := clipWithClock(func(ctx context.Context) (clipTool, error) {
				c, err := xclip(ctx)
				return tc.wrap(c, &reads), err
			})
			ctx := desktoptest.Context(t)
			if err := s.copy(ctx, "secret-behind-a-failing-read", 100*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			if tc.personToo {
				personCopies(t, "the person's text")
			}
			clock.Advance(time.Second)
			waitChecked(t, checked, s.lastGen())
			if got := xclipRead(t); got != tc.want {
				t.Fatalf("clipboard = %q after the timer, want %q", got, tc.want)
			}
			if tc.noRead && reads.Load() != 0 {
				t.Errorf("read %d times: xclip's process already tells", reads.Load())
			}
			if err := s.clearIfOurs(ctx, 0); err != nil {
				t.Fatal(err)
			}
			if !tc.personToo {
				desktoptest.WaitNoLeftover(t, "xclip")
			}
		})
	}
}
