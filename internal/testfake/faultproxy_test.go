package testfake

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// upstreamXML answers every request with a small query-protocol document
// naming the action.
func upstreamXML(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, "<%sResponse><%sResult><Answer>%s</Answer></%sResult></%sResponse>\n",
			r.Form.Get("Action"), r.Form.Get("Action"), strings.Repeat("x", 64), r.Form.Get("Action"), r.Form.Get("Action"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// post sends a query-protocol request for action, signed at signedAt.
func post(client *http.Client, proxyURL, action string, signedAt time.Time) (*http.Response, []byte, error) {
	req, err := http.NewRequest("POST", proxyURL+"/", strings.NewReader(url.Values{"Action": {action}, "Version": {"2011-06-15"}}.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if !signedAt.IsZero() {
		req.Header.Set("X-Amz-Date", signedAt.UTC().Format("20060102T150405Z"))
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

func TestFaultProxy(t *testing.T) {
	up := upstreamXML(t)
	p := StartFaultProxy(t, up.URL)
	client := &http.Client{Timeout: 2 * time.Second}
	now := time.Now()

	tests := []struct {
		name   string
		fault  Fault
		status int
		body   string // a regexp the body matches
		err    func(error) bool
	}{
		{"none", Fault{}, 200, `^<GetSessionTokenResponse><GetSessionTokenResult><Answer>x{64}<`, nil},
		{"reset", Fault{Kind: FaultReset}, 0, "", func(err error) bool { return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) }},
		{"503", Fault{Kind: FaultStatus}, 503, `<Code>ServiceUnavailable</Code>`, nil},
		{"500", Fault{Kind: FaultStatus, Status: 500}, 500, `<Type>Receiver</Type>\s*<Code>InternalFailure</Code>`, nil},
		{"throttle", Fault{Kind: FaultThrottle}, 400, `<Code>Throttling</Code>\s*<Message>Rate exceeded</Message>`, nil},
		{"html", Fault{Kind: FaultHTML}, 200, `(?s)^<!DOCTYPE html>.*Accept and connect`, nil},
		{"truncate", Fault{Kind: FaultTruncate}, 200, "", func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		{"hang", Fault{Kind: FaultHang}, 0, "", func(err error) bool {
			var ue *url.Error
			return errors.As(err, &ue) && ue.Timeout()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Set("", tt.fault)
			defer p.Clear()
			before := p.Count("GetSessionToken")
			client := client
			if tt.fault.Kind == FaultHang {
				client = &http.Client{Timeout: 300 * time.Millisecond}
			}
			resp, body, err := post(client, p.URL, "GetSessionToken", now)
			if tt.err != nil {
				if err == nil || !tt.err(err) {
					t.Fatalf("got %v, %q; want a %s failure", err, body, tt.name)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != tt.status || !regexp.MustCompile(tt.body).Match(body) {
					t.Fatalf("got %d %q; want %d matching %s", resp.StatusCode, body, tt.status, tt.body)
				}
			}
			if n := p.Count("GetSessionToken") - before; n != 1 {
				t.Fatalf("the proxy counted %d requests, want 1", n)
			}
		})
	}
}

func TestFaultProxyRefuseAndRecover(t *testing.T) {
	p := StartFaultProxy(t, upstreamXML(t).URL)
	client := &http.Client{Timeout: 2 * time.Second}
	// A keep-alive connection is open before the refusal: it is closed,
	// so it carries no request (the client sees EOF or a refusal, as
	// from a server that went away), and new connections are refused.
	if _, _, err := post(client, p.URL, "GetCallerIdentity", time.Time{}); err != nil {
		t.Fatal(err)
	}
	p.Set("", Fault{Kind: FaultRefuse})
	if _, _, err := post(client, p.URL, "GetCallerIdentity", time.Time{}); err == nil {
		t.Fatal("a kept-alive connection was served while refusing")
	}
	fresh := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{}}
	if _, _, err := post(fresh, p.URL, "GetCallerIdentity", time.Time{}); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("while refusing: %v, want connection refused", err)
	}
	p.Clear()
	if resp, _, err := post(client, p.URL, "GetCallerIdentity", time.Time{}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after the refusal: %v", err)
	}
	if n := p.Count("GetCallerIdentity"); n != 2 {
		t.Fatalf("counted %d requests, want 2 (a refused connection carries none)", n)
	}
}

func TestFaultProxyPerAction(t *testing.T) {
	p := StartFaultProxy(t, upstreamXML(t).URL)
	client := &http.Client{Timeout: 2 * time.Second}
	p.Set("AssumeRole", Fault{Kind: FaultStatus})
	for action, want := range map[string]int{"AssumeRole": 503, "GetSessionToken": 200} {
		resp, _, err := post(client, p.URL, action, time.Time{})
		if err != nil || resp.StatusCode != want {
			t.Fatalf("%s: %v %v, want %d", action, resp, err, want)
		}
	}
	// A fault for all actions does not replace an action's own.
	p.Set("", Fault{Kind: FaultThrottle})
	if resp, _, _ := post(client, p.URL, "AssumeRole", time.Time{}); resp == nil || resp.StatusCode != 503 {
		t.Fatalf("AssumeRole under a fault of its own and one for all: %v", resp)
	}
	if resp, _, _ := post(client, p.URL, "GetSessionToken", time.Time{}); resp == nil || resp.StatusCode != 400 {
		t.Fatalf("GetSessionToken under a fault for all: %v", resp)
	}
	if got := p.Counts(); got["AssumeRole"] != 2 || got["GetSessionToken"] != 2 {
		t.Fatalf("counts %v", got)
	}
}

// TestFaultProxySkew: a server whose clock is 20 minutes ahead refuses a
// request signed now as AWS does, and says its time in Date; one within
// the window passes, with the shifted Date.
func TestFaultProxySkew(t *testing.T) {
	p := StartFaultProxy(t, upstreamXML(t).URL)
	client := &http.Client{Timeout: 2 * time.Second}
	for _, tt := range []struct {
		skew   time.Duration
		status int
		msg    string
	}{
		{20 * time.Minute, 403, `<Code>SignatureDoesNotMatch</Code>\s*<Message>Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)</Message>`},
		{-20 * time.Minute, 403, `<Message>Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 5 min\.\)</Message>`},
		{3 * time.Minute, 200, `<GetCallerIdentityResponse>`},
	} {
		t.Run(tt.skew.String(), func(t *testing.T) {
			p.Set("", Fault{Kind: FaultSkew, Skew: tt.skew})
			defer p.Clear()
			resp, body, err := post(client, p.URL, "GetCallerIdentity", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || !regexp.MustCompile(tt.msg).Match(body) {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			date, err := http.ParseTime(resp.Header.Get("Date"))
			if err != nil {
				t.Fatalf("Date %q: %v", resp.Header.Get("Date"), err)
			}
			if off := time.Until(date); off < tt.skew-time.Minute || off > tt.skew+time.Minute {
				t.Fatalf("Date is %s from now, want about %s", off, tt.skew)
			}
		})
	}
}

// TestFaultProxySlowBody: the body trickles, a byte at a time.
func TestFaultProxySlowBody(t *testing.T) {
	p := StartFaultProxy(t, upstreamXML(t).URL)
	p.Set("", Fault{Kind: FaultSlowBody, Every: 20 * time.Millisecond})
	client := &http.Client{Timeout: 300 * time.Millisecond}
	// The headers come at once (the client has a response), the body
	// stalls.
	resp, _, err := post(client, p.URL, "GetSessionToken", time.Time{})
	var ne net.Error
	if resp == nil || !errors.As(err, &ne) || !ne.Timeout() || !strings.Contains(err.Error(), "reading body") {
		t.Fatalf("reading a 100-byte body at 50 bytes a second within 300ms: %v, want a timeout while reading the body", err)
	}
	p.Set("", Fault{Kind: FaultSlowBody, Every: time.Millisecond})
	resp, body, err := post(&http.Client{Timeout: 5 * time.Second}, p.URL, "GetSessionToken", time.Time{})
	if err != nil || resp.StatusCode != 200 || !strings.HasSuffix(string(body), "</GetSessionTokenResponse>\n") {
		t.Fatalf("a fast trickle: %v %q", err, body)
	}
}

// TestFaultProxyJSON: services of the JSON protocols (IAM Identity Center)
// get their errors as JSON with X-Amzn-ErrorType, named by path.
func TestFaultProxyJSON(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"ok":true}`) }))
	t.Cleanup(up.Close)
	p := StartFaultProxy(t, up.URL)
	p.Set("CreateToken", Fault{Kind: FaultThrottle})
	resp, err := http.Post(p.URL+"/token", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 429 || resp.Header.Get("X-Amzn-ErrorType") != "TooManyRequestsException" || string(b) != `{"message":"Rate exceeded"}` {
		t.Fatalf("got %d %q %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b)
	}
	if n := p.Count("CreateToken"); n != 1 {
		t.Fatalf("CreateToken counted %d times", n)
	}
}
