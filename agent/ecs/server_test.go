package ecs

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
)

func fixedSource(c credentials.Credentials) Source {
	return func(context.Context) (credentials.Credentials, error) { return c, nil }
}

func startTest(t *testing.T, ctx context.Context, src Source, opts Options) *Server {
	t.Helper()
	s, err := Start(ctx, src, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fetch sends a GET to the server through a real socket.
func fetch(t *testing.T, s *Server, host, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if host != "" {
		req.Host = host
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestStart(t *testing.T) {
	s := startTest(t, t.Context(), fixedSource(sessionCreds(time.Now().Add(time.Hour))), Options{})

	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" || u.Path != "/" {
		t.Errorf("URL %s, want http://127.0.0.1:PORT/", s.URL())
	}
	if b, err := hex.DecodeString(s.Token()); err != nil || len(b) < 32 {
		t.Errorf("token is not 256 bits of hex: %d characters", len(s.Token()))
	}
	other := startTest(t, t.Context(), fixedSource(credentials.Credentials{}), Options{})
	if other.Token() == s.Token() || other.URL() == s.URL() {
		t.Error("two servers share a token or a port")
	}
	want := []string{EnvFullURI + "=" + s.URL(), EnvToken + "=" + s.Token()}
	if fmt.Sprint(s.Env()) != fmt.Sprint(want) {
		t.Error("Env is not the URI and the token")
	}
	for _, timeout := range []time.Duration{s.srv.ReadHeaderTimeout, s.srv.ReadTimeout, s.srv.WriteTimeout, s.srv.IdleTimeout} {
		if timeout <= 0 {
			t.Errorf("http.Server without a timeout: %+v", s.srv)
		}
	}

	if code, body := fetch(t, s, "", s.Token()); code != 200 || !strings.Contains(body, testAKID) {
		t.Errorf("GET: %d %s", code, body)
	}
	if code, _ := fetch(t, s, "", ""); code != 403 {
		t.Errorf("GET without token: %d", code)
	}
	// A page that rebinds its name to 127.0.0.1 reaches the socket, with
	// its own name in Host.
	if code, _ := fetch(t, s, "evil.example:"+u.Port(), s.Token()); code != 403 {
		t.Errorf("GET with a foreign Host: %d", code)
	}
	if code, _ := fetch(t, s, "localhost:"+u.Port(), s.Token()); code != 200 {
		t.Errorf("GET with Host localhost: %d", code)
	}
	if s.Requests() != 2 {
		t.Errorf("Requests() = %d, want 2", s.Requests())
	}
}

func TestStartRejects(t *testing.T) {
	if _, err := Start(t.Context(), nil, Options{}); err == nil {
		t.Error("started without a source")
	}
	if _, err := Start(t.Context(), fixedSource(credentials.Credentials{}), Options{MaxLifetime: 500 * time.Millisecond}); err == nil {
		t.Error("started with a max lifetime under a second")
	}
	if _, err := Start(t.Context(), fixedSource(credentials.Credentials{}), Options{MaxLifetime: -time.Minute}); err == nil {
		t.Error("started with a negative max lifetime")
	}
}

func TestConcurrentRequests(t *testing.T) {
	var calls atomic.Int64
	s := startTest(t, t.Context(), countingSource(sessionCreds(time.Now().Add(time.Hour)), &calls), Options{MaxLifetime: time.Minute})
	const n = 32
	var wg sync.WaitGroup
	codes := make([]int, n)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", s.URL(), nil)
			req.Header.Set("Authorization", s.Token())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("request %d: %d", i, c)
		}
	}
	if s.Requests() != n || calls.Load() != n {
		t.Errorf("Requests() = %d, source calls %d, want %d", s.Requests(), calls.Load(), n)
	}
}

// portFree reports whether addr can be listened on again.
func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

func hostPort(t *testing.T, s *Server) string {
	t.Helper()
	u, err := url.Parse(s.URL())
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}

func TestCloseFreesPort(t *testing.T) {
	s := startTest(t, t.Context(), fixedSource(sessionCreds(time.Now().Add(time.Hour))), Options{})
	addr := hostPort(t, s)
	if code, _ := fetch(t, s, "", s.Token()); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	if portFree(addr) {
		t.Fatal("port free while serving")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.Done():
	default:
		t.Error("Done not closed after Close returned")
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still accepting after Close")
	}
	if !portFree(addr) {
		t.Error("port still held after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestContextEndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	s := startTest(t, ctx, fixedSource(sessionCreds(time.Now().Add(time.Hour))), Options{})
	addr := hostPort(t, s)
	if code, _ := fetch(t, s, "", s.Token()); code != 200 {
		t.Fatalf("GET: %d", code)
	}
	cancel()
	select {
	case <-s.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server still running 5 s after its context ended")
	}
	if !portFree(addr) {
		t.Error("port still held after the context ended")
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close after the context ended: %v", err)
	}
}

// TestCloseCancelsSource: a Source still working when the server closes
// sees its context end.
func TestCloseCancelsSource(t *testing.T) {
	started := make(chan struct{})
	ended := make(chan struct{})
	s := startTest(t, t.Context(), func(ctx context.Context) (credentials.Credentials, error) {
		close(started)
		<-ctx.Done()
		close(ended)
		return credentials.Credentials{}, ctx.Err()
	}, Options{})
	go func() {
		req, _ := http.NewRequest("GET", s.URL(), nil)
		req.Header.Set("Authorization", s.Token())
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-started
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("source not cancelled by Close")
	}
}

func TestEnviron(t *testing.T) {
	s := startTest(t, t.Context(), fixedSource(credentials.Credentials{}), Options{})
	base := []string{
		"PATH=/usr/bin",
		"AWS_ACCESS_KEY_ID=AKIA",
		"AWS_SECRET_ACCESS_KEY=x",
		"AWS_SESSION_TOKEN=y",
		"AWS_PROFILE=prod",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/abc",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/token",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:1/",
		"AWS_REGION=eu-west-1",
		"AWS_ACCESS_KEY_IDX=kept",
	}
	got := s.Environ(base)
	want := append([]string{"PATH=/usr/bin", "AWS_REGION=eu-west-1", "AWS_ACCESS_KEY_IDX=kept"}, s.Env()...)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Environ\n got %q\nwant %q", got, want)
	}
}
