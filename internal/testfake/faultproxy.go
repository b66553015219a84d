package testfake

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// FaultKind is what a FaultProxy does to a request instead of (or on top
// of) passing it on.
type FaultKind int

// The faults a network between awstray and AWS makes.
const (
	// FaultNone passes the request on.
	FaultNone FaultKind = iota
	// FaultRefuse closes the listener: connections are refused (and not
	// counted: no request arrives). All actions only.
	FaultRefuse
	// FaultReset reads the request and resets the connection (TCP RST).
	FaultReset
	// FaultHang reads the request and never answers, until the client
	// gives up or the test ends.
	FaultHang
	// FaultSlowBody sends the upstream answer's headers at once and its
	// body a byte every Fault.Every.
	FaultSlowBody
	// FaultStatus answers Fault.Status (default 503) with an AWS error body.
	FaultStatus
	// FaultThrottle answers as AWS does when a caller is throttled: 400
	// Throttling (query protocol) or 429 TooManyRequestsException (JSON).
	FaultThrottle
	// FaultTruncate sends the first half of the upstream answer with the
	// Content-Length of the whole, then closes the connection.
	FaultTruncate
	// FaultHTML answers Fault.Status (default 200) with a captive portal's
	// HTML page.
	FaultHTML
	// FaultSkew runs the server's clock Fault.Skew away from ours: every
	// answer's Date says so, and a signed request whose X-Amz-Date is more
	// than SkewWindow from the server's time is refused as AWS refuses it.
	FaultSkew
)

var faultNames = [...]string{"none", "refuse", "reset", "hang", "slow body", "status", "throttle", "truncate", "html", "skew"}

func (k FaultKind) String() string {
	if int(k) < len(faultNames) {
		return faultNames[k]
	}
	return fmt.Sprintf("FaultKind(%d)", int(k))
}

// Fault is one fault and its parameters.
type Fault struct {
	Kind   FaultKind
	Status int           // FaultStatus (default 503) and FaultHTML (default 200)
	Skew   time.Duration // FaultSkew: server time minus ours
	Every  time.Duration // FaultSlowBody: the pause between bytes (default 50 ms)
}

// SkewWindow is how far a request's signing time may be from the server's:
// SigV4's five minutes. (STS in practice accepts fifteen — its refusals read
// "… (20160610T014508Z - 15 min.)" — so tests use skews well over both.)
const SkewWindow = 5 * time.Minute

// FaultProxy sits between awstray and an AWS stand-in (moto_server, or the
// IAM Identity Center fake: one proxy per target) and makes the network's
// faults on demand, per AWS action or for all. It counts every request that
// reaches it per action, faulted or not, so tests can pin how often a
// client retries.
type FaultProxy struct {
	// URL is the proxy's endpoint, e.g. http://127.0.0.1:40123; it stays
	// the same across FaultRefuse.
	URL  string
	addr string

	t         testing.TB
	target    *url.URL
	transport *http.Transport
	done      chan struct{} // closed when the test ends: hung requests let go

	// mu protects everything below it.
	mu     sync.Mutex
	srv    *http.Server // nil while refusing
	faults map[string]Fault
	times  map[string][]time.Time
	closed bool
}

// StartFaultProxy proxies to target from a free loopback port until the
// test ends, passing every request on until a fault is set.
func StartFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	u, l := listenFor(t, target)
	p := &FaultProxy{
		URL: "http://" + l.Addr().String(), addr: l.Addr().String(), t: t, target: u,
		transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, ResponseHeaderTimeout: 30 * time.Second},
		done:      make(chan struct{}),
		faults:    map[string]Fault{}, times: map[string][]time.Time{},
	}
	p.serveLocked(l)
	t.Cleanup(p.close)
	return p
}

// Set makes every request of action ("" for all actions without a fault of
// their own) meet f; Fault{} passes them on again. Call it from the test's
// goroutine.
func (p *FaultProxy) Set(action string, f Fault) {
	p.t.Helper()
	if f.Kind == FaultRefuse && action != "" {
		p.t.Fatalf("FaultRefuse is for all actions: a refused connection carries no action")
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if f.Kind == FaultNone {
		delete(p.faults, action)
	} else {
		p.faults[action] = f
	}
	refusing := p.faults[""].Kind == FaultRefuse
	switch {
	case refusing && p.srv != nil:
		// Close drops the listener and every connection, idle keep-alive
		// ones included, so the next request dials and is refused.
		_ = p.srv.Close()
		p.srv = nil
	case !refusing && p.srv == nil && !p.closed:
		l, err := net.Listen("tcp", p.addr)
		if err != nil {
			p.t.Fatalf("listening again on %s after refusing: %v", p.addr, err)
		}
		p.serveLocked(l)
	}
}

// Clear removes every fault.
func (p *FaultProxy) Clear() {
	p.t.Helper()
	p.mu.Lock()
	actions := make([]string, 0, len(p.faults))
	for a := range p.faults {
		actions = append(actions, a)
	}
	p.mu.Unlock()
	for _, a := range actions {
		p.Set(a, Fault{})
	}
}

// Count returns how many requests of action reached the proxy.
func (p *FaultProxy) Count(action string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.times[action])
}

// Times returns when each request of action reached the proxy, in order.
func (p *FaultProxy) Times(action string) []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.times[action]...)
}

// Counts returns the number of requests per action.
func (p *FaultProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.times))
	for a, ts := range p.times {
		out[a] = len(ts)
	}
	return out
}

// WaitCount waits until action has reached n requests and returns the
// count; it fails the test after timeout.
func (p *FaultProxy) WaitCount(action string, n int, timeout time.Duration) int {
	p.t.Helper()
	for end := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		if c := p.Count(action); c >= n {
			return c
		}
		if time.Now().After(end) {
			p.t.Fatalf("%d requests of %s reached the proxy within %s, want %d (all: %v)", p.Count(action), action, timeout, n, p.Counts())
		}
	}
}

func (p *FaultProxy) serveLocked(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	p.srv = srv
	go func() { _ = srv.Serve(l) }()
}

func (p *FaultProxy) close() {
	p.mu.Lock()
	p.closed = true
	srv := p.srv
	p.srv = nil
	p.mu.Unlock()
	close(p.done)
	if srv != nil {
		_ = srv.Close()
	}
	p.transport.CloseIdleConnections()
}

// call is one request as the proxy sees it.
type call struct {
	action string
	query  bool // AWS query protocol (STS, IAM): XML errors
	body   []byte
}

func (p *FaultProxy) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	c := call{body: body}
	c.action, c.query = actionOf(r, body)
	p.mu.Lock()
	p.times[c.action] = append(p.times[c.action], time.Now())
	f, ok := p.faults[c.action]
	if !ok {
		f = p.faults[""]
	}
	p.mu.Unlock()

	switch f.Kind {
	case FaultReset:
		if conn := hijack(w); conn != nil {
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0) // close sends RST, not FIN
			}
			_ = conn.Close()
		}
	case FaultHang:
		if conn := hijack(w); conn != nil {
			gone := make(chan struct{})
			go func() { _, _ = io.Copy(io.Discard, conn); close(gone) }()
			select {
			case <-gone:
			case <-p.done:
			}
			_ = conn.Close()
		}
	case FaultStatus:
		status := f.Status
		if status == 0 {
			status = http.StatusServiceUnavailable
		}
		code, msg := "ServiceUnavailable", "The request has failed due to a temporary failure of the server."
		if status != http.StatusServiceUnavailable {
			code, msg = "InternalFailure", "The request processing has failed because of an unknown error, exception or failure."
		}
		if !c.query {
			code = map[bool]string{true: "ServiceUnavailableException", false: "InternalServerException"}[status == http.StatusServiceUnavailable]
		}
		writeAWSError(w, c, status, "Receiver", code, msg, time.Now())
	case FaultThrottle:
		if c.query {
			writeAWSError(w, c, http.StatusBadRequest, "Sender", "Throttling", "Rate exceeded", time.Now())
		} else {
			writeAWSError(w, c, http.StatusTooManyRequests, "Sender", "TooManyRequestsException", "Rate exceeded", time.Now())
		}
	case FaultHTML:
		status := f.Status
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, captivePortal)
	case FaultSkew:
		p.skewed(w, r, c, f.Skew)
	case FaultTruncate:
		resp, rb, err := p.upstream(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		conn := hijack(w)
		if conn == nil {
			return
		}
		defer conn.Close()
		bw := bufio.NewWriter(conn)
		fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", resp.StatusCode, http.StatusText(resp.StatusCode))
		resp.Header.Set("Content-Length", fmt.Sprint(len(rb)))
		resp.Header.Set("Connection", "close")
		_ = resp.Header.Write(bw)
		_, _ = bw.WriteString("\r\n")
		_, _ = bw.Write(rb[:len(rb)/2])
		_ = bw.Flush()
	case FaultSlowBody:
		resp, rb, err := p.upstream(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		every := f.Every
		if every <= 0 {
			every = 50 * time.Millisecond
		}
		copyHeader(w.Header(), resp.Header)
		w.Header().Set("Content-Length", fmt.Sprint(len(rb)))
		w.WriteHeader(resp.StatusCode)
		fl, _ := w.(http.Flusher)
		for i := range rb {
			if _, err := w.Write(rb[i : i+1]); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			t := time.NewTimer(every)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			case <-p.done:
				t.Stop()
				return
			}
		}
	default:
		p.pass(w, r, body, time.Time{})
	}
}

// skewed answers as a server whose clock is skew away from ours: a
// signature made outside the window is refused with AWS's message; other
// requests pass, with the server's Date.
func (p *FaultProxy) skewed(w http.ResponseWriter, r *http.Request, c call, skew time.Duration) {
	server := time.Now().Add(skew).UTC()
	const stamp = "20060102T150405Z"
	signed, err := time.Parse(stamp, r.Header.Get("X-Amz-Date"))
	if err != nil {
		p.pass(w, r, c.body, server) // not SigV4 (a bearer token): nothing to refuse
		return
	}
	mins := int(SkewWindow / time.Minute)
	var msg string
	switch {
	case signed.Before(server.Add(-SkewWindow)):
		msg = fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - %d min.)",
			signed.Format(stamp), server.Add(-SkewWindow).Format(stamp), server.Format(stamp), mins)
	case signed.After(server.Add(SkewWindow)):
		msg = fmt.Sprintf("Signature not yet current: %s is still later than %s (%s + %d min.)",
			signed.Format(stamp), server.Add(SkewWindow).Format(stamp), server.Format(stamp), mins)
	default:
		p.pass(w, r, c.body, server)
		return
	}
	code := "SignatureDoesNotMatch"
	if !c.query {
		code = "InvalidSignatureException"
	}
	writeAWSError(w, c, http.StatusForbidden, "Sender", code, msg, server)
}

// pass sends the request upstream and its answer back, with date as the
// Date header when it is set.
func (p *FaultProxy) pass(w http.ResponseWriter, r *http.Request, body []byte, date time.Time) {
	resp, rb, err := p.upstream(r, body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	copyHeader(w.Header(), resp.Header)
	if !date.IsZero() {
		w.Header().Set("Date", date.UTC().Format(http.TimeFormat))
	}
	w.Header().Set("Content-Length", fmt.Sprint(len(rb)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(rb)
}

// upstream makes the request to the target and reads the whole answer.
func (p *FaultProxy) upstream(r *http.Request, body []byte) (*http.Response, []byte, error) {
	u := *p.target
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	req, err := http.NewRequestWithContext(r.Context(), r.Method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	copyHeader(req.Header, r.Header)
	req.Host = r.Host // the signature covers it
	resp, err := p.transport.RoundTrip(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	rb, err := io.ReadAll(resp.Body)
	return resp, rb, err
}

var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Content-Length": true,
	"Proxy-Connection": true, "Te": true, "Trailer": true, "Upgrade": true}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if hopHeaders[http.CanonicalHeaderKey(k)] {
			continue
		}
		dst[k] = append([]string(nil), vs...)
	}
}

func hijack(w http.ResponseWriter) net.Conn {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return nil
	}
	return conn
}

// writeAWSError writes an error as the service's protocol does: an
// ErrorResponse document for the query protocol (STS, IAM), JSON with
// X-Amzn-ErrorType for the JSON and REST-JSON ones (IAM Identity Center).
func writeAWSError(w http.ResponseWriter, c call, status int, typ, code, msg string, date time.Time) {
	id := randomHex(16)
	w.Header().Set("Date", date.UTC().Format(http.TimeFormat))
	w.Header().Set("X-Amzn-Requestid", id)
	if c.query {
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(status)
		fmt.Fprintf(w, "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    <Type>%s</Type>\n    <Code>%s</Code>\n    <Message>%s</Message>\n  </Error>\n  <RequestId>%s</RequestId>\n</ErrorResponse>\n",
			typ, code, html.EscapeString(msg), id)
		return
	}
	w.Header().Set("X-Amzn-ErrorType", code)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"message\":%q}", msg)
}

// restActions names the REST operations of IAM Identity Center by path.
var restActions = map[string]string{
	"/token": "CreateToken", "/client/register": "RegisterClient", "/device_authorization": "StartDeviceAuthorization",
	"/federation/credentials": "GetRoleCredentials", "/assignment/accounts": "ListAccounts",
	"/assignment/roles": "ListAccountRoles", "/logout": "Logout",
}

// actionOf names the AWS action of a request: the Action of a query
// protocol form, the operation of X-Amz-Target, or a REST path's operation
// (the path itself when unknown).
func actionOf(r *http.Request, body []byte) (action string, query bool) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if v, err := url.ParseQuery(string(body)); err == nil && v.Get("Action") != "" {
			return v.Get("Action"), true
		}
	}
	if a := r.URL.Query().Get("Action"); a != "" {
		return a, true
	}
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndexByte(t, '.')+1:], false
	}
	if a, ok := restActions[r.URL.Path]; ok {
		return a, false
	}
	return r.Method + " " + r.URL.Path, false
}

// captivePortal is what a hotel's network answers to everything.
const captivePortal = `<!DOCTYPE html>
<html><head><title>Welcome to Hotel WiFi</title></head>
<body><h1>Welcome!</h1><p>Please accept the terms of use to connect to the Internet.</p>
<form method="post" action="/login"><button>Accept and connect</button></form></body></html>
`
