//go:build linux || freebsd || netbsd || openbsd || dragonfly || solaris

package clipboard

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

	"github.com/awstray/awstray/desktop/internal/procio"
	"github.com/awstray/awstray/internal/proc"
)

// ErrNoGraphicalSession means neither DISPLAY nor WAYLAND_DISPLAY is set:
// there is no clipboard to copy to.
var ErrNoGraphicalSession = errors.New("no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)")

// ErrNoTool means no clipboard program was found for the session.
var ErrNoTool = errors.New("no clipboard program found: install wl-clipboard (Wayland), xclip or xsel (X11)")

// Tool chooses the clipboard program as github.com/atotto/clipboard
// does — wl-copy (with wl-paste) on Wayland, else xclip, else xsel on X11 —
// reading the session with getenv and finding programs with lookPath. It
// returns the tool's name ("wl-copy", "xclip" or "xsel") and the paths of
// its programs (wl-copy's, then wl-paste's; or the one). The copying code
// and `awstray doctor` both pick with it.
func Tool(getenv func(string) string, lookPath func(string) (string, error)) (tool string, paths []string, err error) {
	wayland, x11 := getenv("WAYLAND_DISPLAY") != "", getenv("DISPLAY") != ""
	if wayland {
		copyPath, err1 := lookPath("wl-copy")
		pastePath, err2 := lookPath("wl-paste")
		if err1 == nil && err2 == nil {
			return "wl-copy", []string{copyPath, pastePath}, nil
		}
	}
	if x11 {
		for _, t := range []string{"xclip", "xsel"} {
			if path, err := lookPath(t); err == nil {
				return t, []string{path}, nil
			}
		}
	}
	if !wayland && !x11 {
		return "", nil, ErrNoGraphicalSession
	}
	return "", nil, ErrNoTool
}

// pickClipTool runs the program Tool chooses itself, not through
// atotto: it needs a deadline on each run, wl-copy's --sensitive, and a
// way to end the process that serves an X selection (atotto's xclip keeps
// serving, and writing "" through it only starts another xclip serving "").
func pickClipTool(ctx context.Context) (clipTool, error) {
	tool, paths, err := Tool(os.Getenv, exec.LookPath)
	if err != nil {
		return nil, err
	}
	switch tool {
	case "wl-copy":
		return &wlClipboard{copyPath: paths[0], pastePath: paths[1], sensitive: wlCopySensitive(ctx, paths[0])}, nil
	case "xclip":
		return &xclipClipboard{path: paths[0]}, nil
	}
	return &xselClipboard{path: paths[0]}, nil
}

// runClip runs a clipboard program with stdin and returns its stdout.
func runClip(ctx context.Context, stdin string, argv ...string) (string, error) {
	cmd := proc.Command(ctx, argv[0], argv[1:]...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out strings.Builder
	stderr := procio.Tail{Max: 1024}
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
		if line := procio.LastLine(stderr.String()); line != "" {
			return "", fmt.Errorf("%w: %s", err, line)
		}
		return "", err
	}
	return out.String(), nil
}

// selectionServer is a clipboard program kept in the foreground while it
// serves the CLIPBOARD selection: X offers the text only while it lives,
// it exits by itself when someone else copies, and ending it empties the
// clipboard without leaving a process behind. So "it still runs" is "the
// clipboard still holds our copy", and no read is needed to know it.
type selectionServer struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when it has exited
}

// serve starts argv serving text, and waits until ready says it owns the
// selection. first receives the first line of its stderr (or what there
// was when it exited).
func serve(ctx context.Context, text string, ready func(ctx context.Context, first <-chan string, done <-chan struct{}) error, argv ...string) (*selectionServer, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdin = strings.NewReader(text)
	endWithParent(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	first := make(chan string, 1)
	srv := &selectionServer{cmd: cmd, done: make(chan struct{})}
	go func() {
		// xclip prints a line per selection request: drain them all.
		r := bufio.NewReader(stderr)
		line, _ := r.ReadString('\n')
		first <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, r)
		_ = cmd.Wait()
		close(srv.done)
	}()
	if err := ready(ctx, first, srv.done); err != nil {
		_ = cmd.Process.Kill()
		<-srv.done
		return nil, err
	}
	return srv, nil
}

func (s *selectionServer) alive() bool {
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// end stops the server (SIGTERM, SIGKILL at ctx's end) and waits for it.
func (s *selectionServer) end(ctx context.Context) {
	if !s.alive() {
		return // it lost the selection already
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-ctx.Done():
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// xclipClipboard serves the selection with xclip in the foreground
// (-quiet), which says when it owns the selection.
type xclipClipboard struct {
	path string
	srv  *selectionServer // nil until write
}

func (x *xclipClipboard) name() string { return "xclip" }

func (x *xclipClipboard) write(ctx context.Context, text string) error {
	srv, err := serve(ctx, text, func(ctx context.Context, first <-chan string, done <-chan struct{}) error {
		select {
		case line := <-first: // "Waiting for selection requests, Control-C to quit"
			if strings.HasPrefix(line, "Waiting") {
				return nil
			}
			return fmt.Errorf("xclip: %s", line)
		case <-ctx.Done():
			return ctx.Err()
		}
	}, x.path, "-in", "-selection", "clipboard", "-quiet")
	if err != nil {
		return err
	}
	x.srv = srv
	return nil
}

func (x *xclipClipboard) holds() (ours, known bool) { return x.srv != nil && x.srv.alive(), true }

func (x *xclipClipboard) read(ctx context.Context) (string, error) {
	return runClip(ctx, "", x.path, "-out", "-selection", "clipboard")
}

func (x *xclipClipboard) clear(ctx context.Context) error {
	if x.srv != nil {
		x.srv.end(ctx)
	}
	return nil
}

// xselClipboard serves the selection with xsel kept in the foreground
// (--nodetach: by default it forks a server whose process ID awstray would
// not know). xsel says nothing when it owns the selection: write reads
// the clipboard until it shows the text.
type xselClipboard struct {
	path string
	srv  *selectionServer // nil until write
}

func (x *xselClipboard) name() string { return "xsel" }

func (x *xselClipboard) write(ctx context.Context, text string) error {
	srv, err := serve(ctx, text, func(ctx context.Context, first <-chan string, done <-chan struct{}) error {
		for {
			select {
			case <-done:
				return fmt.Errorf("xsel: %s", <-first)
			case <-ctx.Done():
				return ctx.Err()
			default:
			}
			if got, err := x.read(ctx); err == nil && got == text {
				return nil
			}
			select {
			case <-time.After(20 * time.Millisecond):
			case <-done:
			case <-ctx.Done():
			}
		}
	}, x.path, "--nodetach", "--input", "--clipboard")
	if err != nil {
		return err
	}
	x.srv = srv
	return nil
}

func (x *xselClipboard) holds() (ours, known bool) { return x.srv != nil && x.srv.alive(), true }

func (x *xselClipboard) read(ctx context.Context) (string, error) {
	return runClip(ctx, "", x.path, "--output", "--clipboard")
}

func (x *xselClipboard) clear(ctx context.Context) error {
	if x.srv != nil {
		x.srv.end(ctx)
	}
	return nil
}

// wlClipboard uses wl-clipboard. wl-copy forks a server for the text;
// `wl-copy --clear` drops the selection, so that server exits.
type wlClipboard struct {
	copyPath, pastePath string
	sensitive           bool // wl-copy takes --sensitive (wl-clipboard 2.3+)
}

func (w *wlClipboard) name() string { return "wl-copy" }

// holds: wl-copy's server is a fork whose process ID awstray does not
// know (--foreground would keep it ours, but says nothing once it owns the
// selection, and no compositor here tests it): the clipboard is read.
func (w *wlClipboard) holds() (ours, known bool) { return false, false }

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
