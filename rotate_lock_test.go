//go:build unix

package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// gateProxy forwards to moto, counting requests, and holds the first
// CreateAccessKey until open is called.
type gateProxy struct {
	URL     string
	arrived chan struct{} // closed when the held request arrives
	gate    chan struct{}

	mu       sync.Mutex // protects requests and held
	requests int
	held     bool
}

func startGateProxy(t *testing.T, target string) *gateProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &gateProxy{URL: "http://" + l.Addr().String(), arrived: make(chan struct{}), gate: make(chan struct{})}
	rp := httputil.NewSingleHostReverseProxy(u)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		v, _ := url.ParseQuery(string(body))
		p.mu.Lock()
		p.requests++
		hold := v.Get("Action") == "CreateAccessKey" && !p.held
		if hold {
			p.held = true
			close(p.arrived)
		}
		p.mu.Unlock()
		if hold {
			select {
			case <-p.gate:
			case <-r.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

func (p *gateProxy) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// TestRotateTwoProcesses: a second `awstray rotate` of a profile while
// another is in the middle of one (held at CreateAccessKey) is refused,
// names the first one's PID and sends nothing to AWS; the first finishes
// and leaves one key, stored and signing; the lock is free afterwards.
func TestRotateTwoProcesses(t *testing.T) {
	moto := testenv.StartMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT=4")
	id, secret, err := moto.CreateUserKey("kim")
	if err != nil {
		t.Fatal(err)
	}
	proxy := startGateProxy(t, moto.URL)
	k := &killEnv{s: newSandbox(t, proxy.URL), motoURL: moto.URL, user: "kim"}
	if err := os.MkdirAll(filepath.Join(k.s.home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.s.home, ".aws", "config"), []byte("[profile kim]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k.s.run(t, id+"\n"+secret+"\n", "add", "kim")

	first, firstErr := k.start(t)
	done := make(chan error, 1)
	go func() { done <- first.Wait() }()
	select {
	case <-proxy.arrived:
	case err := <-done:
		t.Fatalf("the first rotate ended before CreateAccessKey: %v\n%s", err, firstErr)
	case <-time.After(time.Minute):
		t.Fatal("the first rotate did not reach CreateAccessKey within a minute")
	}

	before := proxy.count()
	second := exec.Command(binary(t), "rotate", "kim")
	second.Env, second.Dir = k.s.env, k.s.tmp
	out, err := second.CombinedOutput()
	want := "awstray: a rotation of profile \"kim\" is already running (pid " + strconv.Itoa(first.Process.Pid) + "); nothing was changed\n"
	if err == nil || string(out) != want {
		t.Errorf("the second rotate: %v\n%s\nwant: %s", err, out, want)
	}
	if n := proxy.count() - before; n != 0 {
		t.Errorf("the second rotate sent %d requests to AWS", n)
	}

	close(proxy.gate)
	if err := <-done; err != nil {
		t.Fatalf("the first rotate: %v\n%s", err, firstErr)
	}
	if !regexp.MustCompile(`^rotated the key of kim: \*+[A-Z0-9]{4} replaced by \*+[A-Z0-9]{4}\n$`).MatchString(firstErr.String()) {
		t.Errorf("the first rotate said:\n%s", firstErr)
	}
	// Rotating again is allowed once the first is done, and leaves one key
	// in IAM, stored and signing.
	if _, _, ok := k.settled(t, "a rotate after both"); !ok {
		t.FailNow()
	}
}
