package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

var seedLines = []string{
	`{"v":1,"op":"ping"}`,
	`{"v":1,"op":"list"}`,
	`{"v":1,"op":"credentials","profile":"dev"}`,
	`{"v":1,"op":"credentials","profile":"static","interactive":true}`,
	`{"v":1,"op":"credentials","profile":"locked"}`,
	`{"v":1,"op":"credentials","profile":"mfa"}`,
	`{"v":1,"op":"credentials","profile":"boom"}`,
	`{"v":1,"op":"credentials","profile":"empty"}`,
	`{"v":1,"op":"unlock","profile":"cancel"}`,
	`{"v":1,"op":"lock","profile":"dev"}`,
	`{"v":1,"op":"credentials","profile":"dev","purpose":"server"}`,
	`{"v":1,"op":"credentials","profile":"dev","command":"exec","program":"terraform"}`,
	`{"v":1,"op":"credentials","profile":"dev","command":"export","program":"a/b"}`,
	`{"v":1,"op":"log"}`,
	`{"v":1,"op":"credentials","profile":"locked","interactive":true,"purpose":"server"}`,
	`{"v":1,"op":"credentials","profile":"dev","purpose":["server"]}`,
	`{"v":2,"op":"ping"}`,
	`{"v":1,"op":"nope"}`,
	`{"V":1,"OP":"credentials","Profile":"dev"}`,
	`{"v":1,"op":"credentials","profile":"dev","profile":"x"}`,
	`{"v":1.0,"op":"credentials","profile":"d\u0065v"}`,
	`[]`, `null`, `"`, "\xff\xfe", "",
	`{"v":1,"op":"federation_token","profile":"dev","command":"console","duration_seconds":3600}`,
	`{"v":1,"op":"federation_token","profile":"guarded","duration_seconds":60}`,
}

func FuzzDecodeRequest(f *testing.F) {
	for _, s := range seedLines {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		req, err := DecodeRequest(line)
		if err != nil {
			var ae *Error
			if !errors.As(err, &ae) || (ae.Code != CodeBadRequest && ae.Code != CodeUnsupportedVersion) || ae.Message == "" {
				t.Fatalf("error %v (%T) is not a bad_request or unsupported_version *Error", err, err)
			}
			if req != (Request{}) {
				t.Fatalf("a failed decode returned %+v", req)
			}
			return
		}
		if req.V != Version {
			t.Fatalf("accepted version %d", req.V)
		}
		switch req.Op {
		case OpPing, OpList, OpLog:
		case OpCredentials, OpUnlock, OpLock, OpFederationToken:
			if req.Profile == "" || len(req.Profile) > maxProfileName {
				t.Fatalf("accepted %s with profile of %d bytes", req.Op, len(req.Profile))
			}
		default:
			t.Fatalf("accepted op %q", req.Op)
		}
		switch {
		case req.Purpose != "" && (req.Purpose != PurposeServer || req.Op != OpCredentials):
			t.Fatalf("accepted purpose %q for %s", req.Purpose, req.Op)
		case req.Purpose == PurposeServer && req.Interactive:
			t.Fatal("a server fetch came out interactive")
		case req.PeerPID != 0:
			t.Fatal("a pid came from the line")
		case req.DurationSeconds != 0 && (req.Op != OpFederationToken || req.DurationSeconds < minFederationSeconds || req.DurationSeconds > maxFederationSeconds):
			t.Fatalf("accepted a duration of %d s for %s", req.DurationSeconds, req.Op)
		case req.Command != "" && (req.Op != OpCredentials && req.Op != OpFederationToken || decodeCommand(json.RawMessage(strconv.Quote(req.Command))) != req.Command):
			t.Fatalf("accepted command %q for %s", req.Command, req.Op)
		case req.Program != "" && (req.Command != CommandExec || strings.ContainsAny(req.Program, "/\\\n\r\x00") || len(req.Program) > maxProgram):
			t.Fatalf("accepted program %q for command %q", req.Program, req.Command)
		}
		// What it accepts survives a round trip.
		b, err := json.Marshal(req)
		if err != nil {
			t.Fatal(err)
		}
		again, err := DecodeRequest(b)
		if err != nil || again != req {
			t.Fatalf("re-decoding %s = %+v, %v; want %+v", b, again, err, req)
		}
	})
}

// fuzzConn is a connection whose client sent input and then closed its
// side; what the server writes is kept.
type fuzzConn struct {
	in *bytes.Reader

	mu  sync.Mutex // protects out
	out bytes.Buffer
}

func (c *fuzzConn) Read(p []byte) (int, error) { return c.in.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}
func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return &net.UnixAddr{Name: "server", Net: "unix"} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return &net.UnixAddr{Name: "client", Net: "unix"} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

// fuzzMaxLine is the server's line limit while fuzzing: low, so that short
// inputs cross it.
const fuzzMaxLine = 300

// splitRequests cuts input as the server does: lines up to max, and a line
// over it ends the conversation.
func splitRequests(in []byte, max int) (lines [][]byte, tooLong bool) {
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		line := in
		if i >= 0 {
			line, in = in[:i], in[i+1:]
		} else {
			in = nil
		}
		if len(line) > max {
			return lines, true
		}
		lines = append(lines, line)
	}
	return lines, false
}

func FuzzServeConn(f *testing.F) {
	f.Add([]byte(strings.Join(seedLines, "\n")))
	f.Add([]byte(seedLines[2] + "\n" + seedLines[10] + "\n" + seedLines[0]))
	f.Add([]byte("\n\n\r\n"))
	f.Add([]byte(`{"v":1,"op":"credentials","profile":"` + strings.Repeat("x", fuzzMaxLine) + `"}` + "\n" + seedLines[2] + "\n"))
	f.Add([]byte(seedLines[2] + "\n" + strings.Repeat("A", fuzzMaxLine+1)))
	s := &server{b: &fakeBackend{}, log: slog.New(slog.DiscardHandler), maxLine: fuzzMaxLine}
	secrets := []string{fakeSecret, fakeToken}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &fuzzConn{in: bytes.NewReader(in)}
		done := make(chan struct{})
		go func() {
			defer close(done)
			s.serveConn(context.Background(), &conn{Conn: c})
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("serveConn did not return")
		}

		lines, tooLong := splitRequests(in, fuzzMaxLine)
		out := c.out.Bytes()
		var responses [][]byte
		for len(out) > 0 {
			i := bytes.IndexByte(out, '\n')
			if i < 0 {
				t.Fatalf("a response without a newline: %q", out)
			}
			responses = append(responses, out[:i])
			out = out[i+1:]
		}
		want := len(lines)
		if tooLong {
			want++
		}
		if len(responses) != want {
			t.Fatalf("%d responses to %d lines (too long: %v)", len(responses), len(lines), tooLong)
		}
		for i, r := range responses {
			var resp Response
			if err := json.Unmarshal(r, &resp); err != nil {
				t.Fatalf("response %d is not JSON: %q", i, r)
			}
			if resp.V != Version || resp.OK == (resp.Code != "") || (!resp.OK && (resp.Error == "" || strings.ContainsAny(resp.Error, "\n\r"))) {
				t.Fatalf("response %d is malformed: %q", i, r)
			}
			var req []byte
			if i < len(lines) {
				req = lines[i]
			}
			valid := false
			if d, err := DecodeRequest(req); err == nil && (d.Op == OpCredentials || d.Op == OpFederationToken) && i < len(lines) {
				valid = true
			}
			for _, secret := range secrets {
				if bytes.Contains(r, []byte(secret)) && !valid && !bytes.Contains(req, []byte(secret)) {
					t.Fatalf("response %d to %q carries a secret: %q", i, req, r)
				}
			}
			if resp.Credentials != nil && !valid {
				t.Fatalf("response %d to %q carries credentials", i, req)
			}
		}
	})
}
