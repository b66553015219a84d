package tray

import (
	"context"
	"time"

	"github.com/awstray/awstray/internal/doctor"
)

// How long the tray gives a panel to put its StatusNotifierWatcher on the
// bus before saying there is none: at login the tray may start before
// the panel does.
const (
	trayHostGrace = 5 * time.Second
	trayHostPoll  = 500 * time.Millisecond
)

// trayHostWatch is what watchTrayHost needs: the check, and how to wait.
type trayHostWatch struct {
	Check func(context.Context) doctor.Result
	Grace time.Duration
	Poll  time.Duration
	// Sleep waits d, or returns false when ctx ends first.
	Sleep func(ctx context.Context, d time.Duration) bool
	// Say is told, once, why no icon will show.
	Say func(doctor.Result)
}

// watchTrayHost checks for a tray host until one is there or Grace has
// passed, and then says so once: without a host (GNOME without its
// AppIndicator extension) the tray would run with no icon and no error.
// It returns when it has decided, or when ctx ends.
func watchTrayHost(ctx context.Context, w trayHostWatch) {
	for waited := time.Duration(0); ; waited += w.Poll {
		cctx, cancel := context.WithTimeout(ctx, doctor.DefaultTimeout)
		r := w.Check(cctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		// Warn: a watcher without a registered host; the panel may still
		// add one, and the icon registers with the watcher either way.
		if r.Status != doctor.Fail {
			return
		}
		if waited >= w.Grace {
			w.Say(r)
			return
		}
		if !w.Sleep(ctx, w.Poll) {
			return
		}
	}
}

// sleepCtx waits d unless ctx ends first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
