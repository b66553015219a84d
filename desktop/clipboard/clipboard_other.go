//go:build !(linux || freebsd || netbsd || openbsd || dragonfly || solaris)

package clipboard

import (
	"context"

	"github.com/atotto/clipboard"
)

func pickClipTool(context.Context) (clipTool, error) { return atottoClipboard{}, nil }

// atottoClipboard is github.com/atotto/clipboard: the Win32 clipboard API
// on Windows, pbcopy and pbpaste on macOS. Neither leaves a process
// serving the text. The library takes no context: a call that outlives
// ctx is left to finish in its goroutine.
type atottoClipboard struct{}

func (atottoClipboard) name() string { return "the system clipboard" }

// holds: no process of ours serves the text; the clipboard is read.
func (atottoClipboard) holds() (ours, known bool) { return false, false }

func (atottoClipboard) write(ctx context.Context, text string) error {
	return withContext(ctx, func() error { return clipboard.WriteAll(text) })
}

func (atottoClipboard) read(ctx context.Context) (string, error) {
	type result struct {
		s   string
		err error
	}
	done := make(chan result, 1)
	go func() {
		s, err := clipboard.ReadAll()
		done <- result{s, err}
	}()
	select {
	case r := <-done:
		return r.s, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (atottoClipboard) clear(ctx context.Context) error {
	return withContext(ctx, func() error { return clipboard.WriteAll("") })
}

func withContext(ctx context.Context, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
