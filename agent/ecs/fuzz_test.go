package ecs

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var testHostPort = fmt.Sprintf("127.0.0.1:%d", testPort)

// wantServed is the fuzz oracle, written apart from the handler: the one
// request that may get credentials.
func wantServed(method, path, host string, auth []string) bool {
	p := fmt.Sprint(testPort)
	hostOK := host == "127.0.0.1:"+p || host == "[::1]:"+p || strings.ToLower(host) == "localhost:"+p
	tokenOK := len(auth) == 1 && auth[0] == testToken
	return hostOK && tokenOK && (method == "GET" || method == "HEAD") && path == "/"
}

// checkAnswer holds for every request: 200 exactly when wantServed, 403
// whenever the host or the token is wrong, no secret outside a 200, and
// an error body the SDKs can parse.
func checkAnswer(t *testing.T, h *handler, r *http.Request, served bool) {
	t.Helper()
	before := h.served.Load()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	if (w.Code == http.StatusOK) != served {
		t.Fatalf("status %d for method %q path %q host %q auth %q; served=%v", w.Code, r.Method, r.URL.Path, r.Host, r.Header.Values("Authorization"), served)
	}
	if served {
		if h.served.Load() != before+1 {
			t.Fatal("200 not counted")
		}
		return
	}
	if h.served.Load() != before {
		t.Fatal("refusal counted as served")
	}
	for _, s := range []string{testSecret, testSession, testToken} {
		if strings.Contains(body, s) {
			t.Fatalf("secret in a %d body: %s", w.Code, body)
		}
	}
	var e errorBody
	if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Code == "" || e.Message == "" {
		t.Fatalf("%d body is not a code and a message: %q", w.Code, body)
	}
	p := fmt.Sprint(testPort)
	hostOK := r.Host == "127.0.0.1:"+p || r.Host == "[::1]:"+p || strings.ToLower(r.Host) == "localhost:"+p
	auth := r.Header.Values("Authorization")
	if (!hostOK || len(auth) != 1 || auth[0] != testToken) && w.Code != http.StatusForbidden {
		t.Fatalf("status %d, want 403, for host %q auth %q", w.Code, r.Host, auth)
	}
}

func fuzzHandler() *handler {
	return testHandler(countingSource(sessionCreds(testNow.Add(time.Hour)), new(atomic.Int64)), Options{MaxLifetime: time.Minute})
}

// FuzzHandler feeds arbitrary method, path, Host and Authorization values
// straight to the handler, past anything an HTTP parser would reject.
func FuzzHandler(f *testing.F) {
	p := fmt.Sprint(testPort)
	seeds := []struct {
		method, path, host, auth string
		withAuth                 bool
	}{
		{"GET", "/", "127.0.0.1:" + p, testToken, true},
		{"HEAD", "/", "localhost:" + p, testToken, true},
		{"GET", "/", "[::1]:" + p, testToken, true},
		{"GET", "/", "LOCALHOST:" + p, testToken, true},
		{"GET", "/", "localhoſt:" + p, testToken, true},
		{"GET", "/", "127.0.0.1:" + p, "", false},
		{"GET", "/", "127.0.0.1:" + p, flip(testToken, 0), true},
		{"GET", "/", "127.0.0.1:" + p, testToken + "\x00", true},
		{"GET", "/", "evil.example:" + p, testToken, true},
		{"GET", "/", "", testToken, true},
		{"POST", "/", "127.0.0.1:" + p, testToken, true},
		{"get", "/", "127.0.0.1:" + p, testToken, true},
		{"GET", "", "127.0.0.1:" + p, testToken, true},
		{"GET", "/x", "127.0.0.1:" + p, testToken, true},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.host, s.auth, s.withAuth)
	}
	h := fuzzHandler()
	f.Fuzz(func(t *testing.T, method, path, host, auth string, withAuth bool) {
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path},
			Host:       host,
			Header:     http.Header{},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1,
			ProtoMinor: 1,
			RemoteAddr: "127.0.0.1:50000",
		}
		var values []string
		if withAuth {
			r.Header["Authorization"] = []string{auth}
			values = []string{auth}
		}
		checkAnswer(t, h, r, wantServed(method, path, host, values))
	})
}

// FuzzRawRequest parses arbitrary bytes as a request, as the server does,
// and gives what parses to the handler.
func FuzzRawRequest(f *testing.F) {
	for _, s := range rawSeeds() {
		f.Add([]byte(s.raw))
	}
	h := fuzzHandler()
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		checkAnswer(t, h, r, wantServed(r.Method, r.URL.Path, r.Host, r.Header.Values("Authorization")))
	})
}

type rawSeed struct {
	name, raw string
	status    int
}

func rawSeeds() []rawSeed {
	hp, tok := testHostPort, testToken
	return []rawSeed{
		{"plain", "GET / HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\n\r\n", 200},
		{"lower-case header name", "GET / HTTP/1.1\r\nhost: " + hp + "\r\nauthorization: " + tok + "\r\n\r\n", 200},
		{"absolute form", "GET http://" + hp + "/ HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\n\r\n", 200},
		{"absolute form names another host", "GET http://evil.example/ HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\n\r\n", 403},
		{"HTTP/1.0 without Host", "GET / HTTP/1.0\r\nAuthorization: " + tok + "\r\n\r\n", 403},
		{"foreign Host", "GET / HTTP/1.1\r\nHost: evil.example\r\nAuthorization: " + tok + "\r\n\r\n", 403},
		{"two tokens", "GET / HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\nAuthorization: " + tok + "\r\n\r\n", 403},
		{"token with trailing space", "GET / HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + " x\r\n\r\n", 403},
		{"POST", "POST / HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\nContent-Length: 0\r\n\r\n", 405},
		{"other path", "GET /latest/meta-data/iam/security-credentials/ HTTP/1.1\r\nHost: " + hp + "\r\nAuthorization: " + tok + "\r\n\r\n", 404},
	}
}

// TestRawRequests pins the raw seeds' statuses: a request line naming
// another host overrides Host, and the handler judges that name.
func TestRawRequests(t *testing.T) {
	for _, s := range rawSeeds() {
		t.Run(s.name, func(t *testing.T) {
			r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(s.raw)))
			if err != nil {
				t.Fatal(err)
			}
			w := httptest.NewRecorder()
			fuzzHandler().ServeHTTP(w, r)
			if w.Code != s.status {
				t.Errorf("status %d, want %d: %s", w.Code, s.status, w.Body)
			}
		})
	}
}
