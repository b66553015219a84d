// Package browser opens links: the system's browser (OpenURL), a link
// that carries a secret through a one-shot loopback server the browser
// fetches once (ServeOnce, OpenSecretURL), and the console in the browser
// the settings choose — a command, a Firefox container or a Chromium
// profile per AWS profile (Parse, OpenConsole).
package browser

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/awstray/awstray/desktop/internal/spawn"
)

// ErrNoBrowser means nothing was found that opens a URL.
var ErrNoBrowser = errors.New("no browser found")

// OpenURL opens url in the person's browser and returns without waiting
// for the browser. $BROWSER wins when set: a colon-separated list of
// commands, tried in order until one starts, where %s in a command stands
// for the URL (else the URL is its last argument) and %% for a percent
// sign. Then xdg-open (Linux and the BSDs), open (macOS) or
// rundll32 url.dll,FileProtocolHandler (Windows). The URL is in the
// browser's argv, which other processes can read: pass no secret in it
// (see OpenSecretURL).
func OpenURL(ctx context.Context, url string) error {
	return openURL(ctx, runtime.GOOS, url, os.Getenv, exec.LookPath)
}

func openURL(ctx context.Context, goos, url string, getenv func(string) string, lookPath func(string) (string, error)) error {
	cmds := browserCommands(goos, url, getenv)
	var tried []string
	for _, argv := range cmds {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("opening the browser: %w", err)
		}
		path, err := lookPath(argv[0])
		if err != nil {
			tried = append(tried, argv[0])
			continue
		}
		c := exec.Command(path, argv[1:]...)
		c.Env = spawn.Env(os.Environ())
		spawn.Detach(c)
		if err := c.Start(); err != nil {
			tried = append(tried, argv[0])
			continue
		}
		go func() { _ = c.Wait() }() // reap; the browser may run for hours
		return nil
	}
	hint := "install xdg-utils (xdg-open) or set BROWSER"
	switch goos {
	case "darwin":
		hint = "open is missing from PATH; set BROWSER"
	case "windows":
		hint = "rundll32 is missing from PATH; set BROWSER"
	}
	return fmt.Errorf("%w (tried %s): %s", ErrNoBrowser, strings.Join(tried, ", "), hint)
}

// withURL puts u into argv as $BROWSER's convention has it: in place of
// each %s (%% is a %), or as the last argument when no %s is there. It
// changes argv in place.
func withURL(argv []string, u string) []string {
	substituted := false
	for i, f := range argv {
		if strings.Contains(f, "%s") || strings.Contains(f, "%%") {
			substituted = substituted || strings.Contains(f, "%s")
			argv[i] = strings.NewReplacer("%s", u, "%%", "%").Replace(f)
		}
	}
	if !substituted {
		argv = append(argv, u)
	}
	return argv
}

// browserCommands are the argvs OpenURL tries, in order.
func browserCommands(goos, url string, getenv func(string) string) [][]string {
	var cmds [][]string
	if env := getenv("BROWSER"); env != "" {
		for _, entry := range strings.Split(env, ":") {
			fields := strings.Fields(entry)
			if len(fields) == 0 {
				continue
			}
			cmds = append(cmds, withURL(fields, url))
		}
	}
	switch goos {
	case "darwin":
		cmds = append(cmds, []string{"open", url})
	case "windows":
		cmds = append(cmds, []string{"rundll32", "url.dll,FileProtocolHandler", url})
	default:
		cmds = append(cmds, []string{"xdg-open", url})
	}
	return cmds
}

// discardLog keeps the one-shot server's own complaints (a client that
// hung up) off stderr.
var discardLog = log.New(io.Discard, "", 0)

// ErrNotFetched means the browser did not ask for a one-shot URL in time.
var ErrNotFetched = errors.New("the browser did not open the link")

// OneShot serves one redirect to a secret URL on a loopback port, at a path
// with a random 256-bit nonce, once: the first GET of the nonce URL gets
// a 303 to the secret, every later request a 404, and the server stops
// after that answer or at its deadline. So the secret never reaches any
// argv; the nonce URL that does is worthless once used.
type OneShot struct {
	// URL is what to give the browser: http://127.0.0.1:PORT/NONCE.
	URL string

	target string
	nonce  string
	srv    *http.Server
	l      net.Listener

	// mu protects used.
	mu   sync.Mutex
	used bool

	served chan struct{} // closed when the redirect was answered
	done   chan struct{} // closed when the server stopped
	stop   sync.Once
}

// connKey keys the connection of a request in its context.
type connKey struct{}

// ServeOnce starts serving target (a secret URL) once, for at most
// timeout.
func ServeOnce(target string, timeout time.Duration) (*OneShot, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("making a nonce: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	o := &OneShot{
		target: target,
		nonce:  base64.RawURLEncoding.EncodeToString(b),
		l:      l,
		served: make(chan struct{}),
		done:   make(chan struct{}),
	}
	o.URL = "http://" + l.Addr().String() + "/" + o.nonce
	o.srv = &http.Server{
		Handler:           http.HandlerFunc(o.serve),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          discardLog,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	go func() {
		_ = o.srv.Serve(l)
		close(o.done)
	}()
	go func() {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-t.C:
			o.Close()
		case <-o.done:
		}
	}()
	return o, nil
}

func (o *OneShot) serve(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	path := strings.TrimPrefix(r.URL.Path, "/")
	if r.Method != http.MethodGet || subtle.ConstantTimeCompare([]byte(path), []byte(o.nonce)) != 1 {
		http.NotFound(w, r)
		return
	}
	// The nonce is in the browser's command line, which other users can
	// read: a request from another user's socket is refused, and the
	// link stays for the browser.
	if c, ok := r.Context().Value(connKey{}).(net.Conn); !ok || !sameUserPeer(c) {
		http.NotFound(w, r)
		return
	}
	o.mu.Lock()
	first := !o.used
	o.used = true
	o.mu.Unlock()
	if !first {
		http.Error(w, "this awstray link was used already", http.StatusGone)
		return
	}
	w.Header().Set("Location", o.target)
	w.WriteHeader(http.StatusSeeOther)
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	close(o.served)
	go o.Close()
}

// Wait returns nil once the redirect was answered, ErrNotFetched when the
// server stopped first (its deadline, Close), or ctx's error.
func (o *OneShot) Wait(ctx context.Context) error {
	select {
	case <-o.served:
		return nil
	case <-o.done:
		select {
		case <-o.served:
			return nil
		default:
		}
		return ErrNotFetched
	case <-ctx.Done():
		o.Close()
		return ctx.Err()
	}
}

// Close stops serving; the nonce URL answers nothing after it.
func (o *OneShot) Close() {
	o.stop.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = o.srv.Shutdown(ctx) // lets the redirect being written finish
		<-o.done
	})
}

// OpenSecretURL opens target, a URL that must not be seen by other
// processes (the console sign-in link), in the browser: the browser gets
// a one-shot loopback URL that redirects to target once, and OpenSecretURL
// waits until the browser has fetched it, for at most timeout.
func OpenSecretURL(ctx context.Context, target string, timeout time.Duration) error {
	return openSecret(ctx, target, timeout, OpenURL)
}

// openSecret serves target once and has open give its one-shot URL to a
// browser.
func openSecret(ctx context.Context, target string, timeout time.Duration, open func(ctx context.Context, u string) error) error {
	o, err := ServeOnce(target, timeout)
	if err != nil {
		return err
	}
	defer o.Close()
	if err := open(ctx, o.URL); err != nil {
		return err
	}
	if err := o.Wait(ctx); err != nil {
		if errors.Is(err, ErrNotFetched) {
			return fmt.Errorf("%w within %s", ErrNotFetched, timeout)
		}
		return err
	}
	return nil
}
