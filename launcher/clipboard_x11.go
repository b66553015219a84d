//go:build linux || freebsd || netbsd || openbsd || dragonfly || solaris

package launcher

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/awstray/awstray/internal/proc"
)

// pickClipTool chooses as github.com/atotto/clipboard does — wl-clipboard
// on Wayland, else xclip, else xsel — but runs the programs itself: it
// needs a deadline on each run, wl-copy's --sensitive, and a way to end
// the process that serves an X selection (atotto's xclip keeps serving,
// and writing "" through it only starts another xclip serving "").
func pickClipTool(ctx context.Context) (clipTool, error) {
	if os.Getenv("WAYLAND_DISPLAY") != "" {
		copyPath, err1 := exec.LookPath("wl-copy")
		pastePath, err2 := exec.LookPath("wl-paste")
		if err1 == nil && err2 == nil {
			return &wlClipboard{copyPath: copyPath, pastePath: pastePath, sensitive: wlCopySensitive(ctx, copyPath)}, nil
		}
	}
	if os.Getenv("DISPLAY") != "" {
		if path, err := exec.LookPath("xclip"); err == nil {
			return &xclipClipboard{path: path}, nil
		}
		if path, err := exec.LookPath("xsel"); err == nil {
			return &xselClipboard{path: path}, nil
		}
	}
	if os.Getenv("WAYLAND_DISPLAY") == "" && os.Getenv("DISPLAY") == "" {
		return nil, errors.New("no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)")
	}
	return nil, errors.New("no clipboard program found: install wl-clipboard (Wayland), xclip or xsel (X11)")
}

// runClip runs a clipboard program with stdin and returns its stdout.
func runClip(ctx context.Context, stdin string, argv ...string) (string, error) {
	cmd := proc.Command(ctx, argv[0], argv[1:]...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out strings.Builder
	var stderr tailBuffer
	stderr.max = 1024
	cmd.Stdout, cmd.Stderr = &out, &stderr
	// A program that forks a server (wl-copy, xsel) may leave it holding
	// the pipes: do not wait for them. (Killed with its group only when ctx
	// ends first: a write that timed out leaves no server behind.)
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	if err != nil {
		if line := lastLine(stderr.String()); line != "" {
			return "", fmt.Errorf("%w: %s", err, line)
		}
		return "", err
	}
	return out.String(), nil
}

// xclipClipboard keeps xclip in the foreground (-quiet) as the owner of the
// CLIPBOARD selection: X offers the text only while that process lives,
// it exits by itself when someone else copies, and ending it empties the
// clipboard without leaving a process behind.
type xclipClipboard struct {
	path  string
	owner *exec.Cmd
	done  chan struct{} // closed when the owner has exited
}

func (x *xclipClipboard) name() string { return "xclip" }

func (x *xclipClipboard) write(ctx context.Context, text string) error {
	cmd := exec.Command(x.path, "-in", "-selection", "clipboard", "-quiet")
	cmd.Stdin = strings.NewReader(text)
	endWithParent(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	first := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		// xclip prints "Waiting for selection requests…" once it owns the
		// selection, and a line per request after; drain them all.
		r := bufio.NewReader(stderr)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, r)
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case line := <-first:
		if strings.HasPrefix(line, "Waiting") {
			x.owner, x.done = cmd, done
			return nil
		}
		<-done
		return fmt.Errorf("xclip: %s", strings.TrimSpace(line))
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return ctx.Err()
	}
}

func (x *xclipClipboard) read(ctx context.Context) (string, error) {
	return runClip(ctx, "", x.path, "-out", "-selection", "clipboard")
}

func (x *xclipClipboard) clear(ctx context.Context) error {
	if x.owner == nil {
		return nil
	}
	select {
	case <-x.done:
		return nil // it lost the selection already
	default:
	}
	_ = x.owner.Process.Signal(syscall.SIGTERM)
	select {
	case <-x.done:
		return nil
	case <-ctx.Done():
		_ = x.owner.Process.Kill()
		<-x.done
		return nil
	}
}

// xselClipboard uses xsel, which forks a server for the selection;
// --clear takes the selection and drops it, so that server exits.
type xselClipboard struct{ path string }

func (x *xselClipboard) name() string { return "xsel" }

func (x *xselClipboard) write(ctx context.Context, text string) error {
	_, err := runClip(ctx, text, x.path, "--input", "--clipboard")
	return err
}

func (x *xselClipboard) read(ctx context.Context) (string, error) {
	return runClip(ctx, "", x.path, "--output", "--clipboard")
}

func (x *xselClipboard) clear(ctx context.Context) error {
	_, err := runClip(ctx, "", x.path, "--clear", "--clipboard")
	return err
}

// wlClipboard uses wl-clipboard. wl-copy forks a server for the text;
// `wl-copy --clear` drops the selection, so that server exits.
type wlClipboard struct {
	copyPath, pastePath string
	sensitive           bool // wl-copy takes --sensitive (wl-clipboard 2.3+)
}

func (w *wlClipboard) name() string { return "wl-copy" }

func (w *wlClipboard) copyArgs() []string {
	if w.sensitive {
		// Offers x-kde-passwordManagerHint: clipboard managers keep no
		// history of it.
		return []string{w.copyPath, "--sensitive"}
	}
	return []string{w.copyPath}
}

func (w *wlClipboard) write(ctx context.Context, text string) error {
	_, err := runClip(ctx, text, w.copyArgs()...)
	return err
}

func (w *wlClipboard) read(ctx context.Context) (string, error) {
	return runClip(ctx, "", w.pastePath, "--no-newline")
}

func (w *wlClipboard) clear(ctx context.Context) error {
	_, err := runClip(ctx, "", w.copyPath, "--clear")
	return err
}

// wlCopySensitive reports whether wl-copy has --sensitive.
func wlCopySensitive(ctx context.Context, path string) bool {
	out, err := proc.Command(ctx, path, "--help").CombinedOutput()
	return err == nil && strings.Contains(string(out), "--sensitive")
}
