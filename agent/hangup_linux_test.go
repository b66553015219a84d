//go:build linux

package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net"
	"testing"
	"time"
)

// dialUnix connects to the server's socket as nc or socat would, without
// the Client, so that the test can half-close.
func dialUnix(t *testing.T, path string) *net.UnixConn {
	t.Helper()
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	return c
}

// TestHalfCloseIsNotAHangUp: a client that shuts down its writing side
// after its request (nc -N, socat, shutdown(SHUT_WR)) gets the answer; the
// backend call is not cancelled as if the client had gone. A client that
// closes for good — at once, or after a half-close — has its call
// cancelled.
func TestHalfCloseIsNotAHangUp(t *testing.T) {
	b := newFakeBackend()
	b.release = make(chan struct{})
	eof := make(chan struct{}, 10)
	s := startServer(t, "", b, func(s *server) { s.sawEOF = func() { eof <- struct{}{} } })
	wait := func(what string, ch <-chan struct{}) {
		t.Helper()
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
		}
	}

	t.Run("half-close", func(t *testing.T) {
		c := dialUnix(t, s.path)
		if _, err := c.Write([]byte(`{"v":1,"op":"credentials","profile":"release"}` + "\n")); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		<-b.waiting
		// The server has read the half-close and judged it: a cancel
		// would have come before this.
		wait("EOF seen by the server", eof)
		close(b.release)
		line, err := bufio.NewReader(c).ReadBytes('\n')
		if err != nil {
			t.Fatalf("no answer after a half-close: %v", err)
		}
		var resp Response
		if err := json.Unmarshal(line, &resp); err != nil {
			t.Fatalf("answer %q: %v", line, err)
		}
		if !resp.OK || resp.Credentials == nil || resp.Credentials.AccessKeyID != fakeKeyID {
			t.Fatalf("answer after a half-close = %+v, want credentials", resp)
		}
	})

	cancelled := func(t *testing.T) {
		t.Helper()
		select {
		case err := <-b.waited:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("backend call ended with %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the backend call was not cancelled when the client left")
		}
	}
	t.Run("close", func(t *testing.T) {
		c := dialUnix(t, s.path)
		if _, err := c.Write([]byte(`{"v":1,"op":"credentials","profile":"wait"}` + "\n")); err != nil {
			t.Fatal(err)
		}
		<-b.waiting
		_ = c.Close()
		cancelled(t)
		wait("EOF seen by the server", eof)
	})
	t.Run("half-close then close", func(t *testing.T) {
		c := dialUnix(t, s.path)
		if _, err := c.Write([]byte(`{"v":1,"op":"credentials","profile":"wait"}` + "\n")); err != nil {
			t.Fatal(err)
		}
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		<-b.waiting
		wait("EOF seen by the server", eof)
		_ = c.Close()
		cancelled(t)
	})
}
