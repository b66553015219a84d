package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/internal/usage"
)

// Backend is what the agent serves; the tray adapts its credentials.Manager.
// Its errors should come from the credentials package, so that the client
// gets a Code it can act on.
type Backend interface {
	// Credentials returns the credentials of req.Profile for a valid
	// OpCredentials request: req.Interactive allows a dialog (an MFA
	// code, an unlock) in the tray; req.Purpose says who asks
	// (PurposeServer: a running `exec --server` endpoint).
	Credentials(ctx context.Context, req Request) (credentials.Credentials, error)
	// Unlock unlocks the profile, with a dialog in the tray if needed.
	Unlock(ctx context.Context, profile string) error
	// Lock forgets the profile's credentials.
	Lock(profile string) error
	// Profiles lists the profiles and their states.
	Profiles() []ProfileInfo
}

// UsageSource is a Backend that keeps the usage record, for OpLog; a
// Backend without it answers OpLog with no records.
type UsageSource interface {
	Usage() []usage.Record
}

// Federator is a Backend that makes console sign-in credentials of IAM
// user profiles, for OpFederationToken; a Backend without it answers that
// op as an unknown one, as an older tray does.
type Federator interface {
	// FederationToken makes a federation token for req.Profile, an IAM
	// user, lasting req.DurationSeconds (0: the default). req.Command says
	// who asks, as for Credentials.
	FederationToken(ctx context.Context, req Request) (credentials.Credentials, error)
}

// Timeouts of the server; variables so that tests can shorten them.
var (
	// idleTimeout bounds the wait for the next request line.
	idleTimeout = 10 * time.Second
	// writeTimeout bounds writing a response to a client that does not read.
	writeTimeout = 10 * time.Second
	// interactiveTimeout bounds a request that may wait for the person.
	interactiveTimeout = 5 * time.Minute
	// silentTimeout bounds a request that may not: a renewal from STS, a
	// credential_process.
	silentTimeout = time.Minute
	// acceptRetryMax is the longest pause after a failed Accept.
	acceptRetryMax = time.Second
)

// Connection limits. Every connection holds a goroutine, a read buffer and
// up to MaxLine of a request line: without a bound, a program that leaks
// connections (or trickles them) grows the tray without end.
const (
	// defaultMaxConns is how many connections are served at once; the
	// next waits in the listen backlog until one ends or is evicted.
	defaultMaxConns = 256
	// defaultEvictAfter: at the limit, the connection that has waited
	// longest for its next request line is closed once it has waited this
	// long. A client writes its request as it connects, so one that says
	// nothing for this long is stuck, leaked or trickling, and must not
	// keep out a client that would be answered at once.
	defaultEvictAfter = 500 * time.Millisecond
)

// aLongTimeAgo is a deadline in the past, to wake a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// Serve answers requests on l with b until ctx ends, one goroutine per
// connection. A connection from another user is closed without an answer
// and logged. When ctx ends Serve closes l and every connection, cancels
// the backend calls under way, waits for their goroutines and returns nil;
// it returns an error if l fails otherwise. A nil log logs nothing.
func Serve(ctx context.Context, l net.Listener, b Backend, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &server{b: b, log: log, maxLine: MaxLine}
	return s.serve(ctx, l)
}

// conn is a served connection and what admission needs to know of it.
type conn struct {
	net.Conn
	// The fields below are protected by server.mu.
	waitingSince time.Time // since when it waits for a request line; zero while one is handled
	evicted      bool      // closed to make room: its read deadline is in the past
	closing      bool      // evicted and not yet gone nor handling a request that came in time
	pid          int       // the peer's process, as the system reports it; 0: unknown. Set before serveConn.
}

// serve is Serve with the server's settings made.
func (s *server) serve(ctx context.Context, l net.Listener) error {
	log := s.log
	if s.maxConns <= 0 {
		s.maxConns = defaultMaxConns
	}
	if s.evictAfter <= 0 {
		s.evictAfter = defaultEvictAfter
	}
	s.conns = map[*conn]struct{}{}
	s.changed = make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = l.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer func() {
		cancel() // closes the connections and cancels their backend calls
		wg.Wait()
	}()
	var pause time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return errors.New("agent listener closed")
			}
			// Out of file descriptors and the like: wait and try again,
			// as net/http does.
			pause = min(max(2*pause, 5*time.Millisecond), acceptRetryMax)
			log.Warn("agent: accepting a connection failed", "err", err, "retry_in", pause)
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		pause = 0
		cs, ok := s.admit(ctx, c)
		if !ok {
			_ = c.Close()
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.release(cs)
			defer c.Close()
			if err := checkPeer(c); err != nil {
				log.Warn("agent: refused a connection", "err", err)
				return
			}
			cs.pid = peerPID(c)
			s.serveConn(ctx, cs)
		}()
	}
}

// admit waits until c may be served: fewer than maxConns connections are
// open, or one that has waited evictAfter for a request is closed to make
// room (one at a time: the oldest waiter). It returns false if ctx ends
// first. Only the accept loop calls it.
func (s *server) admit(ctx context.Context, c net.Conn) (*conn, bool) {
	cs := &conn{Conn: c}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		var due <-chan time.Time
		s.mu.Lock()
		if len(s.conns) < s.maxConns {
			s.conns[cs] = struct{}{}
			s.mu.Unlock()
			return cs, true
		}
		if victim, wait := s.evictableLocked(time.Now()); victim != nil {
			victim.evicted, victim.closing = true, true
			s.closing++
			_ = victim.SetReadDeadline(aLongTimeAgo)
			s.log.Debug("agent: closing a connection that has waited long for a request, to serve another",
				"waited", time.Since(victim.waitingSince).Round(time.Millisecond), "open", len(s.conns))
		} else if wait > 0 {
			if timer == nil {
				timer = time.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			due = timer.C
		}
		s.mu.Unlock()
		select {
		case <-s.changed:
		case <-due:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// evictableLocked returns the connection to close for a new one, if one
// has waited evictAfter for a request, or else how long until the oldest
// waiter will have (0: none waits, wait for a change). While an evicted
// connection is still closing it returns neither: one eviction per slot.
func (s *server) evictableLocked(now time.Time) (*conn, time.Duration) {
	if s.closing > 0 {
		return nil, 0
	}
	var oldest *conn
	for c := range s.conns {
		if !c.evicted && !c.waitingSince.IsZero() && (oldest == nil || c.waitingSince.Before(oldest.waitingSince)) {
			oldest = c
		}
	}
	if oldest == nil {
		return nil, 0
	}
	if wait := oldest.waitingSince.Add(s.evictAfter).Sub(now); wait > 0 {
		return nil, wait
	}
	return oldest, 0
}

// release forgets a connection that ended.
func (s *server) release(cs *conn) {
	s.mu.Lock()
	delete(s.conns, cs)
	if cs.closing {
		cs.closing = false
		s.closing--
	}
	s.mu.Unlock()
	s.signal()
}

// signal wakes admit, if it waits, to look again.
func (s *server) signal() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

// waitRequest marks cs as waiting for its next request line and sets the
// idle deadline; false if cs was evicted. The deadline is set under mu so
// that an eviction's past deadline is never overwritten.
func (s *server) waitRequest(cs *conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cs.evicted {
		return false
	}
	now := time.Now()
	cs.waitingSince = now
	_ = cs.SetReadDeadline(now.Add(idleTimeout))
	if len(s.conns) >= s.maxConns {
		s.signal() // admit may be waiting for a waiter
	}
	return true
}

// handling marks cs as handling a request: not to be evicted. A request
// read just as it was evicted is still answered and the connection closes
// after; as that may take minutes (a dialog), admit may meanwhile evict
// another.
func (s *server) handling(cs *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs.waitingSince = time.Time{}
	if cs.closing {
		cs.closing = false
		s.closing--
		s.signal()
	}
}

// server answers the requests of its connections.
type server struct {
	b       Backend
	log     *slog.Logger
	maxLine int // MaxLine; the fuzz test lowers it to reach the limit often
	// sawEOF, when set, is called when a call's watcher reads EOF, before
	// it looks for a hang-up: tests wait for it instead of sleeping.
	sawEOF func()
	// maxConns and evictAfter: defaultMaxConns and defaultEvictAfter
	// unless a test sets them.
	maxConns   int
	evictAfter time.Duration

	// mu protects conns, closing and the admission fields of each conn.
	mu      sync.Mutex
	conns   map[*conn]struct{} // the connections being served
	closing int                // evicted connections still closing
	// changed wakes admit (1-buffered): a connection ended, or began to
	// wait for a request.
	changed chan struct{}
}

// serveConn answers c's requests in turn until c ends, a line is too long,
// c is evicted or ctx ends. The caller closes c.
func (s *server) serveConn(ctx context.Context, cs *conn) {
	c := cs.Conn
	stop := context.AfterFunc(ctx, func() { _ = c.Close() })
	defer stop()
	r := bufio.NewReader(c)
	for {
		if !s.waitRequest(cs) {
			return
		}
		line, err := readLine(r, s.maxLine)
		if errors.Is(err, errLineTooLong) {
			// The rest of the line is still coming: answer, then hang up.
			_ = s.write(c, errorResponse(&Error{Code: CodeBadRequest, Message: fmt.Sprintf("request is longer than the limit of %d bytes", s.maxLine)}))
			return
		}
		if err != nil {
			return // EOF, idle, closed, evicted
		}
		s.handling(cs)
		start := time.Now()
		req, err := DecodeRequest(line)
		var resp Response
		if err != nil {
			resp = errorResponse(err)
		} else {
			req.PeerPID = cs.pid
			resp = s.handle(ctx, c, r, req)
		}
		s.log.Debug("agent request", "op", req.Op, "profile", req.Profile, "interactive", req.Interactive,
			"purpose", req.Purpose, "ok", resp.OK, "code", resp.Code, "took", time.Since(start))
		if err := s.write(c, resp); err != nil {
			return
		}
	}
}

// handle answers one valid request.
func (s *server) handle(ctx context.Context, c net.Conn, r *bufio.Reader, req Request) Response {
	switch req.Op {
	case OpPing:
		return Response{V: Version, OK: true}
	case OpList:
		return Response{V: Version, OK: true, Profiles: s.b.Profiles()}
	case OpLog:
		resp := Response{V: Version, OK: true}
		if u, ok := s.b.(UsageSource); ok {
			resp.Usage = u.Usage()
		}
		return resp
	case OpLock:
		if err := s.b.Lock(req.Profile); err != nil {
			return errorResponse(err)
		}
		return Response{V: Version, OK: true}
	case OpUnlock:
		return s.call(ctx, c, r, interactiveTimeout, func(ctx context.Context) Response {
			if err := s.b.Unlock(ctx, req.Profile); err != nil {
				return errorResponse(err)
			}
			return Response{V: Version, OK: true}
		})
	case OpCredentials:
		timeout := silentTimeout
		if req.Interactive {
			timeout = interactiveTimeout
		}
		return s.call(ctx, c, r, timeout, func(ctx context.Context) Response {
			return credentialsResponse(s.b.Credentials(ctx, req))
		})
	case OpFederationToken:
		f, ok := s.b.(Federator)
		if !ok {
			break
		}
		// Interactive: a guarded profile's question waits for the person.
		return s.call(ctx, c, r, interactiveTimeout, func(ctx context.Context) Response {
			return credentialsResponse(f.FederationToken(ctx, req))
		})
	}
	// DecodeRequest lets no other op through; a Backend that is no
	// Federator serves one op less, as an older tray does.
	return errorResponse(&Error{Code: CodeBadRequest, Message: msgUnknownOp})
}

// credentialsResponse answers a backend call that made credentials.
func credentialsResponse(creds credentials.Credentials, err error) Response {
	if err != nil {
		return errorResponse(err)
	}
	if creds.AccessKeyID == "" {
		return errorResponse(errors.New("the tray returned no credentials"))
	}
	return Response{V: Version, OK: true, Credentials: toWire(creds)}
}

// call runs a backend call that may take long (an STS call, a dialog
// waiting for the person) while watching c: if the client hangs up, the
// call's context is cancelled. A client that only closed its writing side
// after the request (nc -N, socat, shutdown(SHUT_WR)) still waits for the
// answer: that is not a hang-up (see peerHungUp). The read deadline is
// lifted meanwhile; it bounds reading a request, not the backend.
func (s *server) call(ctx context.Context, c net.Conn, r *bufio.Reader, timeout time.Duration, fn func(context.Context) Response) Response {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_ = c.SetReadDeadline(time.Time{})
	finished := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		// Peek consumes nothing: a request sent early stays for the loop.
		// A reset means the client is gone; a deadline means call is
		// done; EOF may be either a hang-up or a half-close.
		_, err := r.Peek(1)
		switch {
		case err == nil, errors.Is(err, os.ErrDeadlineExceeded):
		case errors.Is(err, io.EOF):
			if s.sawEOF != nil {
				s.sawEOF()
			}
			if peerHungUp(c, finished) {
				cancel()
			}
		default:
			cancel()
		}
	}()
	resp := fn(ctx)
	close(finished)
	_ = c.SetReadDeadline(aLongTimeAgo)
	<-watched
	if !resp.OK && errors.Is(ctx.Err(), context.DeadlineExceeded) && resp.Code == CodeError {
		resp.Error = "the agent gave up waiting after " + timeout.String()
	}
	return resp
}

// write sends one response line.
func (s *server) write(c net.Conn, resp Response) error {
	b, err := json.Marshal(resp)
	if err != nil { // cannot happen: plain strings, times and slices
		b, _ = json.Marshal(errorResponse(err))
	}
	b = append(b, '\n')
	_ = c.SetWriteDeadline(time.Now().Add(writeTimeout))
	_, err = c.Write(b)
	return err
}

// errorResponse maps an error to a failed Response. The message is the
// error's own, on one line: the credentials package keeps secrets out of
// its errors.
func errorResponse(err error) Response {
	resp := Response{V: Version, Code: CodeError, Error: oneline.Max(err.Error(), maxMessage)}
	var (
		ae *Error
		le *credentials.LockedError
		re *RefusedError
		ue *awsconfig.UnknownProfileError
	)
	switch {
	case errors.As(err, &ae):
		resp.Code = ae.Code
	case errors.As(err, &re):
		// The refusal says it all; what the tray did around it does not
		// help the person at the terminal.
		resp.Code, resp.Error = CodeRefused, re.Error()
	case errors.As(err, &ue):
		resp.Code = CodeUnknownProfile
	case errors.As(err, &le):
		resp.Code = CodeLocked
	case errors.Is(err, credentials.ErrCancelled):
		resp.Code = CodeCancelled
	case errors.Is(err, credentials.ErrMFARequired):
		resp.Code = CodeMFARequired
	case errors.Is(err, credentials.ErrSSOLoginRequired):
		resp.Code = CodeSignInRequired
	}
	if resp.Error == "" {
		resp.Error = resp.Code
	}
	return resp
}
