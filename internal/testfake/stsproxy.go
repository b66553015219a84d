package testfake

import (
	"bytes"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"regexp"
	"sync"
	"testing"
)

// CountingProxy sits in front of moto and counts the AWS actions that pass
// through it (moto's own log does not name them).
type CountingProxy struct {
	URL string

	// mu protects everything below it.
	mu     sync.Mutex
	counts map[string]int
	issued map[string]string // "akid|secret|token" -> the action that issued them
	hook   ActionHook
}

// ActionHook takes one request of action in the proxy's place, after it is
// counted; next passes it on to the target. Serving next to a
// ResponseWriter the client never reads (an httptest.ResponseRecorder) lets
// the target act on a request whose answer the client never hears.
type ActionHook func(action string, w http.ResponseWriter, r *http.Request, next http.Handler)

// OnAction gives every request that follows to hook (nil: pass them on
// again). With a hook set, a request cut short upstream answers 502
// without a log line: a hook that kills or holds the client makes them.
func (p *CountingProxy) OnAction(hook ActionHook) {
	p.mu.Lock()
	p.hook = hook
	p.mu.Unlock()
}

// StartCountingProxy proxies to target (moto's URL) from a free loopback
// port until the test ends.
func StartCountingProxy(t testing.TB, target string) *CountingProxy {
	t.Helper()
	u, l := listenFor(t, target)
	p := &CountingProxy{URL: "http://" + l.Addr().String(), counts: map[string]int{}, issued: map[string]string{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = p.record
	rp.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err error) {
		p.mu.Lock()
		hooked := p.hook != nil
		p.mu.Unlock()
		if !hooked {
			log.Printf("http: proxy error: %v", err) // as httputil's default does
		}
		w.WriteHeader(http.StatusBadGateway)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		action := r.URL.Query().Get("Action")
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			action = v.Get("Action")
		}
		p.mu.Lock()
		p.counts[action]++
		hook := p.hook
		p.mu.Unlock()
		if hook != nil {
			hook(action, w, r, rp)
			return
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return p
}

// Count returns how many requests of action passed.
func (p *CountingProxy) Count(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[action]
}

// Total returns how many requests passed, of all actions.
func (p *CountingProxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.counts {
		n += c
	}
	return n
}

// Counts returns a copy of all counts.
func (p *CountingProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

var (
	reAction = regexp.MustCompile(`<(\w+)Response\b`)
	reAKID   = regexp.MustCompile(`<AccessKeyId>([^<]*)</AccessKeyId>`)
	reSecret = regexp.MustCompile(`<SecretAccessKey>([^<]*)</SecretAccessKey>`)
	reToken  = regexp.MustCompile(`<SessionToken>([^<]*)</SessionToken>`)
)

// record remembers the credentials an answer carries and the action that
// issued them.
func (p *CountingProxy) record(resp *http.Response) error {
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	a, k, s, t := reAction.FindSubmatch(body), reAKID.FindSubmatch(body), reSecret.FindSubmatch(body), reToken.FindSubmatch(body)
	if a != nil && k != nil && s != nil && t != nil {
		p.mu.Lock()
		p.issued[string(k[1])+"|"+html.UnescapeString(string(s[1]))+"|"+html.UnescapeString(string(t[1]))] = string(a[1])
		p.mu.Unlock()
	}
	return nil
}

// IssuedBy returns the action that issued the credentials through this
// proxy ("AssumeRole", "GetFederationToken", …), or "".
func (p *CountingProxy) IssuedBy(akid, secret, token string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.issued[akid+"|"+secret+"|"+token]
}

// listenFor parses a proxy's target and listens on a free loopback port
// for it.
func listenFor(t testing.TB, target string) (*url.URL, net.Listener) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return u, l
}
