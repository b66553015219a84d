package credentials

import (
	"context"
	"sync"
)

// flightMode is what a resolution may do, and so which requests may share
// it: a silent one must never answer a request that may ask the person
// ("an MFA code is needed" is not that request's answer), and a background
// renewal must never wait for a dialog.
type flightMode int

const (
	modeSilent flightMode = iota // no dialog: background renewal, a non-interactive request
	modeAsk                      // may ask the person: Unlock, an interactive request that needs them
	modeFresh                    // Refresh: a new session for the profile itself; may ask
)

// flightKey names one shared resolution: the profile, the held entry it is
// for (its epoch: a flight of an entry locked since is never joined), and
// the mode.
type flightKey struct {
	name  string
	epoch uint64
	mode  flightMode
}

// flightFunc is the work of a flight.
type flightFunc func(ctx context.Context) (Credentials, error)

// flight is one shared resolution.
type flight struct {
	done   chan struct{} // closed once creds and err are set
	creds  Credentials
	err    error
	cancel context.CancelFunc
	// waiters counts the callers still waiting; guarded by flightGroup.mu.
	waiters int
}

// flightGroup shares a resolution between concurrent callers, as
// singleflight does, but runs it on a goroutine of its own under a context
// that ends only when every waiting caller has gone (or its entry is
// locked): one caller hanging up does not tear down a dialog the person is
// answering for another.
type flightGroup struct {
	// mu protects m and every flight's waiters. It is a leaf: nothing is
	// called and no other lock taken while it is held.
	mu sync.Mutex
	m  map[flightKey]*flight
	// running counts flights whose work has not returned, so a test can
	// wait until nothing runs.
	running sync.WaitGroup
}

// joinLocked adds a waiter to the flight of key, starting fn as that
// flight when none runs and fn is not nil. It returns nil when there is no
// flight to join. The caller holds g.mu.
func (g *flightGroup) joinLocked(ctx context.Context, key flightKey, fn flightFunc) *flight {
	if f := g.m[key]; f != nil {
		f.waiters++
		return f
	}
	if fn == nil {
		return nil
	}
	// The flight keeps the first caller's values, not its cancellation.
	fctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f := &flight{done: make(chan struct{}), cancel: cancel, waiters: 1}
	if g.m == nil {
		g.m = make(map[flightKey]*flight)
	}
	g.m[key] = f
	g.running.Add(1)
	go func() {
		defer g.running.Done()
		c, err := fn(fctx)
		g.mu.Lock()
		if g.m[key] == f {
			delete(g.m, key)
		}
		g.mu.Unlock()
		cancel()
		f.creds, f.err = c, err
		close(f.done)
	}()
	return f
}

// wait returns the flight's result, or ctx's error when ctx ends first; the
// last waiter to leave cancels the flight.
func (g *flightGroup) wait(ctx context.Context, key flightKey, f *flight) (Credentials, error) {
	select {
	case <-f.done:
		return f.creds, f.err
	case <-ctx.Done():
	}
	g.mu.Lock()
	f.waiters--
	if f.waiters == 0 {
		f.cancel()
		if g.m[key] == f {
			delete(g.m, key) // the next caller starts afresh, not on a cancelled flight
		}
	}
	g.mu.Unlock()
	return Credentials{}, ctx.Err()
}

// do joins the flight of key, or starts fn as it, and waits.
func (g *flightGroup) do(ctx context.Context, key flightKey, fn flightFunc) (Credentials, error) {
	g.mu.Lock()
	f := g.joinLocked(ctx, key, fn)
	g.mu.Unlock()
	return g.wait(ctx, key, f)
}

// await waits for the flight of key if one runs, without starting one.
func (g *flightGroup) await(ctx context.Context, key flightKey) {
	g.mu.Lock()
	f := g.joinLocked(ctx, key, nil)
	g.mu.Unlock()
	if f != nil {
		_, _ = g.wait(ctx, key, f)
	}
}

// silent gets credentials without a dialog of its own: it joins a
// resolution of the entry that may ask the person when one runs (its
// answer serves a silent request too, and running beside it would repeat
// its STS calls), else joins or starts fn as the silent one. A background
// caller never waits for a dialog: ran is false when it would have to.
func (g *flightGroup) silent(ctx context.Context, name string, epoch uint64, background bool, fn flightFunc) (c Credentials, err error, ran bool) {
	g.mu.Lock()
	for _, mode := range []flightMode{modeAsk, modeFresh} {
		key := flightKey{name, epoch, mode}
		if g.m[key] == nil {
			continue
		}
		if background {
			g.mu.Unlock()
			return Credentials{}, nil, false
		}
		f := g.joinLocked(ctx, key, nil)
		g.mu.Unlock()
		c, err = g.wait(ctx, key, f)
		return c, err, true
	}
	key := flightKey{name, epoch, modeSilent}
	f := g.joinLocked(ctx, key, fn)
	g.mu.Unlock()
	c, err = g.wait(ctx, key, f)
	return c, err, true
}

// cancelEntry ends the flights of a held entry that was just dropped: an
// open dialog for a locked profile closes, and no new caller joins them.
// Their waiters still get their (refused) results.
func (g *flightGroup) cancelEntry(name string, epoch uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, mode := range []flightMode{modeSilent, modeAsk, modeFresh} {
		key := flightKey{name, epoch, mode}
		if f := g.m[key]; f != nil {
			f.cancel()
			delete(g.m, key)
		}
	}
}
