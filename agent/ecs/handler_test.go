package ecs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
)

const (
	testToken   = "5f0c1e9a7b3d42e8a6c4b2f0e8d6c4a2b0f8e6d4c2a0b8f6e4d2c0a8b6f4e2d0"
	testPort    = 40123
	testAKID    = "ASIAEXAMPLEKEY000001"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	testSession = "FwoGZXIvYXdzEXAMPLESESSIONTOKENxyz=="
)

var testNow = time.Date(2030, 5, 6, 7, 8, 9, 500_000_000, time.UTC)

// countingSource returns c and counts its calls.
func countingSource(c credentials.Credentials, calls *atomic.Int64) Source {
	return func(context.Context) (credentials.Credentials, error) {
		calls.Add(1)
		return c, nil
	}
}

func sessionCreds(expires time.Time) credentials.Credentials {
	return credentials.Credentials{
		AccessKeyID:     testAKID,
		SecretAccessKey: credentials.NewSecret(testSecret),
		SessionToken:    credentials.NewSecret(testSession),
		Expires:         expires,
	}
}

func testHandler(src Source, opts Options) *handler {
	h := newHandler(testToken, testPort, src, opts)
	h.now = func() time.Time { return testNow }
	return h
}

// flip changes the byte at i to another hex digit.
func flip(s string, i int) string {
	b := []byte(s)
	if b[i] == '0' {
		b[i] = '1'
	} else {
		b[i] = '0'
	}
	return string(b)
}

// noSecrets fails when body carries a credential or the token.
func noSecrets(t *testing.T, body string) {
	t.Helper()
	for _, s := range []string{testSecret, testSession, testToken, testAKID} {
		if strings.Contains(body, s) {
			t.Errorf("refusal body carries a secret: %s", body)
		}
	}
}

func TestHandlerRefuses(t *testing.T) {
	port := fmt.Sprint(testPort)
	good := "127.0.0.1:" + port
	cases := []struct {
		name   string
		method string
		target string
		host   string
		auth   []string // nil: no Authorization header
		status int
		code   string
	}{
		{"no authorization", "GET", "/", good, nil, 403, "AccessDenied"},
		{"empty token", "GET", "/", good, []string{""}, 403, "AccessDenied"},
		{"wrong token", "GET", "/", good, []string{"not-the-token"}, 403, "AccessDenied"},
		{"first byte differs", "GET", "/", good, []string{flip(testToken, 0)}, 403, "AccessDenied"},
		{"middle byte differs", "GET", "/", good, []string{flip(testToken, len(testToken)/2)}, 403, "AccessDenied"},
		{"last byte differs", "GET", "/", good, []string{flip(testToken, len(testToken)-1)}, 403, "AccessDenied"},
		{"extra byte", "GET", "/", good, []string{testToken + "0"}, 403, "AccessDenied"},
		{"one byte short", "GET", "/", good, []string{testToken[:len(testToken)-1]}, 403, "AccessDenied"},
		{"upper case", "GET", "/", good, []string{strings.ToUpper(testToken)}, 403, "AccessDenied"},
		{"bearer prefix", "GET", "/", good, []string{"Bearer " + testToken}, 403, "AccessDenied"},
		{"token twice", "GET", "/", good, []string{testToken, testToken}, 403, "AccessDenied"},
		{"right and wrong token", "GET", "/", good, []string{"x", testToken}, 403, "AccessDenied"},
		{"host evil.example", "GET", "/", "evil.example", []string{testToken}, 403, "AccessDenied"},
		{"host evil.example with port", "GET", "/", "evil.example:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host other port", "GET", "/", "127.0.0.1:40124", []string{testToken}, 403, "AccessDenied"},
		{"host missing", "GET", "/", "", []string{testToken}, 403, "AccessDenied"},
		{"host without port", "GET", "/", "127.0.0.1", []string{testToken}, 403, "AccessDenied"},
		{"host localhost without port", "GET", "/", "localhost", []string{testToken}, 403, "AccessDenied"},
		{"host other loopback", "GET", "/", "127.0.0.2:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host bracketed v4", "GET", "/", "[127.0.0.1]:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host padded port", "GET", "/", "127.0.0.1:0" + port, []string{testToken}, 403, "AccessDenied"},
		{"host trailing dot", "GET", "/", "localhost.:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host long s", "GET", "/", "localhoſt:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host rebinding subdomain", "GET", "/", "127.0.0.1.evil.example:" + port, []string{testToken}, 403, "AccessDenied"},
		{"host userinfo", "GET", "/", "evil@127.0.0.1:" + port, []string{testToken}, 403, "AccessDenied"},
		{"POST", "POST", "/", good, []string{testToken}, 405, "MethodNotAllowed"},
		{"PUT", "PUT", "/", good, []string{testToken}, 405, "MethodNotAllowed"},
		{"DELETE", "DELETE", "/", good, []string{testToken}, 405, "MethodNotAllowed"},
		{"OPTIONS", "OPTIONS", "/", good, []string{testToken}, 405, "MethodNotAllowed"},
		{"POST without token", "POST", "/", good, nil, 403, "AccessDenied"},
		{"other path", "GET", "/latest/meta-data/", good, []string{testToken}, 404, "NotFound"},
		{"double slash", "GET", "//", good, []string{testToken}, 404, "NotFound"},
		{"encoded slash", "GET", "/%2F", good, []string{testToken}, 404, "NotFound"},
		{"other path without token", "GET", "/creds", good, nil, 403, "AccessDenied"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			h := testHandler(countingSource(sessionCreds(testNow.Add(time.Hour)), &calls), Options{})
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Host = tc.host
			for _, a := range tc.auth {
				r.Header.Add("Authorization", a)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d (body %s)", w.Code, tc.status, w.Body)
			}
			var e map[string]string
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatalf("body is not a JSON object of strings: %v: %s", err, w.Body)
			}
			if len(e) != 2 || e["code"] != tc.code || e["message"] == "" {
				t.Errorf("body %s, want code %q and a message", w.Body, tc.code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if tc.status == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
			noSecrets(t, w.Body.String())
			if calls.Load() != 0 || h.served.Load() != 0 {
				t.Errorf("source called %d times, %d served, on a refused request", calls.Load(), h.served.Load())
			}
		})
	}
}

func TestHandlerServes(t *testing.T) {
	port := fmt.Sprint(testPort)
	cases := []struct {
		name, method, target, host string
	}{
		{"ipv4 host", "GET", "/", "127.0.0.1:" + port},
		{"localhost", "GET", "/", "localhost:" + port},
		{"localhost any case", "GET", "/", "LocalHost:" + port},
		{"ipv6 loopback", "GET", "/", "[::1]:" + port},
		{"query ignored", "GET", "/?x=1", "127.0.0.1:" + port},
		{"absolute form", "GET", "http://127.0.0.1:" + port + "/", "127.0.0.1:" + port},
		{"HEAD", "HEAD", "/", "127.0.0.1:" + port},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			h := testHandler(countingSource(sessionCreds(testNow.Add(time.Hour)), &calls), Options{})
			r := httptest.NewRequest(tc.method, tc.target, nil)
			r.Host = tc.host
			r.Header.Set("Authorization", testToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if cc := w.Header().Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control %q", cc)
			}
			// The exact shape, key by key: boto3 indexes all four.
			var got map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatalf("body: %v: %s", err, w.Body)
			}
			want := map[string]any{
				"AccessKeyId":     testAKID,
				"SecretAccessKey": testSecret,
				"Token":           testSession,
				"Expiration":      "2030-05-06T08:08:09Z",
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("body\n got %v\nwant %v", got, want)
			}
			if calls.Load() != 1 || h.served.Load() != 1 {
				t.Errorf("source called %d times, %d served", calls.Load(), h.served.Load())
			}
		})
	}
}

func TestExpiration(t *testing.T) {
	longTerm := sessionCreds(time.Time{})
	longTerm.SessionToken = credentials.Secret{}
	cases := []struct {
		name    string
		creds   credentials.Credentials
		max     time.Duration
		want    string
		wantTok string
	}{
		{"long-term key, no cap", longTerm, 0, "2030-05-06T08:08:09Z", ""},
		{"long-term key, cap", longTerm, 3 * time.Minute, "2030-05-06T07:11:09Z", ""},
		{"session, no cap", sessionCreds(testNow.Add(11 * time.Hour)), 0, "2030-05-06T18:08:09Z", testSession},
		{"session longer than cap", sessionCreds(testNow.Add(50 * time.Minute)), 3 * time.Minute, "2030-05-06T07:11:09Z", testSession},
		{"session shorter than cap", sessionCreds(testNow.Add(2 * time.Minute)), 3 * time.Minute, "2030-05-06T07:10:09Z", testSession},
		{"other time zone", sessionCreds(time.Date(2030, 5, 6, 10, 0, 0, 0, time.FixedZone("CEST", 2*3600))), 0, "2030-05-06T08:00:00Z", testSession},
		{"fraction dropped", sessionCreds(time.Date(2030, 5, 6, 7, 30, 0, 999_999_999, time.UTC)), 0, "2030-05-06T07:30:00Z", testSession},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var calls atomic.Int64
			h := testHandler(countingSource(tc.creds, &calls), Options{MaxLifetime: tc.max})
			w := get(h, testToken)
			if w.Code != 200 {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			var got response
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Expiration != tc.want || got.Token != tc.wantTok {
				t.Errorf("Expiration %q Token %q, want %q %q", got.Expiration, got.Token, tc.want, tc.wantTok)
			}
			// Token is present even when empty.
			if !bytes.Contains(w.Body.Bytes(), []byte(`"Token":`)) {
				t.Errorf("no Token key: %s", w.Body)
			}
		})
	}
}

func get(h http.Handler, token string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = fmt.Sprintf("127.0.0.1:%d", testPort)
	r.Header.Set("Authorization", token)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestSourceFailures(t *testing.T) {
	cases := []struct {
		name    string
		src     Source
		code    string
		message string
	}{
		{
			"error",
			func(context.Context) (credentials.Credentials, error) {
				return credentials.Credentials{}, errors.New("profile prod is locked:\nunlock it in the tray\r\n")
			},
			"CredentialsUnavailable",
			"awstray could not get credentials: profile prod is locked: unlock it in the tray",
		},
		{
			"timeout",
			func(context.Context) (credentials.Credentials, error) {
				return credentials.Credentials{}, fmt.Errorf("asking the agent: %w", context.DeadlineExceeded)
			},
			"CredentialsUnavailable",
			"awstray timed out getting credentials",
		},
		{
			"long error",
			func(context.Context) (credentials.Credentials, error) {
				return credentials.Credentials{}, errors.New(strings.Repeat("x", 5000))
			},
			"CredentialsUnavailable",
			"awstray could not get credentials: " + strings.Repeat("x", maxMessage) + "…",
		},
		{
			"no key",
			func(context.Context) (credentials.Credentials, error) { return credentials.Credentials{}, nil },
			"CredentialsUnavailable",
			"awstray has no credentials to give",
		},
		{
			"no secret",
			func(context.Context) (credentials.Credentials, error) {
				return credentials.Credentials{AccessKeyID: testAKID, SessionToken: credentials.NewSecret(testSession)}, nil
			},
			"CredentialsUnavailable",
			"awstray has no credentials to give",
		},
		{
			"expired",
			func(context.Context) (credentials.Credentials, error) {
				return sessionCreds(testNow.Add(-time.Minute)), nil
			},
			"CredentialsExpired",
			"awstray has only expired credentials for this session",
		},
		{
			"under a second left",
			func(context.Context) (credentials.Credentials, error) {
				return sessionCreds(testNow.Add(400 * time.Millisecond)), nil
			},
			"CredentialsExpired",
			"awstray has only expired credentials for this session",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := testHandler(tc.src, Options{})
			w := get(h, testToken)
			if w.Code != http.StatusInternalServerError {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if bytes.ContainsAny(w.Body.Bytes(), "\r\n") {
				t.Errorf("body is not one line: %q", w.Body)
			}
			var e errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
				t.Fatal(err)
			}
			if e.Code != tc.code || e.Message != tc.message {
				t.Errorf("got %+v, want %s %q", e, tc.code, tc.message)
			}
			noSecrets(t, w.Body.String())
			if h.served.Load() != 0 {
				t.Error("a failure counted as served")
			}
		})
	}
}

func TestSourceGetsDeadline(t *testing.T) {
	var deadline time.Time
	h := testHandler(func(ctx context.Context) (credentials.Credentials, error) {
		deadline, _ = ctx.Deadline()
		return sessionCreds(testNow.Add(time.Hour)), nil
	}, Options{})
	before := time.Now()
	if w := get(h, testToken); w.Code != 200 {
		t.Fatalf("status %d", w.Code)
	}
	if deadline.IsZero() || deadline.Sub(before) > sourceTimeout+time.Second {
		t.Errorf("source deadline %v, want within %s", deadline, sourceTimeout)
	}
}

// TestLogsNoSecrets serves, refuses and fails with a debug logger: records
// exist, none carries the token or a credential, and nothing is logged
// above debug.
func TestLogsNoSecrets(t *testing.T) {
	var debug, info bytes.Buffer
	logger := slog.New(multiHandler{
		slog.NewTextHandler(&debug, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewJSONHandler(&info, &slog.HandlerOptions{Level: slog.LevelInfo}),
	})
	ok := testHandler(countingSource(sessionCreds(testNow.Add(time.Hour)), new(atomic.Int64)), Options{Log: logger})
	failing := testHandler(func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{}, errors.New("locked")
	}, Options{Log: logger})
	get(ok, testToken)
	get(ok, flip(testToken, 3))
	get(ok, "")
	get(failing, testToken)
	r := httptest.NewRequest("GET", "/", nil)
	r.Host = "evil.example"
	r.Header.Set("Authorization", testToken)
	ok.ServeHTTP(httptest.NewRecorder(), r)

	logs := debug.String()
	if n := strings.Count(logs, "credentials request"); n != 5 {
		t.Errorf("%d debug records, want 5:\n%s", n, logs)
	}
	for _, want := range []string{"status=200", "status=403", "status=500", "outcome=served", `outcome="missing or wrong token"`, `outcome="host not allowed"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
	for _, s := range []string{testSecret, testSession, testToken, flip(testToken, 3)} {
		if strings.Contains(logs, s) {
			t.Errorf("logs carry a secret:\n%s", logs)
		}
	}
	if info.Len() != 0 {
		t.Errorf("logged above debug:\n%s", info.String())
	}
}

// multiHandler sends each record to every handler that takes its level.
type multiHandler []slog.Handler

func (m multiHandler) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range m {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (m multiHandler) Handle(ctx context.Context, r slog.Record) error {
	for _, h := range m {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m multiHandler) WithAttrs(as []slog.Attr) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithAttrs(as)
	}
	return out
}

func (m multiHandler) WithGroup(name string) slog.Handler {
	out := make(multiHandler, len(m))
	for i, h := range m {
		out[i] = h.WithGroup(name)
	}
	return out
}

// TestSourceLocked: a profile locked in the tray is a 423 with the code
// ProfileLocked and what to do, not a 500 the SDKs retry.
func TestSourceLocked(t *testing.T) {
	h := testHandler(func(context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{}, fmt.Errorf("asking the tray: %w", &credentials.LockedError{Profile: "dev"})
	}, Options{})
	w := get(h, testToken)
	if w.Code != http.StatusLocked {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
		t.Fatal(err)
	}
	want := `awstray could not get credentials: profile "dev" is locked in the awstray tray: unlock it there to let this program continue`
	if e.Code != "ProfileLocked" || e.Message != want {
		t.Errorf("got %+v, want ProfileLocked %q", e, want)
	}
	if h.served.Load() != 0 {
		t.Error("a locked profile counted as served")
	}
}
