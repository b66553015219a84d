// Package ecs serves credentials to a child process over the container
// credentials protocol (AWS_CONTAINER_CREDENTIALS_FULL_URI with
// AWS_CONTAINER_AUTHORIZATION_TOKEN), the endpoint behind
// `awstray exec --server`. The AWS SDKs in a long-running child ask it again
// before the credentials it reported expire, so the child never holds more
// than one session and outlives the session it started with.
//
// The package owns the listener, the token and the HTTP contract: loopback
// only, a random port, a 256-bit token compared in constant time, a Host
// check against DNS rebinding, and answers in the shape every SDK reads
// (boto3 needs Token and Expiration in every answer). Where the credentials
// come from, and how often they are renewed, is the caller's Source.
package ecs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/awstray/awstray/credentials"
)

// Source returns the credentials to serve. It is called once per request,
// concurrently when requests overlap; caching, renewal and deduplication are
// the Source's own. Its error text reaches the child (the SDKs print it), so
// it must never contain a secret. A *credentials.LockedError is answered
// 423 Locked with the code ProfileLocked, which the SDKs report rather than
// retry; other errors 500 CredentialsUnavailable.
type Source func(ctx context.Context) (credentials.Credentials, error)

// Options tunes a Server; the zero value is usable.
type Options struct {
	// MaxLifetime, when set (a second or more), caps the Expiration
	// reported to the child at now+MaxLifetime, so SDKs come back sooner
	// than the real expiry and see a session the caller renewed in the
	// meantime. Credentials without an expiry are reported as expiring
	// after MaxLifetime, or after an hour when it is zero.
	//
	// The Go SDK asks again 5 minutes before the reported expiry, boto3
	// 10 to 15 minutes before: under those, every AWS call of the child
	// asks the endpoint again.
	MaxLifetime time.Duration

	// Log receives one debug record per request (method, path, status,
	// reason; never a credential or the token). Nil discards.
	Log *slog.Logger
}

// Server is a running credentials endpoint on 127.0.0.1.
type Server struct {
	url     string
	token   string
	handler *handler
	srv     *http.Server
	done    chan struct{} // closed when Serve has returned

	closeOnce sync.Once
	closeErr  error // set once by closeOnce
}

// Timeouts of the HTTP server. sourceTimeout bounds one Source call; SDK
// clients give up sooner anyway (boto3 after 2 s per attempt).
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	sourceTimeout     = time.Minute
	writeTimeout      = sourceTimeout + 5*time.Second
	idleTimeout       = time.Minute
	maxHeaderBytes    = 16 << 10
)

// tokenBytes is the token's entropy: 256 bits, 64 hex digits.
const tokenBytes = 32

// Start listens on a random port of 127.0.0.1 with a fresh random token and
// serves src until ctx ends or Close is called.
func Start(ctx context.Context, src Source, opts Options) (*Server, error) {
	if src == nil {
		return nil, errors.New("starting credentials endpoint: no source")
	}
	if opts.MaxLifetime != 0 && opts.MaxLifetime < time.Second {
		return nil, fmt.Errorf("starting credentials endpoint: max lifetime %s is under a second", opts.MaxLifetime)
	}
	token, err := newToken()
	if err != nil {
		return nil, fmt.Errorf("starting credentials endpoint: %w", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting credentials endpoint: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	h := newHandler(token, port, src, opts)
	s := &Server{
		url:     "http://127.0.0.1:" + strconv.Itoa(port) + "/",
		token:   token,
		handler: h,
		done:    make(chan struct{}),
	}
	s.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(h.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln) // always an error; ErrServerClosed after Close
	}()
	go func() {
		select {
		case <-ctx.Done():
			_ = s.Close()
		case <-s.done:
		}
	}()
	return s, nil
}

func newToken() (string, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generating token: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// URL is the endpoint, http://127.0.0.1:PORT/: the value of
// AWS_CONTAINER_CREDENTIALS_FULL_URI.
func (s *Server) URL() string { return s.url }

// Token is the value the child must send in the Authorization header: the
// value of AWS_CONTAINER_AUTHORIZATION_TOKEN. It is a secret.
func (s *Server) Token() string { return s.token }

// Handler is the server's HTTP handler, for tests that need no socket.
func (s *Server) Handler() http.Handler { return s.handler }

// Requests is the number of requests answered with credentials so far
// (GET and HEAD alike).
func (s *Server) Requests() int64 { return s.handler.served.Load() }

// Done is closed once the server has stopped and its port is free, after
// Close or when the context given to Start ends.
func (s *Server) Done() <-chan struct{} { return s.done }

// Close stops the server at once: the listener and open connections close,
// and requests in flight see their context cancelled. It waits until the
// port is free and may be called more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		if err := s.srv.Close(); err != nil {
			s.closeErr = fmt.Errorf("closing credentials endpoint: %w", err)
		}
		<-s.done
	})
	return s.closeErr
}
