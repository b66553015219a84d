package clipboard

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// logicTool is a fake clipTool for the decisions of clearIfOurs (the real
// programs are tested under Xvfb).
type logicTool struct {
	mu            sync.Mutex // protects the fields below
	ours, known   bool       // what holds says
	current       string     // what read returns
	readErr       error
	reads, clears int
}

func (f *logicTool) name() string                        { return "logic" }
func (f *logicTool) write(context.Context, string) error { return nil }
func (f *logicTool) holds() (bool, bool)                 { f.mu.Lock(); defer f.mu.Unlock(); return f.ours, f.known }
func (f *logicTool) clear(context.Context) error         { f.mu.Lock(); f.clears++; f.mu.Unlock(); return nil }
func (f *logicTool) counts() (reads, clears int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads, f.clears
}
func (f *logicTool) read(context.Context) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reads++
	return f.current, f.readErr
}

func TestClearIfOursDecides(t *testing.T) {
	const secret = "export AWS_SECRET_ACCESS_KEY=s"
	cases := []struct {
		name                 string
		tool                 func() *logicTool
		wantReads, wantClear int
	}{
		{"its process serves our copy", func() *logicTool { return &logicTool{ours: true, known: true} }, 0, 1},
		{"its process lost the selection", func() *logicTool { return &logicTool{ours: false, known: true} }, 0, 0},
		{"read shows our copy", func() *logicTool { return &logicTool{current: secret} }, 1, 1},
		{"read shows the person's copy", func() *logicTool { return &logicTool{current: "the person's text"} }, 1, 0},
		{"read fails", func() *logicTool { return &logicTool{readErr: errors.New("no focus")} }, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tool := tc.tool()
			s, clock, checked := clipWithClock(func(context.Context) (clipTool, error) { return tool, nil })
			if err := s.copy(context.Background(), secret, time.Minute); err != nil {
				t.Fatal(err)
			}
			clock.Advance(time.Minute)
			waitChecked(t, checked, s.lastGen())
			if reads, clears := tool.counts(); reads != tc.wantReads || clears != tc.wantClear {
				t.Fatalf("reads %d, clears %d; want %d, %d", reads, clears, tc.wantReads, tc.wantClear)
			}
			// Decided once: a second look changes nothing.
			if err := s.clearIfOurs(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			if reads, clears := tool.counts(); reads != tc.wantReads || clears != tc.wantClear {
				t.Fatalf("after ClearIfOurs: reads %d, clears %d", reads, clears)
			}
		})
	}
}

// The timer waits for the wall clock, however its ticks come: a machine
// that slept past the deadline clears on the first tick after it woke.
func TestClearTimerFollowsTheWallClock(t *testing.T) {
	tool := &logicTool{ours: true, known: true}
	s, clock, checked := clipWithClock(func(context.Context) (clipTool, error) { return tool, nil })
	if err := s.copy(context.Background(), "x", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Hour) // one tick, long after the deadline
	waitChecked(t, checked, s.lastGen())
	if _, clears := tool.counts(); clears != 1 {
		t.Fatalf("clears = %d after the deadline passed", clears)
	}
}
