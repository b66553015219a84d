package clipboard

import (
	"context"
	"sync"
	"testing"
	"time"
)

// fakeClipClock is a clipClock that moves only when a test advances it.
type fakeClipClock struct {
	mu      sync.Mutex // protects now and tickers
	now     time.Time
	tickers []*fakeTicker
}

type fakeTicker struct {
	c       chan time.Time
	every   time.Duration
	next    time.Time
	stopped bool
}

func newFakeClipClock() *fakeClipClock {
	return &fakeClipClock{now: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (f *fakeClipClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClipClock) NewTicker(d time.Duration) (<-chan time.Time, func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTicker{c: make(chan time.Time, 1), every: d, next: f.now.Add(d)}
	f.tickers = append(f.tickers, t)
	return t.c, func() {
		f.mu.Lock()
		t.stopped = true
		f.mu.Unlock()
	}
}

// Advance moves the clock on by d and ticks every ticker that is due (as
// time.Ticker does, a slow reader loses ticks, never the last).
func (f *fakeClipClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	for _, t := range f.tickers {
		if t.stopped || f.now.Before(t.next) {
			continue
		}
		select {
		case t.c <- f.now:
		default:
		}
		t.next = f.now.Add(t.every)
	}
}

// clipWithClock is a clipState on a fake clock; checked receives the
// generation of each clearing timer that is done.
func clipWithClock(pick func(context.Context) (clipTool, error)) (s *clipState, clock *fakeClipClock, checked chan uint64) {
	clock = newFakeClipClock()
	checked = make(chan uint64, 64)
	s = &clipState{pick: pick, clock: clock, checked: func(gen uint64) { checked <- gen }}
	return s, clock, checked
}

// lastGen is the generation of the latest copy.
func (s *clipState) lastGen() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.gen
}

// waitChecked waits until the clearing timer of generation gen is done.
func waitChecked(t *testing.T, checked <-chan uint64, gen uint64) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case g := <-checked:
			if g == gen {
				return
			}
		case <-deadline:
			t.Fatalf("the clearing timer of copy %d never finished", gen)
		}
	}
}
