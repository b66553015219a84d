package tray

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
)

// guardTimeout is how long a guarded profile's question waits for an
// answer; no answer is a no.
const guardTimeout = 60 * time.Second

// guard asks the person before a guarded profile's credentials go to a new
// consumer, and remembers a yes: for the asking process as long as it
// lives (the fetches of an exec --server endpoint come from the awstray
// that ran exec, asked already), and for its terminal session for
// guard_remember.
type guard struct {
	// confirm shows the yes/no question: true for yes.
	confirm func(ctx context.Context, title, text string) (bool, error)
	now     func() time.Time
	timeout time.Duration // guardTimeout; tests shorten it
	// set is the settings as the loop last loaded them: the agent's
	// goroutines read it, the loop replaces it.
	set atomic.Pointer[settings.Settings]

	ask sync.Mutex // one question at a time: a second asker from the same terminal waits for the first answer

	mu         sync.Mutex           // protects byTerminal and byProcess
	byTerminal map[string]time.Time // profile + terminal key → yes until
	byProcess  map[string]bool      // profile + process key → yes
}

func newGuard(confirm func(ctx context.Context, title, text string) (bool, error), s settings.Settings, now func() time.Time) *guard {
	g := &guard{confirm: confirm, now: now, timeout: guardTimeout, byTerminal: map[string]time.Time{}, byProcess: map[string]bool{}}
	g.setSettings(s)
	return g
}

// setSettings takes the loop's new settings.
func (g *guard) setSettings(s settings.Settings) {
	s = s.WithDefaults()
	g.set.Store(&s)
}

// check returns nil when req may have profile's credentials: the profile
// is not guarded, a yes is remembered for the peer, or the person says
// yes now. A no, or no answer within guardTimeout, is *agent.RefusedError.
func (g *guard) check(ctx context.Context, req agent.Request, peer usage.Peer) error {
	s := g.set.Load()
	if !s.Guarded(req.Profile) {
		return nil
	}
	if g.remembered(req.Profile, peer, s.GuardRemember.Duration) {
		return nil
	}
	g.ask.Lock()
	defer g.ask.Unlock()
	if g.remembered(req.Profile, peer, s.GuardRemember.Duration) {
		return nil // a yes given while this one waited
	}
	actx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	title, text := guardQuestion(req, peer)
	yes, err := g.confirm(actx, title, text)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err() // the asker went away
	case err != nil && errors.Is(actx.Err(), context.DeadlineExceeded):
		return &agent.RefusedError{Profile: req.Profile}
	case err != nil:
		return fmt.Errorf("asking about guarded profile %s: %w", req.Profile, err)
	case !yes:
		return &agent.RefusedError{Profile: req.Profile}
	}
	g.remember(req.Profile, peer, s.GuardRemember.Duration)
	return nil
}

func (g *guard) remembered(profile string, peer usage.Peer, hold time.Duration) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if pk, ok := peer.ProcessKey(); ok && g.byProcess[profile+"\x00"+pk] {
		return true
	}
	if tk, ok := peer.TerminalKey(); ok {
		until, ok := g.byTerminal[profile+"\x00"+tk]
		now := g.now()
		// until-hold: a clock set back does not stretch the yes.
		if ok && now.Before(until) && !now.Before(until.Add(-hold)) {
			return true
		}
	}
	return false
}

func (g *guard) remember(profile string, peer usage.Peer, hold time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	for k, until := range g.byTerminal {
		if !now.Before(until) {
			delete(g.byTerminal, k)
		}
	}
	if pk, ok := peer.ProcessKey(); ok {
		// Processes end and their keys with them; bound what a long
		// day leaves behind.
		if len(g.byProcess) > 4096 {
			clear(g.byProcess)
		}
		g.byProcess[profile+"\x00"+pk] = true
	}
	if tk, ok := peer.TerminalKey(); ok {
		g.byTerminal[profile+"\x00"+tk] = now.Add(hold)
	}
}

// forget drops every yes: Lock all, a screen lock.
func (g *guard) forget() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.byTerminal)
	clear(g.byProcess)
}

// guardQuestion is the dialog's title and text. It names the profile and
// the asker by what the system says of it (executables, pids) and, for
// exec, the program's base name — never its arguments, which may hold
// secrets.
func guardQuestion(req agent.Request, peer usage.Peer) (title, text string) {
	title = fmt.Sprintf("awstray: allow guarded profile %q?", req.Profile)
	var b strings.Builder
	fmt.Fprintf(&b, "A program asks for the credentials of the guarded profile %q.\n\n", req.Profile)
	what := "awstray"
	if peer.Exe != "" {
		what = filepath.Base(peer.Exe)
	}
	switch {
	case req.Purpose == agent.PurposeServer:
		what += " exec --server (a credentials endpoint)"
	case req.Command != "":
		what += " " + req.Command
	}
	fmt.Fprintf(&b, "Asking: %s", what)
	if peer.PID > 0 {
		fmt.Fprintf(&b, " (pid %d", peer.PID)
		if peer.Exe != "" {
			fmt.Fprintf(&b, ", %s", peer.Exe)
		}
		b.WriteString(")")
	}
	b.WriteString("\n")
	if peer.ParentExe != "" {
		fmt.Fprintf(&b, "Started by: %s (pid %d)\n", peer.ParentExe, peer.ParentPID)
	}
	if req.Program != "" {
		fmt.Fprintf(&b, "To run: %s\n", req.Program)
	}
	if peer.PID <= 0 {
		b.WriteString("(The system does not say which process asks.)\n")
	}
	b.WriteString("\nAllow it?")
	return title, b.String()
}

// usageOp is the usage record's operation of a request.
func usageOp(req agent.Request) string {
	switch {
	case req.Purpose == agent.PurposeServer:
		return usage.OpServer
	case req.Op == agent.OpFederationToken:
		return agent.CommandConsole
	case req.Command != "":
		return req.Command
	}
	return "credentials" // a client from before the command was sent
}
