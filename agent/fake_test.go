package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/usage"
)

// The fake backend's secrets: no response may carry them unless it
// answers a valid credentials request.
const (
	fakeKeyID  = "ASIAFAKEKEYID0000001"
	fakeSecret = "fakeSecretAccessKeyQ9zX7vW2"
	fakeToken  = "fakeSessionTokenP4mN8bV1"
)

var fakeExpiry = time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)

// fakeBackend answers by profile name:
//
//	dev      session credentials
//	static   a long-term key (no expiry)
//	locked   LockedError unless interactive
//	release  blocks until its context ends or release is closed; returns
//	         the context's error if it ended, credentials if not
//	cancel   ErrCancelled (the person cancelled the dialog)
//	mfa      MFARequiredError
//	boom     a plain error over several lines
//	empty    no credentials and no error (a broken backend)
//	wait     blocks until its context ends (only when wait is true)
//	other    UnknownProfileError
type fakeBackend struct {
	wait      bool // serve the "wait" profile
	keepAsked bool // record credentials requests in asked (not while fuzzing: it would grow without end)

	mu       sync.Mutex // protects unlocked, locked and asked
	unlocked []string
	locked   []string
	asked    []Request // every credentials request, as the backend got it
	// waiting receives the context of every "wait" call.
	waiting chan context.Context
	// waited receives the error that ended every "wait" call.
	waited chan error
	// release, when set, serves the "release" profile; "release" calls
	// also send their context to waiting.
	release chan struct{}
}

func newFakeBackend() *fakeBackend {
	return &fakeBackend{wait: true, keepAsked: true, waiting: make(chan context.Context, 100), waited: make(chan error, 100)}
}

func fakeCreds(expiring bool) credentials.Credentials {
	c := credentials.Credentials{AccessKeyID: fakeKeyID, SecretAccessKey: credentials.NewSecret(fakeSecret), SessionToken: credentials.NewSecret(fakeToken)}
	if expiring {
		c.Expires = fakeExpiry
	} else {
		c.SessionToken = credentials.Secret{}
	}
	return c
}

func (b *fakeBackend) Credentials(ctx context.Context, req Request) (credentials.Credentials, error) {
	if b.keepAsked {
		b.mu.Lock()
		b.asked = append(b.asked, req)
		b.mu.Unlock()
	}
	profile, interactive := req.Profile, req.Interactive
	switch profile {
	case "dev":
		return fakeCreds(true), nil
	case "static":
		return fakeCreds(false), nil
	case "locked":
		if !interactive {
			return credentials.Credentials{}, &credentials.LockedError{Profile: profile}
		}
		return fakeCreds(true), nil
	case "cancel":
		return credentials.Credentials{}, fmt.Errorf("unlocking %s: %w", profile, credentials.ErrCancelled)
	case "mfa":
		return credentials.Credentials{}, &credentials.MFARequiredError{Profile: profile}
	case "sso":
		return credentials.Credentials{}, &credentials.SSOLoginRequiredError{Profile: profile}
	case "boom":
		return credentials.Credentials{}, errors.New("assuming role:\n  AccessDenied\tnot allowed")
	case "empty":
		return credentials.Credentials{}, nil
	case "guarded":
		return credentials.Credentials{}, fmt.Errorf("asking the person: %w", &RefusedError{Profile: profile})
	case "wait":
		if b.wait {
			return credentials.Credentials{}, b.block(ctx)
		}
	case "release":
		if b.release != nil {
			b.waiting <- ctx
			select {
			case <-ctx.Done():
			case <-b.release:
			}
			// A cancelled call fails even when the release came too.
			if err := ctx.Err(); err != nil {
				return credentials.Credentials{}, err
			}
			return fakeCreds(true), nil
		}
	}
	return credentials.Credentials{}, &awsconfig.UnknownProfileError{Name: profile, Suggestion: "dev"}
}

// FederationToken makes fakeBackend a Federator: it answers as
// Credentials does (interactive), and records the request in asked.
func (b *fakeBackend) FederationToken(ctx context.Context, req Request) (credentials.Credentials, error) {
	req.Interactive = true
	return b.Credentials(ctx, req)
}

// Usage makes fakeBackend a UsageSource: one record per profile asked.
func (b *fakeBackend) Usage() []usage.Record {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []usage.Record
	for _, r := range b.asked {
		out = append(out, usage.Record{Time: fakeExpiry, Profile: r.Profile, Op: r.Command, PID: r.PeerPID, Program: r.Program, Outcome: usage.Served})
	}
	return out
}

func (b *fakeBackend) block(ctx context.Context) error {
	b.waiting <- ctx
	<-ctx.Done()
	b.waited <- ctx.Err()
	return ctx.Err()
}

func (b *fakeBackend) Unlock(ctx context.Context, profile string) error {
	switch profile {
	case "dev", "static", "locked":
		b.mu.Lock()
		b.unlocked = append(b.unlocked, profile)
		b.mu.Unlock()
		return nil
	case "cancel":
		return credentials.ErrCancelled
	case "wait":
		if b.wait {
			return b.block(ctx)
		}
	}
	return &awsconfig.UnknownProfileError{Name: profile}
}

func (b *fakeBackend) Lock(profile string) error {
	switch profile {
	case "dev", "static", "locked":
		b.mu.Lock()
		b.locked = append(b.locked, profile)
		b.mu.Unlock()
		return nil
	}
	return &awsconfig.UnknownProfileError{Name: profile}
}

func (b *fakeBackend) Profiles() []ProfileInfo {
	exp, person := fakeExpiry, fakeExpiry.Add(7*time.Hour)
	return []ProfileInfo{
		{Name: "dev", Kind: "role", State: "active", Expires: &exp, PersonNeededAt: &person},
		{Name: "static", Kind: "iam-user", State: "locked"},
	}
}

// syncBuffer is a bytes.Buffer for a logger written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// testServer is an agent serving a fake backend on a real socket.
type testServer struct {
	path   string
	b      *fakeBackend
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startServer listens at path (testPath when empty) and serves b until the
// test ends; opts adjust the server before it starts.
func startServer(t testing.TB, path string, b *fakeBackend, opts ...func(*server)) *testServer {
	t.Helper()
	if path == "" {
		path = testPath(t)
	}
	l, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	return serveOn(t, path, l, b, opts...)
}

func serveOn(t testing.TB, path string, l net.Listener, b *fakeBackend, opts ...func(*server)) *testServer {
	t.Helper()
	s := &testServer{path: path, b: b, log: &syncBuffer{}, done: make(chan error, 1)}
	var ctx context.Context
	ctx, s.cancel = context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(s.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := &server{b: b, log: log, maxLine: MaxLine}
	for _, o := range opts {
		o(srv)
	}
	go func() { s.done <- srv.serve(ctx, l) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop ends Serve and checks that it returns nil promptly.
func (s *testServer) stop(t testing.TB) {
	t.Helper()
	s.cancel()
	select {
	case err, ok := <-s.done:
		if ok && err != nil {
			t.Errorf("Serve returned %v", err)
		}
		if ok {
			close(s.done)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return within 5 s of its context ending")
	}
}

func (s *testServer) dial(t testing.TB) *Client {
	t.Helper()
	c, err := Dial(s.path, time.Second)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}
