// Package clipboard copies a secret for the tray (CopySecret) and clears
// it later only while the copy is still ours (ClearIfOurs): on X11 a
// process of ours serves the copy, elsewhere the clipboard is read back.
// The clearing timer runs on an injected clock.
package clipboard

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// clipTimeout bounds each run of a clipboard program.
const clipTimeout = 5 * time.Second

// clipTool reads and writes the clipboard through one OS mechanism.
type clipTool interface {
	name() string
	write(ctx context.Context, text string) error
	// holds reports, when the tool can tell without reading (known), whether
	// the clipboard still holds what write put there: a program of ours
	// that serves the selection runs until someone else copies.
	holds() (ours, known bool)
	read(ctx context.Context) (string, error)
	// clear empties the clipboard, which holds what write put there, and
	// ends any process left serving it.
	clear(ctx context.Context) error
}

// clipClock is the clock of the clearing timers.
type clipClock interface {
	// Now is the wall-clock time (no monotonic reading: a timer must count
	// the time the machine slept).
	Now() time.Time
	// NewTicker ticks every d until stop is called.
	NewTicker(d time.Duration) (ticks <-chan time.Time, stop func())
}

// wallClock is the real clipClock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now().Round(0) }

func (wallClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// clipState is what awstray last put on the clipboard.
type clipState struct {
	pick  func(ctx context.Context) (clipTool, error)
	clock clipClock // nil: wallClock
	// checked, when set (tests), is called each time a clearing timer is
	// done: it cleared, found nothing to clear, or stopped with its
	// context.
	checked func(gen uint64)

	mu   sync.Mutex // guards the fields below; held across a write or a clear, so they never interleave
	tool clipTool   // the tool of the last write
	text string     // what that write put there; "" once cleared or replaced by the person
	gen  uint64     // counts writes, so a timer of an older copy clears nothing
}

// clip is the process's clipboard: there is one per session.
var clip = &clipState{pick: pickClipTool}

// CopySecret puts text on the clipboard and, when clearAfter > 0, clears it
// after that long — only if the clipboard still holds exactly text: what
// the person copied since stays. The clearing runs in a goroutine that
// stops, without clearing, when ctx ends; call ClearIfOurs on exit. A later
// CopySecret replaces an earlier one's text and timer.
//
// Clipboard managers keep a history: where marking the text as a secret
// is cheap it is marked (wl-copy --sensitive on Wayland, wl-clipboard
// 2.3+). X11 cannot: xclip and xsel offer one target, so KDE's
// x-kde-passwordManagerHint cannot go beside the text; on macOS and Windows
// the clipboard library has no way to add org.nspasteboard.ConcealedType or
// ExcludeClipboardContentFromMonitorProcessing. The clearing is what
// limits exposure there.
//
// On X11 the selection lives in a process of ours (xclip, xsel) that exits
// when someone else copies: while it runs the clipboard holds our copy,
// and clearing ends it — no read of the clipboard is needed. Elsewhere the
// clipboard is read first, and only text other than ours is kept.
// The clearing deadline is checked on the wall clock, so a laptop that
// slept past it clears as soon as it wakes.
func CopySecret(ctx context.Context, text string, clearAfter time.Duration) error {
	return clip.copy(ctx, text, clearAfter)
}

// ClearIfOurs clears the clipboard if it still holds what CopySecret last
// put there, and ends the process serving it (X11), for the tray's exit.
func ClearIfOurs(ctx context.Context) error {
	return clip.clearIfOurs(ctx, 0)
}

func (s *clipState) copy(ctx context.Context, text string, clearAfter time.Duration) error {
	wctx, cancel := context.WithTimeout(ctx, clipTimeout)
	defer cancel()
	tool, err := s.pick(wctx)
	if err != nil {
		return fmt.Errorf("copying to the clipboard: %w", err)
	}
	s.mu.Lock()
	err = tool.write(wctx, text)
	if err == nil {
		s.gen++
		s.tool, s.text = tool, text
	}
	gen := s.gen
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("copying to the clipboard with %s: %w", tool.name(), err)
	}
	if clearAfter > 0 {
		// The deadline is taken now, not when the goroutine first runs.
		go s.clearLater(ctx, gen, s.clk().Now().Add(clearAfter), min(clearAfter, time.Second))
	}
	return nil
}

func (s *clipState) clk() clipClock {
	if s.clock == nil {
		return wallClock{}
	}
	return s.clock
}

// clearLater waits until deadline on the wall clock (a monotonic timer
// stops while the machine sleeps), looking every step, then clears if the
// text is still ours.
func (s *clipState) clearLater(ctx context.Context, gen uint64, deadline time.Time, step time.Duration) {
	if s.checked != nil {
		defer s.checked(gen)
	}
	clock := s.clk()
	ticks, stop := clock.NewTicker(step)
	defer stop()
	for clock.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return
		case <-ticks:
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 2*clipTimeout)
	defer cancel()
	_ = s.clearIfOurs(cctx, gen) // nobody to tell; ClearIfOurs at exit reports
}

// clearIfOurs clears when the clipboard still holds our text; gen 0 means
// whatever copy is the latest. Whether it does is asked of the tool where
// it knows (its serving process still runs), else read: only a read that
// shows something else is the person's copy, to keep. A read that fails
// (wl-paste without focus, an empty X selection) shows nothing of the
// person's, and the secret may still be there: it is cleared.
func (s *clipState) clearIfOurs(ctx context.Context, gen uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if (gen != 0 && gen != s.gen) || s.tool == nil || s.text == "" {
		return nil
	}
	rctx, cancel := context.WithTimeout(ctx, clipTimeout)
	defer cancel()
	ours, known := s.tool.holds()
	if !known {
		current, err := s.tool.read(rctx)
		ours = err != nil || current == s.text
	}
	if !ours {
		s.text = "" // the person copied something since: theirs now
		return nil
	}
	if err := s.tool.clear(rctx); err != nil {
		return fmt.Errorf("clearing the clipboard with %s: %w", s.tool.name(), err)
	}
	s.text = ""
	return nil
}
