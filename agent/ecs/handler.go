package ecs

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/awstray/awstray/credentials"
)

// defaultLifetime is the expiry reported for credentials that never expire
// when no MaxLifetime is set: boto3 rejects an answer without one.
const defaultLifetime = time.Hour

// handler answers the container credentials protocol on GET /.
type handler struct {
	tokenSum    [sha256.Size]byte // the token is compared by its digest: constant time, whatever the length
	ipv4Host    string            // "127.0.0.1:PORT"
	ipv6Host    string            // "[::1]:PORT"
	namedHost   string            // "localhost:PORT", matched without regard to ASCII case
	src         Source
	maxLifetime time.Duration
	log         *slog.Logger
	now         func() time.Time
	served      atomic.Int64 // requests answered with credentials
}

func newHandler(token string, port int, src Source, opts Options) *handler {
	p := strconv.Itoa(port)
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &handler{
		tokenSum:    sha256.Sum256([]byte(token)),
		ipv4Host:    "127.0.0.1:" + p,
		ipv6Host:    "[::1]:" + p,
		namedHost:   "localhost:" + p,
		src:         src,
		maxLifetime: opts.MaxLifetime,
		log:         log,
		now:         time.Now,
	}
}

// response is the answer every SDK reads. Token and Expiration are always
// present: boto3 raises KeyError without them.
type response struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	Expiration      string `json:"Expiration"`
}

// errorBody is the error shape the SDKs parse and print.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status, outcome := h.serve(w, r)
	path := ""
	if r.URL != nil {
		path = r.URL.Path
	}
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "credentials request",
		slog.String("method", clip(r.Method)),
		slog.String("path", clip(path)),
		slog.Int("status", status),
		slog.String("outcome", outcome))
}

// serve answers r and returns the status and a short outcome for the log.
// The order matters: nothing past the Host and token checks is reachable
// without both, so a refused caller learns only "refused".
func (h *handler) serve(w http.ResponseWriter, r *http.Request) (int, string) {
	if !h.hostAllowed(r.Host) {
		writeError(w, http.StatusForbidden, "AccessDenied", "request refused")
		return http.StatusForbidden, "host not allowed"
	}
	if !h.tokenMatches(r.Header.Values("Authorization")) {
		writeError(w, http.StatusForbidden, "AccessDenied", "request refused")
		return http.StatusForbidden, "missing or wrong token"
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "only GET is allowed")
		return http.StatusMethodNotAllowed, "method not allowed"
	}
	if r.URL == nil || r.URL.Path != "/" {
		writeError(w, http.StatusNotFound, "NotFound", "no such path")
		return http.StatusNotFound, "no such path"
	}

	ctx, cancel := context.WithTimeout(r.Context(), sourceTimeout)
	defer cancel()
	c, err := h.src(ctx)
	var le *credentials.LockedError
	switch {
	case errors.As(err, &le):
		// A 4xx, as the credentials are withheld on purpose and asking
		// again soon will not help: the Go SDK reports a 4xx at once, where
		// it retries a 5xx (three attempts, and the AWS call's own retries
		// fetch again); boto3 tries any failure three times, a second
		// apart. Both print the code and the message.
		writeError(w, http.StatusLocked, "ProfileLocked", lockedMessage(le.Profile))
		return http.StatusLocked, "profile locked"
	case err != nil:
		writeError(w, http.StatusInternalServerError, "CredentialsUnavailable", publicMessage(err))
		return http.StatusInternalServerError, "source failed"
	}
	if c.AccessKeyID == "" || c.SecretAccessKey.IsZero() {
		writeError(w, http.StatusInternalServerError, "CredentialsUnavailable", "awstray has no credentials to give")
		return http.StatusInternalServerError, "source returned no key"
	}
	now := h.now()
	exp := h.expiration(c, now)
	if !exp.After(now) {
		writeError(w, http.StatusInternalServerError, "CredentialsExpired", "awstray has only expired credentials for this session")
		return http.StatusInternalServerError, "source returned expired credentials"
	}
	body, _ := json.Marshal(response{ // a struct of strings always marshals
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey.Reveal(),
		Token:           c.SessionToken.Reveal(),
		Expiration:      exp.Format(time.RFC3339),
	})
	setCommonHeaders(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	h.served.Add(1)
	return http.StatusOK, "served"
}

// expiration is the expiry to report: the real one, capped at
// now+maxLifetime; for credentials that never expire, now+maxLifetime or
// now+defaultLifetime. In UTC, whole seconds (RFC 3339 without fraction).
func (h *handler) expiration(c credentials.Credentials, now time.Time) time.Time {
	limit := defaultLifetime
	if h.maxLifetime > 0 {
		limit = h.maxLifetime
	}
	exp := now.Add(limit)
	if c.CanExpire() && (h.maxLifetime <= 0 || c.Expires.Before(exp)) {
		exp = c.Expires
	}
	return exp.UTC().Truncate(time.Second)
}

// hostAllowed accepts only loopback names with the server's port: a page
// that rebinds its own domain to 127.0.0.1 sends its domain in Host and is
// refused, even with the right token.
func (h *handler) hostAllowed(host string) bool {
	return host == h.ipv4Host || host == h.ipv6Host || asciiEqualFold(host, h.namedHost)
}

// tokenMatches compares the one Authorization value with the token through
// their SHA-256 digests, so neither the content nor the length of the token
// shows in the time taken.
func (h *handler) tokenMatches(values []string) bool {
	if len(values) != 1 {
		return false
	}
	got := sha256.Sum256([]byte(values[0]))
	return subtle.ConstantTimeCompare(got[:], h.tokenSum[:]) == 1
}

// asciiEqualFold is strings.EqualFold for ASCII only: Unicode folding would
// let "localhoſt" (long s) pass for "localhost".
func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lowerASCII(a[i]) != lowerASCII(b[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func setCommonHeaders(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	body, _ := json.Marshal(errorBody{Code: code, Message: message}) // strings always marshal
	setCommonHeaders(w)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// maxMessage bounds the error text passed on to the child.
const maxMessage = 300

// publicMessage is the one-line text of a Source error for the child's SDK
// to print. Source errors carry no secrets (see Source); this only keeps
// them to one short line.
func publicMessage(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "awstray timed out getting credentials"
	}
	var b strings.Builder
	b.WriteString("awstray could not get credentials: ")
	n := 0
	space := false
	for _, r := range err.Error() {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			space = true
			continue
		}
		if n >= maxMessage {
			b.WriteString("…")
			break
		}
		if space && n > 0 {
			b.WriteByte(' ')
			n++
		}
		space = false
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// lockedMessage says what to do about a locked profile, in the words of
// the program's SDK error.
func lockedMessage(profile string) string {
	return publicMessage(fmt.Errorf("profile %q is locked in the awstray tray: unlock it there to let this program continue", profile))
}

// clip bounds a caller-supplied value before it is logged.
func clip(s string) string {
	const limit = 64
	if len(s) <= limit {
		return s
	}
	return strings.ToValidUTF8(s[:limit], "") + "…"
}
