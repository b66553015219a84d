package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
)

func TestRoundTrip(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	c := s.dial(t)
	ctx := context.Background()

	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}

	creds := []struct {
		name, profile string
		interactive   bool
		wantToken     string
		wantExpires   time.Time
	}{
		{"session", "dev", false, fakeToken, fakeExpiry},
		{"long-term key", "static", false, "", time.Time{}},
		{"interactive unlock", "locked", true, fakeToken, fakeExpiry},
	}
	for _, tc := range creds {
		t.Run("credentials/"+tc.name, func(t *testing.T) {
			got, err := c.Credentials(ctx, tc.profile, tc.interactive)
			if err != nil {
				t.Fatalf("Credentials: %v", err)
			}
			if got.AccessKeyID != fakeKeyID || got.SecretAccessKey.Reveal() != fakeSecret || got.SessionToken.Reveal() != tc.wantToken {
				t.Errorf("credentials = %s %q %q", got.AccessKeyID, got.SecretAccessKey.Reveal(), got.SessionToken.Reveal())
			}
			if !got.Expires.Equal(tc.wantExpires) {
				t.Errorf("Expires = %v, want %v", got.Expires, tc.wantExpires)
			}
		})
	}

	t.Run("credentials/for a server", func(t *testing.T) {
		// A server fetch is never interactive: the profile that unlocks
		// only interactively stays locked.
		_, err := c.ServerCredentials(ctx, "locked")
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != CodeLocked {
			t.Fatalf("ServerCredentials of a locked profile = %v, want code %s", err, CodeLocked)
		}
		got, err := c.ServerCredentials(ctx, "dev")
		if err != nil || got.AccessKeyID != fakeKeyID {
			t.Fatalf("ServerCredentials = %s, %v", got.AccessKeyID, err)
		}
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		last := s.b.asked[len(s.b.asked)-2:]
		for _, req := range last {
			if req.Purpose != PurposeServer || req.Interactive {
				t.Errorf("the backend got %+v, want purpose %q, not interactive", req, PurposeServer)
			}
		}
	})

	t.Run("list", func(t *testing.T) {
		got, err := c.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		want := s.b.Profiles()
		if len(got) != len(want) {
			t.Fatalf("List = %d profiles, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if g.Name != w.Name || g.Kind != w.Kind || g.State != w.State || !eqTime(g.Expires, w.Expires) || !eqTime(g.PersonNeededAt, w.PersonNeededAt) {
				t.Errorf("profile %d = %+v, want %+v", i, g, w)
			}
		}
	})

	t.Run("federation token", func(t *testing.T) {
		got, err := c.FederationToken(ctx, "dev", 4*time.Hour)
		if err != nil || got.AccessKeyID != fakeKeyID || got.SessionToken.Reveal() != fakeToken {
			t.Fatalf("FederationToken = %s, %v", got.AccessKeyID, err)
		}
		s.b.mu.Lock()
		last := s.b.asked[len(s.b.asked)-1]
		s.b.mu.Unlock()
		if last.Op != OpFederationToken || last.Profile != "dev" || last.Command != CommandConsole || last.DurationSeconds != 4*3600 {
			t.Errorf("the backend got %+v", last)
		}
		// The guard's no comes back as for credentials.
		_, err = c.FederationToken(ctx, "guarded", 0)
		var ae *Error
		if !errors.As(err, &ae) || ae.Code != CodeRefused || IsUnknownOp(err) {
			t.Errorf("FederationToken of a refused profile = %v, want code %s", err, CodeRefused)
		}
	})

	t.Run("unlock and lock", func(t *testing.T) {
		if err := c.Unlock(ctx, "dev"); err != nil {
			t.Fatalf("Unlock: %v", err)
		}
		if err := c.Lock(ctx, "static"); err != nil {
			t.Fatalf("Lock: %v", err)
		}
		s.b.mu.Lock()
		defer s.b.mu.Unlock()
		if strings.Join(s.b.unlocked, ",") != "dev" || strings.Join(s.b.locked, ",") != "static" {
			t.Errorf("backend saw unlock %v, lock %v", s.b.unlocked, s.b.locked)
		}
	})

	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := c.Ping(ctx); err == nil {
		t.Error("Ping after Close succeeded")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestFederationTokenOlderBackend: a backend that makes no federation
// tokens — as a tray from before the op — answers it as an unknown op,
// which the client tells from every other failure.
func TestFederationTokenOlderBackend(t *testing.T) {
	path := testPath(t)
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, olderBackend{newFakeBackend()}, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	c, err := Dial(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.FederationToken(ctx, "dev", 0)
	if !IsUnknownOp(err) {
		t.Fatalf("FederationToken from an older backend = %v, want an unknown op", err)
	}
	// The connection still serves.
	if _, err := c.Credentials(ctx, "dev", false); err != nil {
		t.Fatalf("Credentials after the unknown op: %v", err)
	}
	for _, err := range []error{nil, errors.New("unknown op"), &Error{Code: CodeUnknownProfile, Message: "unknown op"}, &Error{Code: CodeBadRequest, Message: "request names no profile"}} {
		if IsUnknownOp(err) {
			t.Errorf("IsUnknownOp(%v) is true", err)
		}
	}
}

// olderBackend is a Backend with only the methods of Backend: no Federator.
type olderBackend struct{ Backend }

func eqTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}

func TestErrorCodes(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	c := s.dial(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		call     func() error
		code     string
		is       error // a sentinel errors.Is must match, or nil
		contains string
	}{
		{"locked", func() error { _, err := c.Credentials(ctx, "locked", false); return err }, CodeLocked, nil, `profile "locked" is locked`},
		{"cancelled", func() error { _, err := c.Credentials(ctx, "cancel", true); return err }, CodeCancelled, credentials.ErrCancelled, "cancelled"},
		{"unlock cancelled", func() error { return c.Unlock(ctx, "cancel") }, CodeCancelled, credentials.ErrCancelled, "cancelled"},
		{"mfa required", func() error { _, err := c.Credentials(ctx, "mfa", false); return err }, CodeMFARequired, credentials.ErrMFARequired, "needs an MFA code"},
		{"sign-in required", func() error { _, err := c.Credentials(ctx, "sso", false); return err }, CodeSignInRequired, credentials.ErrSSOLoginRequired, "needs an IAM Identity Center sign-in"},
		{"unknown profile", func() error { _, err := c.Credentials(ctx, "nope", false); return err }, CodeUnknownProfile, nil, `did you mean "dev"?`},
		{"unlock unknown", func() error { return c.Unlock(ctx, "nope") }, CodeUnknownProfile, nil, "not found"},
		{"lock unknown", func() error { return c.Lock(ctx, "nope") }, CodeUnknownProfile, nil, "not found"},
		{"other error, one line", func() error { _, err := c.Credentials(ctx, "boom", false); return err }, CodeError, nil, "assuming role: AccessDenied not allowed"},
		{"no credentials", func() error { _, err := c.Credentials(ctx, "empty", false); return err }, CodeError, nil, "no credentials"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *Error
			if !errors.As(err, &ae) {
				t.Fatalf("error = %v (%T), want *Error", err, err)
			}
			if ae.Code != tc.code {
				t.Errorf("Code = %q, want %q", ae.Code, tc.code)
			}
			if err.Error() != ae.Message || !strings.Contains(ae.Message, tc.contains) || strings.ContainsAny(ae.Message, "\n\t") {
				t.Errorf("Error() = %q, want one line containing %q", err.Error(), tc.contains)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
		})
	}
	// Failures leave the connection usable.
	if err := c.Ping(ctx); err != nil {
		t.Errorf("Ping after errors: %v", err)
	}
}

// rawConn speaks the protocol by hand.
type rawConn struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, path string) *rawConn {
	t.Helper()
	c, err := dialSocket(path, time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return &rawConn{t: t, c: c, r: bufio.NewReader(c)}
}

// send writes b and reads one response; ok is false when the server hung
// up instead.
func (rc *rawConn) send(b []byte) (resp Response, ok bool) {
	rc.t.Helper()
	go func() { _, _ = rc.c.Write(b) }() // a huge line is not read in full
	line, err := rc.r.ReadBytes('\n')
	if err != nil {
		return Response{}, false
	}
	if err := json.Unmarshal(line, &resp); err != nil {
		rc.t.Fatalf("response %q is not JSON: %v", line, err)
	}
	return resp, true
}

func TestBadInput(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	rc := dialRaw(t, s.path)
	tests := []struct {
		name, line, code string
	}{
		{"garbage", "\x00\xffhello", CodeBadRequest},
		{"empty line", "", CodeBadRequest},
		{"truncated JSON", `{"v":1,"op":"pi`, CodeBadRequest},
		{"two objects", `{"v":1,"op":"ping"}{"v":1,"op":"ping"}`, CodeBadRequest},
		{"array", `[1,2]`, CodeBadRequest},
		{"null", `null`, CodeBadRequest},
		{"wrong type", `{"v":"1","op":"ping"}`, CodeBadRequest},
		{"no version", `{"op":"ping"}`, CodeBadRequest},
		{"version 2", `{"v":2,"op":"ping"}`, CodeUnsupportedVersion},
		{"negative version", `{"v":-1,"op":"ping"}`, CodeUnsupportedVersion},
		{"unknown op", `{"v":1,"op":"exfiltrate","profile":"dev"}`, CodeBadRequest},
		{"no op", `{"v":1}`, CodeBadRequest},
		{"credentials without profile", `{"v":1,"op":"credentials"}`, CodeBadRequest},
		{"profile too long", `{"v":1,"op":"lock","profile":"` + strings.Repeat("p", 2000) + `"}`, CodeBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, ok := rc.send([]byte(tc.line + "\n"))
			if !ok {
				t.Fatal("the server hung up")
			}
			if resp.V != Version || resp.OK || resp.Code != tc.code || resp.Error == "" || resp.Credentials != nil {
				t.Errorf("response = %+v, want code %s", resp, tc.code)
			}
			// The connection still serves.
			if resp, ok := rc.send([]byte(`{"v":1,"op":"ping"}` + "\n")); !ok || !resp.OK {
				t.Errorf("ping after bad input = %+v, %v", resp, ok)
			}
		})
	}

	t.Run("line over 64 KiB", func(t *testing.T) {
		rc := dialRaw(t, s.path)
		huge := `{"v":1,"op":"credentials","profile":"` + strings.Repeat("d", 1<<20) + `"}` + "\n"
		resp, ok := rc.send([]byte(huge))
		if !ok || resp.Code != CodeBadRequest || !strings.Contains(resp.Error, "limit of 65536 bytes") {
			t.Fatalf("response = %+v, %v; want bad_request", resp, ok)
		}
		// Then the server hangs up cleanly.
		if _, err := rc.r.ReadByte(); err == nil {
			t.Error("the server kept talking after a line over the limit")
		}
	})

	t.Run("last line without newline", func(t *testing.T) {
		rc := dialRaw(t, s.path)
		cw, ok := rc.c.(interface{ CloseWrite() error })
		if !ok {
			t.Fatalf("%T cannot half-close", rc.c)
		}
		if _, err := rc.c.Write([]byte(`{"v":1,"op":"ping"}`)); err != nil {
			t.Fatal(err)
		}
		_ = cw.CloseWrite()
		line, err := rc.r.ReadBytes('\n')
		if err != nil || !strings.Contains(string(line), `"ok":true`) {
			t.Errorf("answer to a last line without newline = %q, %v", line, err)
		}
	})
}

func TestDecodeRequest(t *testing.T) {
	tests := []struct {
		line string
		want Request
		code string
	}{
		{`{"v":1,"op":"ping"}`, Request{V: 1, Op: OpPing}, ""},
		{` {"v":1,"op":"list","extra":true} `, Request{V: 1, Op: OpList}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","interactive":true}`, Request{V: 1, Op: OpCredentials, Profile: "dev", Interactive: true}, ""},
		{`{"v":1,"op":"unlock","profile":"a b"}` + "\r", Request{V: 1, Op: OpUnlock, Profile: "a b"}, ""},
		{`{"v":1,"op":"lock","profile":"x"}`, Request{V: 1, Op: OpLock, Profile: "x"}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","purpose":"server"}`, Request{V: 1, Op: OpCredentials, Profile: "dev", Purpose: PurposeServer}, ""},
		// A server fetch never opens a dialog, whatever the line says.
		{`{"v":1,"op":"credentials","profile":"dev","interactive":true,"purpose":"server"}`, Request{V: 1, Op: OpCredentials, Profile: "dev", Purpose: PurposeServer}, ""},
		// Purposes this agent does not know, of any type, are dropped: a
		// newer CLI still gets an answer.
		{`{"v":1,"op":"credentials","profile":"dev","interactive":true,"purpose":"later"}`, Request{V: 1, Op: OpCredentials, Profile: "dev", Interactive: true}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","purpose":{"kind":"server"}}`, Request{V: 1, Op: OpCredentials, Profile: "dev"}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","purpose":7}`, Request{V: 1, Op: OpCredentials, Profile: "dev"}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","purpose":null}`, Request{V: 1, Op: OpCredentials, Profile: "dev"}, ""},
		{`{"v":1,"op":"credentials","profile":"dev","purpose":"SERVER"}`, Request{V: 1, Op: OpCredentials, Profile: "dev"}, ""},
		// It means something for credentials only.
		{`{"v":1,"op":"unlock","profile":"dev","purpose":"server"}`, Request{V: 1, Op: OpUnlock, Profile: "dev"}, ""},
		// Who asks: a known command, and for exec a plain file name.
		{`{"v":1,"op":"credentials","profile":"p","command":"exec","program":"terraform"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExec, Program: "terraform"}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"export","program":"terraform"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExport}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"credential-process"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandCredentialProcess}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"rm -rf","program":"x"}`, Request{V: 1, Op: OpCredentials, Profile: "p"}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":["exec"],"program":7}`, Request{V: 1, Op: OpCredentials, Profile: "p"}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"exec","program":"/usr/bin/env"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExec}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"exec","program":"a\nb"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExec}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"exec","program":".."}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExec}, ""},
		{`{"v":1,"op":"credentials","profile":"p","command":"exec","program":"` + strings.Repeat("a", 256) + `"}`, Request{V: 1, Op: OpCredentials, Profile: "p", Command: CommandExec}, ""},
		// The pid is the system's, never the line's.
		{`{"v":1,"op":"credentials","profile":"p","PeerPID":1}`, Request{V: 1, Op: OpCredentials, Profile: "p"}, ""},
		{`{"v":1,"op":"unlock","profile":"p","command":"exec","program":"x"}`, Request{V: 1, Op: OpUnlock, Profile: "p"}, ""},
		{`{"v":1,"op":"log"}`, Request{V: 1, Op: OpLog}, ""},
		// Console sign-in of an IAM user: a lifetime STS accepts, or none.
		{`{"v":1,"op":"federation_token","profile":"w1","command":"console","duration_seconds":3600}`, Request{V: 1, Op: OpFederationToken, Profile: "w1", Command: CommandConsole, DurationSeconds: 3600}, ""},
		{`{"v":1,"op":"federation_token","profile":"w1","program":"x"}`, Request{V: 1, Op: OpFederationToken, Profile: "w1"}, ""},
		{`{"v":1,"op":"federation_token"}`, Request{}, CodeBadRequest},
		{`{"v":1,"op":"federation_token","profile":"w1","duration_seconds":60}`, Request{}, CodeBadRequest},
		{`{"v":1,"op":"federation_token","profile":"w1","duration_seconds":-900}`, Request{}, CodeBadRequest},
		{`{"v":1,"op":"federation_token","profile":"w1","duration_seconds":129601}`, Request{}, CodeBadRequest},
		{`{"v":1,"op":"federation_token","profile":"w1","duration_seconds":"1h"}`, Request{}, CodeBadRequest},
		// Other ops have no use for a lifetime.
		{`{"v":1,"op":"credentials","profile":"p","duration_seconds":3600}`, Request{V: 1, Op: OpCredentials, Profile: "p"}, ""},
		{`{"v":1,"op":"lock"}`, Request{}, CodeBadRequest},
		{`{"v":3,"op":"lock"}`, Request{}, CodeUnsupportedVersion},
		{`{"v":1,"op":"PING"}`, Request{}, CodeBadRequest},
		{`{"v":1e400}`, Request{}, CodeBadRequest},
		{strings.Repeat(" ", MaxLine+1), Request{}, CodeBadRequest},
	}
	for _, tc := range tests {
		got, err := DecodeRequest([]byte(tc.line))
		var ae *Error
		switch {
		case tc.code == "" && err != nil:
			t.Errorf("DecodeRequest(%.40q): %v", tc.line, err)
		case tc.code != "" && (!errors.As(err, &ae) || ae.Code != tc.code):
			t.Errorf("DecodeRequest(%.40q) error = %v, want code %s", tc.line, err, tc.code)
		case got != tc.want:
			t.Errorf("DecodeRequest(%.40q) = %+v, want %+v", tc.line, got, tc.want)
		}
	}
}

func TestDialNoAgent(t *testing.T) {
	for _, path := range []string{testPath(t), ""} {
		start := time.Now()
		c, err := Dial(path, 5*time.Second)
		if err == nil {
			_ = c.Close()
			t.Fatalf("Dial(%q) succeeded", path)
		}
		if !errors.Is(err, ErrNoAgent) {
			t.Errorf("Dial(%q) = %v, want ErrNoAgent", path, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Dial(%q) took %v to find no agent", path, d)
		}
	}
}

func TestServeStopsOnCancel(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	idle := dialRaw(t, s.path)
	busy := s.dial(t)
	callDone := make(chan error, 1)
	go func() {
		_, err := busy.Credentials(context.Background(), "wait", true)
		callDone <- err
	}()
	<-s.b.waiting // the backend call is under way

	s.stop(t)

	if err := <-s.b.waited; !errors.Is(err, context.Canceled) {
		t.Errorf("backend call ended with %v, want context.Canceled", err)
	}
	select {
	case err := <-callDone:
		if err == nil {
			t.Error("the waiting request succeeded")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting client was not released")
	}
	if _, err := idle.r.ReadByte(); err == nil {
		t.Error("an idle connection stayed open")
	}
	if c, err := Dial(s.path, time.Second); err == nil {
		_ = c.Close()
		t.Error("Dial succeeded after Serve stopped")
	}
}

func TestServeListenerClosed(t *testing.T) {
	l, err := Listen(testPath(t))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), l, newFakeBackend(), nil) }()
	_ = l.Close()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Serve returned nil after its listener failed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after its listener closed")
	}
}

func TestClientDisconnectCancelsBackend(t *testing.T) {
	tests := []struct {
		name string
		call func(c *Client) error
	}{
		{"interactive credentials", func(c *Client) error {
			_, err := c.Credentials(context.Background(), "wait", true)
			return err
		}},
		{"unlock", func(c *Client) error { return c.Unlock(context.Background(), "wait") }},
	}
	s := startServer(t, "", newFakeBackend())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial(t)
			go func() { _ = tc.call(c) }()
			<-s.b.waiting
			_ = c.Close()
			select {
			case err := <-s.b.waited:
				if !errors.Is(err, context.Canceled) {
					t.Errorf("backend call ended with %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the backend call was not cancelled when the client left")
			}
		})
	}
}

func TestClientContext(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	tests := []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), 100*time.Millisecond)
		}, context.DeadlineExceeded},
		{"cancel", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancel)
			return ctx, cancel
		}, context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := s.dial(t)
			ctx, cancel := tc.ctx()
			defer cancel()
			_, err := c.Credentials(ctx, "wait", true)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Credentials = %v, want %v", err, tc.want)
			}
			// The server sees the client go when it closes.
			_ = c.Close()
			if err := <-s.b.waited; !errors.Is(err, context.Canceled) {
				t.Errorf("backend call ended with %v", err)
			}
			<-s.b.waiting
			if err := c.Ping(context.Background()); err == nil {
				t.Error("a connection interrupted mid-request served again")
			}
		})
	}
}

func TestIdleConnectionClosed(t *testing.T) {
	old := idleTimeout
	t.Cleanup(func() { idleTimeout = old }) // after the server stops
	idleTimeout = 100 * time.Millisecond
	s := startServer(t, "", newFakeBackend())
	rc := dialRaw(t, s.path)
	start := time.Now()
	if _, err := rc.r.ReadByte(); !errors.Is(err, io.EOF) {
		t.Errorf("read on an idle connection = %v, want EOF", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("idle connection closed after %v", d)
	}
}

func TestConcurrentClients(t *testing.T) {
	const goroutines, requests = 50, 20
	s := startServer(t, "", newFakeBackend())
	shared := s.dial(t) // half the goroutines share one client
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errs   []error
		failed = func(err error) {
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}
	)
	for g := range goroutines {
		wg.Go(func() {
			c := shared
			if g%2 == 0 {
				var err error
				if c, err = Dial(s.path, 5*time.Second); err != nil {
					failed(err)
					return
				}
				defer c.Close()
			}
			ctx := context.Background()
			for i := range requests {
				var err error
				switch i % 4 {
				case 0, 1:
					var cr credentials.Credentials
					cr, err = c.Credentials(ctx, "dev", false)
					if err == nil && cr.SecretAccessKey.Reveal() != fakeSecret {
						err = fmt.Errorf("wrong secret")
					}
				case 2:
					var ps []ProfileInfo
					ps, err = c.List(ctx)
					if err == nil && len(ps) != 2 {
						err = fmt.Errorf("List = %d profiles", len(ps))
					}
				case 3:
					err = c.Ping(ctx)
				}
				if err != nil {
					failed(fmt.Errorf("goroutine %d request %d: %w", g, i, err))
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
}

func TestNoSecretsInFormatting(t *testing.T) {
	exp := fakeExpiry
	c := Creds{AccessKeyID: fakeKeyID, SecretAccessKey: fakeSecret, SessionToken: fakeToken, Expiration: &exp}
	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	log.Info("creds", "c", c, "p", &c)
	out := []string{
		fmt.Sprintf("%v %+v %#v %s %q %x %d", c, c, c, c, c, c, c),
		fmt.Sprintf("%v %+v %#v", &c, &c, &c),
		fmt.Sprintf("%v %+v", Response{Credentials: &c}, Response{Credentials: &c}),
		logged.String(),
	}
	for _, s := range out {
		if strings.Contains(s, fakeSecret) || strings.Contains(s, fakeToken) {
			t.Errorf("a secret leaked: %s", s)
		}
	}
	if !strings.Contains(out[0], fakeKeyID) {
		t.Errorf("the key ID is missing: %s", out[0])
	}
}

// TestErrorResponseIsOneBoundedLine: an error goes on the wire as one
// line of at most maxMessage bytes (and "…").
func TestErrorResponseIsOneBoundedLine(t *testing.T) {
	long := strings.Repeat("é", maxMessage)
	tests := []struct{ in, want string }{
		{"a\n b\t\tc ", "a b c"},
		{long, long[:maxMessage] + "…"},
	}
	for _, tc := range tests {
		if got := errorResponse(errors.New(tc.in)).Error; got != tc.want {
			t.Errorf("errorResponse(%.20q).Error = %.40q…", tc.in, got)
		}
	}
}
