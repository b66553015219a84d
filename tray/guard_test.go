package tray

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
)

// askLog is a confirm stand-in: it answers from answers and keeps every
// question it was asked.
type askLog struct {
	mu      sync.Mutex // protects asked and answers
	asked   []string
	answers []bool
	block   bool // never answer: wait for the context
}

func (l *askLog) confirm(ctx context.Context, title, text string) (bool, error) {
	l.mu.Lock()
	l.asked = append(l.asked, title+"\n"+text)
	block := l.block
	yes := len(l.answers) > 0 && l.answers[0]
	if len(l.answers) > 0 {
		l.answers = l.answers[1:]
	}
	l.mu.Unlock()
	if block {
		<-ctx.Done()
		return false, ctx.Err()
	}
	return yes, nil
}

func (l *askLog) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.asked)
}

func TestGuard(t *testing.T) {
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	s := settings.Settings{GuardedProfiles: []string{"prod*"}, GuardRemember: settings.Duration{Duration: 15 * time.Minute}}
	asks := &askLog{}
	g := newGuard(asks.confirm, s, func() time.Time { return clock })
	ctx := context.Background()
	term := usage.Peer{PID: 100, Start: 1, Exe: "/usr/bin/awstray", ParentPID: 90, ParentExe: "/bin/bash", Session: 90, TTY: 34816}
	exec := agent.Request{Op: agent.OpCredentials, Profile: "prod", Command: agent.CommandExec, Program: "terraform"}
	refused := func(err error) bool {
		var re *agent.RefusedError
		return errors.As(err, &re) && re.Profile == "prod"
	}

	// Not guarded: nobody is asked.
	if err := g.check(ctx, agent.Request{Profile: "dev"}, term); err != nil || asks.count() != 0 {
		t.Fatalf("an unguarded profile: %v, %d questions", err, asks.count())
	}
	// No: refused, and asked again next time.
	asks.answers = []bool{false}
	if err := g.check(ctx, exec, term); !refused(err) {
		t.Fatalf("after a no: %v", err)
	}
	// Yes: remembered for the terminal session.
	asks.answers = []bool{true}
	if err := g.check(ctx, exec, term); err != nil || asks.count() != 2 {
		t.Fatalf("after a yes: %v, %d questions", err, asks.count())
	}
	next := term
	next.PID, next.Start = 101, 5 // a second exec in the same terminal
	clock = clock.Add(14 * time.Minute)
	if err := g.check(ctx, exec, next); err != nil || asks.count() != 2 {
		t.Fatalf("a second exec from the same terminal within guard_remember: %v, %d questions", err, asks.count())
	}
	// Another terminal, or none, is asked.
	other := next
	other.Session, other.PID, other.Start = 200, 201, 7
	asks.answers = []bool{false}
	if err := g.check(ctx, exec, other); !refused(err) || asks.count() != 3 {
		t.Fatalf("another terminal: %v, %d questions", err, asks.count())
	}
	// guard_remember ran out: asked again.
	clock = clock.Add(2 * time.Minute)
	asks.answers = []bool{false}
	if err := g.check(ctx, exec, next); !refused(err) || asks.count() != 4 {
		t.Fatalf("after guard_remember: %v, %d questions", err, asks.count())
	}
	// The process that got a yes (exec --server's endpoint is the awstray
	// that ran exec) is not asked again, even without a terminal.
	daemon := usage.Peer{PID: 300, Start: 9, Exe: "/usr/bin/awstray"}
	asks.answers = []bool{true}
	if err := g.check(ctx, exec, daemon); err != nil {
		t.Fatal(err)
	}
	server := agent.Request{Op: agent.OpCredentials, Profile: "prod", Purpose: agent.PurposeServer}
	clock = clock.Add(time.Hour)
	if err := g.check(ctx, server, daemon); err != nil || asks.count() != 5 {
		t.Fatalf("a server fetch of an approved process: %v, %d questions", err, asks.count())
	}
	// The same pid in a new process (another start time) is asked.
	asks.answers = []bool{false}
	if err := g.check(ctx, server, usage.Peer{PID: 300, Start: 10}); !refused(err) || asks.count() != 6 {
		t.Fatalf("a reused pid: %v, %d questions", err, asks.count())
	}
	// forget (Lock all) drops every yes.
	g.forget()
	asks.answers = []bool{false}
	if err := g.check(ctx, server, daemon); !refused(err) {
		t.Fatalf("after forget: %v", err)
	}
}

// TestGuardNoAnswerRefuses: a question nobody answers within the timeout
// is a no; an asker that goes away is not a refusal.
func TestGuardNoAnswerRefuses(t *testing.T) {
	asks := &askLog{block: true}
	g := newGuard(asks.confirm, settings.Settings{GuardedProfiles: []string{"prod"}}, time.Now)
	g.timeout = 50 * time.Millisecond
	err := g.check(context.Background(), agent.Request{Profile: "prod"}, usage.Peer{})
	var re *agent.RefusedError
	if !errors.As(err, &re) {
		t.Fatalf("no answer: %v", err)
	}
	g.timeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := g.check(ctx, agent.Request{Profile: "prod"}, usage.Peer{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("a gone asker: %v", err)
	}
}

func TestGuardQuestionNamesTheAsker(t *testing.T) {
	peer := usage.Peer{PID: 4242, Exe: "/opt/awstray/awstray", ParentPID: 4200, ParentExe: "/usr/bin/python3.11"}
	title, text := guardQuestion(agent.Request{Profile: "prod", Command: agent.CommandCredentialProcess}, peer)
	for _, want := range []string{`"prod"`, "credential-process", "pid 4242", "/opt/awstray/awstray", "Started by: /usr/bin/python3.11 (pid 4200)"} {
		if !strings.Contains(title+text, want) {
			t.Errorf("the question lacks %q:\n%s\n%s", want, title, text)
		}
	}
	_, text = guardQuestion(agent.Request{Profile: "prod", Command: agent.CommandExec, Program: "terraform"}, peer)
	if !strings.Contains(text, "To run: terraform") {
		t.Errorf("the question does not name the program:\n%s", text)
	}
}
