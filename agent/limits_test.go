package agent

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// waiter is a raw connection that the server holds, waiting for a request.
type waiter struct {
	name string
	c    net.Conn
}

// openWaiters opens n connections, one after another, each served (a
// ping answered) and waiting for its next request before the next opens,
// so that the server saw them start waiting in that order.
func openWaiters(t *testing.T, srv *server, path string, n int) []waiter {
	t.Helper()
	var ws []waiter
	for i := range n {
		rc := dialRaw(t, path)
		if resp, ok := rc.send([]byte(`{"v":1,"op":"ping"}` + "\n")); !ok || !resp.OK {
			t.Fatalf("waiter %d: ping = %+v, %v", i, resp, ok)
		}
		for end := time.Now().Add(10 * time.Second); waiting(srv) != i+1; time.Sleep(time.Millisecond) {
			if time.Now().After(end) {
				t.Fatalf("waiter %d: the server shows %d connections waiting for a request", i, waiting(srv))
			}
		}
		// Half a request line: a trickling client.
		if _, err := rc.c.Write([]byte(`{"v":1,`)); err != nil {
			t.Fatal(err)
		}
		ws = append(ws, waiter{name: string(rune('A' + i)), c: rc.c})
	}
	return ws
}

// waiting counts the server's connections that wait for a request.
func waiting(s *server) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for c := range s.conns {
		if !c.waitingSince.IsZero() {
			n++
		}
	}
	return n
}

// closedByServer reports whether the server closed c, waiting up to
// timeout for it.
func closedByServer(c net.Conn, timeout time.Duration) (bool, error) {
	_ = c.SetReadDeadline(time.Now().Add(timeout))
	_, err := c.Read(make([]byte, 1))
	switch {
	case errors.Is(err, io.EOF):
		return true, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return false, nil
	}
	return false, err
}

// TestConnectionLimit (issue 10, item 5): the server serves at most
// maxConns connections at once, so leaked or trickling connections cannot
// grow it without end; at the limit, the connection that has waited
// longest for a request (at least evictAfter) is closed for a new one, so
// that a slow client never keeps out one that would be answered at once.
// A connection whose request is being handled is never closed for room.
func TestConnectionLimit(t *testing.T) {
	t.Run("the longest waiter makes room", func(t *testing.T) {
		var srv *server
		s := startServer(t, "", newFakeBackend(), func(s *server) { srv, s.maxConns, s.evictAfter = s, 3, 50*time.Millisecond })
		ws := openWaiters(t, srv, s.path, 3)
		start := time.Now()
		if err := s.dial(t).Ping(context.Background()); err != nil {
			t.Fatalf("a fourth client: %v", err)
		}
		// Well before the idle timeout (10 s): the fourth was served by
		// closing the oldest waiter, not by waiting for it to time out.
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("the fourth client waited %v", d)
		}
		if closed, err := closedByServer(ws[0].c, 5*time.Second); !closed {
			t.Fatalf("the oldest waiter is still open with a fourth client served (%v): the server holds more than maxConns connections", err)
		}
		// The others finish their requests: one eviction per connection.
		for _, w := range ws[1:] {
			_ = w.c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := w.c.Write([]byte(`"op":"ping"}` + "\n")); err != nil {
				t.Fatalf("waiter %s: %v", w.name, err)
			}
			line, err := bufio.NewReader(w.c).ReadString('\n')
			if err != nil || !strings.Contains(line, `"ok":true`) {
				t.Errorf("waiter %s was closed too or not answered: %q, %v", w.name, line, err)
			}
		}
	})

	t.Run("a busy connection is not closed; the next waits for it", func(t *testing.T) {
		b := newFakeBackend()
		b.release = make(chan struct{})
		s := startServer(t, "", b, func(s *server) { s.maxConns, s.evictAfter = 2, 10*time.Millisecond })
		busy := make(chan error, 2)
		for range 2 {
			c := s.dial(t)
			go func() {
				_, err := c.Credentials(context.Background(), "release", false)
				busy <- err
			}()
			<-b.waiting // the request is in the backend
		}
		third := make(chan error, 1)
		go func() {
			c, err := Dial(s.path, 5*time.Second)
			if err == nil {
				err = c.Ping(context.Background())
				_ = c.Close()
			}
			third <- err
		}()
		close(b.release)
		for range 2 {
			if err := <-busy; err != nil {
				t.Errorf("a busy connection's request: %v", err)
			}
		}
		select {
		case err := <-third:
			if err != nil {
				t.Errorf("the client that waited for room: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the client that waited for room was not served once the others were done")
		}
	})

	t.Run("Serve stops while a connection waits for room", func(t *testing.T) {
		b := newFakeBackend()
		s := startServer(t, "", b, func(s *server) { s.maxConns = 1 })
		c := s.dial(t)
		go func() { _, _ = c.Credentials(context.Background(), "wait", true) }()
		<-b.waiting
		// The listen backlog takes the connection; admission waits.
		raw, err := dialSocket(s.path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		s.stop(t) // Serve returns promptly
		if err := <-b.waited; !errors.Is(err, context.Canceled) {
			t.Errorf("the busy call ended with %v", err)
		}
	})
}
