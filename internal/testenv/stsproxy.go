package testenv

import (
	"bytes"
	"html"
	"io"
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

	mu     sync.Mutex
	counts map[string]int
	issued map[string]string // "akid|secret|token" -> the action that issued them
}

// StartCountingProxy proxies to target (moto's URL) from a free loopback
// port until the test ends.
func StartCountingProxy(t testing.TB, target string) *CountingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &CountingProxy{URL: "http://" + l.Addr().String(), counts: map[string]int{}, issued: map[string]string{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = p.record
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		action := r.URL.Query().Get("Action")
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			action = v.Get("Action")
		}
		p.mu.Lock()
		p.counts[action]++
		p.mu.Unlock()
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
