//go:build unix

package main

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// gateProxy forwards to moto, counting requests, and holds the first
// CreateAccessKey until open is called.
type gateProxy struct {
	*testfake.CountingProxy
	arrived chan struct{} // closed when the held request arrives
	gate    chan struct{}

	mu   sync.Mutex // protects held
	held bool
}

func startGateProxy(t *testing.T, target string) *gateProxy {
	t.Helper()
	p := &gateProxy{CountingProxy: testfake.StartCountingProxy(t, target), arrived: make(chan struct{}), gate: make(chan struct{})}
	p.OnAction(func(action string, w http.ResponseWriter, r *http.Request, next http.Handler) {
		p.mu.Lock()
		hold := action == "CreateAccessKey" && !p.held
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
		next.ServeHTTP(w, r)
	})
	return p
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

	before := proxy.Total()
	second := exec.Command(binary(t), "rotate", "kim")
	second.Env, second.Dir = k.s.env, k.s.tmp
	out, err := second.CombinedOutput()
	want := "awstray: a rotation of profile \"kim\" is already running (pid " + strconv.Itoa(first.Process.Pid) + "); nothing was changed\n"
	if err == nil || string(out) != want {
		t.Errorf("the second rotate: %v\n%s\nwant: %s", err, out, want)
	}
	if n := proxy.Total() - before; n != 0 {
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
