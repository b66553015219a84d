package credentials

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// NewSTSClient returns an STS client for region that signs with creds,
// sends to endpoint when it is set, and gives every attempt a deadline:
// the SDK's default HTTP client waits forever on a server that accepts and
// never answers.
//
// The SDK's clock skew correction is off: it would make the call work
// while the clock stays wrong, and the clock is what awstray compares the
// credentials' expiry with, and what every program it hands them to signs
// with. describeAWSError says how far off the clock is instead.
func NewSTSClient(region, endpoint string, creds Credentials, timeout time.Duration) *sts.Client {
	o := sts.Options{
		Region:                     region,
		Credentials:                staticProvider(creds),
		HTTPClient:                 &http.Client{Timeout: timeout},
		Retryer:                    retryerFor(timeout),
		APIOptions:                 []func(*middleware.Stack) error{recordAttempts},
		DisableClockSkewCorrection: true,
	}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return sts.New(o)
}

// The retry policy of every AWS call, chosen rather than inherited: a
// person waits on most calls, and the tray spaces its own renewals (with
// backoff) on top of these.
const (
	// maxAttempts bounds the requests of one call.
	maxAttempts = 3
	// retryBase is the first backoff after an error; throttling starts
	// higher, since the service asked for less traffic.
	retryBase, throttleBase = 100 * time.Millisecond, 500 * time.Millisecond
	// retryCap is the longest backoff, shortened for short deadlines so
	// that the attempts fit in them.
	retryCap = 2 * time.Second
)

// retryerFor returns the retryer of calls with the given deadline: at most
// maxAttempts attempts, exponential backoff with equal jitter (half fixed,
// so retries are never back to back; half random, so clients that failed
// together do not retry together) capped at retryCap or a quarter of the
// deadline, and no retry that could not finish before the deadline, so the
// error a person reads is AWS's last answer, not a deadline hit while
// waiting. The SDK's retry quota is off: each client serves one call, and
// maxAttempts is the bound. A cut-off answer is retried like a cut
// connection.
func retryerFor(timeout time.Duration) aws.RetryerV2 {
	ceiling := retryCap
	if timeout > 0 {
		ceiling = min(ceiling, max(timeout/4, 10*time.Millisecond))
	}
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	std := retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = maxAttempts
		so.MaxBackoff = ceiling
		so.RateLimiter = ratelimit.None
		so.Retryables = append(so.Retryables, retry.IsErrorRetryableFunc(func(err error) aws.Ternary {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return aws.TrueTernary
			}
			return aws.UnknownTernary
		}))
		so.Backoff = retry.BackoffDelayerFunc(func(attempt int, err error) (time.Duration, error) {
			return backoffDelay(attempt, throttles.IsErrorThrottle(err).Bool(), ceiling), nil
		})
	})
	return &deadlineRetryer{Standard: std, reserve: 2 * ceiling}
}

// backoffDelay is the wait after the attempt-th failed attempt: base
// doubling per attempt up to ceiling, the upper half of it at random.
func backoffDelay(attempt int, throttled bool, ceiling time.Duration) time.Duration {
	d := retryBase
	if throttled {
		d = throttleBase
	}
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

// errNoTimeToRetry stops retries the call's deadline leaves no room for;
// the SDK joins it to the attempt's own error, which is what gets told.
var errNoTimeToRetry = errors.New("no time left before the deadline for another attempt")

// deadlineRetryer is the standard retryer that does not start a retry that
// its backoff and a reasonable attempt could not finish before the deadline.
type deadlineRetryer struct {
	*retry.Standard
	reserve time.Duration // the longest backoff plus as long again for the attempt
}

// GetRetryToken refuses a retry when the context's deadline is within
// reserve.
func (r *deadlineRetryer) GetRetryToken(ctx context.Context, opErr error) (func(error) error, error) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) < r.reserve {
		return nil, errNoTimeToRetry
	}
	return r.Standard.GetRetryToken(ctx, opErr)
}

// attemptsKey is the context key of a call's *attemptLog.
type attemptsKey struct{}

// attemptLog is what recordAttempts learns of one call. The attempts run
// one after another, so it needs no lock.
type attemptLog struct {
	attempts int
	host     string
}

// attemptsError carries the number of attempts a call made, and where
// they went, to describeAWSError.
type attemptsError struct {
	attemptLog
	err error
}

func (e *attemptsError) Error() string { return e.err.Error() }
func (e *attemptsError) Unwrap() error { return e.err }

// recordAttempts counts a call's attempts (inside the retry loop) and
// attaches the count and the endpoint's host to its error.
func recordAttempts(stack *middleware.Stack) error {
	err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("awstray.CallLog",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			log := &attemptLog{}
			out, md, err := next.HandleInitialize(context.WithValue(ctx, attemptsKey{}, log), in)
			if err != nil {
				err = &attemptsError{attemptLog: *log, err: err}
			}
			return out, md, err
		}), middleware.Before)
	if err != nil {
		return err
	}
	// Last in the finalize step: inside the retry loop, after the
	// endpoint is resolved.
	return stack.Finalize.Add(middleware.FinalizeMiddlewareFunc("awstray.CountAttempt",
		func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
			if log, ok := ctx.Value(attemptsKey{}).(*attemptLog); ok {
				log.attempts++
				if req, ok := in.Request.(*smithyhttp.Request); ok && req.URL != nil {
					log.host = req.URL.Host
				}
			}
			return next.HandleFinalize(ctx, in)
		}), middleware.After)
}

func staticProvider(c Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     c.AccessKeyID,
			SecretAccessKey: c.SecretAccessKey.Reveal(),
			SessionToken:    c.SessionToken.Reveal(),
			CanExpire:       c.CanExpire(),
			Expires:         c.Expires,
			Source:          "awstray",
		}, nil
	})
}

func fromSTS(c *ststypes.Credentials) (Credentials, error) {
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return Credentials{}, errors.New("STS answered without credentials")
	}
	return Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: NewSecret(*c.SecretAccessKey),
		SessionToken:    NewSecret(*c.SessionToken),
		Expires:         c.Expiration.UTC(),
	}, nil
}

// AWSError is an error answered by AWS, shown as "Code: message"; answers
// that say AWS is in trouble (5xx) or slowing the caller down (throttling)
// say so, and how many attempts got them.
type AWSError struct {
	Code    string
	Message string
	// Status is the HTTP status of the answer (0 when unknown).
	Status int
	// Service is the SDK's name of the service ("STS"), Attempts the
	// number of requests the call made (0 when unknown).
	Service  string
	Attempts int
	err      error
}

func (e *AWSError) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if !e.Transient() {
		return msg
	}
	who := e.Service
	if who == "" {
		who = "the service"
	}
	answered := who + " answered"
	if e.Status != 0 {
		answered += fmt.Sprintf(" HTTP %d", e.Status)
	}
	answered += toAttempts(e.Attempts) + " (" + msg + ")"
	if e.Throttled() {
		return "AWS throttled the requests: " + answered + "; try again in a minute"
	}
	return "AWS had a problem: " + answered
}

func (e *AWSError) Unwrap() error { return e.err }

// Throttled reports whether AWS asked for fewer requests.
func (e *AWSError) Throttled() bool {
	_, ok := retry.DefaultThrottleErrorCodes[e.Code]
	return ok || e.Status == http.StatusTooManyRequests
}

// Transient reports whether the same request may work later as it is:
// AWS was in trouble or throttling, not refusing the request.
func (e *AWSError) Transient() bool { return e.Throttled() || e.Status >= 500 }

// toAttempts is " to all N attempts" when a call was retried.
func toAttempts(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" to all %d attempts", n)
}

// ClockSkewError means AWS refused a signature because this computer's
// clock is off: its Offset is the server's time minus ours.
type ClockSkewError struct {
	Offset time.Duration
	err    error
}

func (e *ClockSkewError) Error() string {
	n := int(math.Round(math.Abs(e.Offset.Minutes())))
	unit, way := "minutes", "slow"
	if n == 1 {
		unit = "minute"
	}
	if e.Offset < 0 {
		way = "fast"
	}
	return fmt.Sprintf("your clock is %d %s off (%s); correct it (e.g. %s)", n, unit, way, clockFix())
}

func (e *ClockSkewError) Unwrap() error { return e.err }

// clockFix is how a person turns on time synchronisation here.
func clockFix() string {
	switch runtime.GOOS {
	case "windows":
		return "w32tm /resync"
	case "darwin":
		return "sudo sntp -sS time.apple.com"
	}
	return "timedatectl set-ntp true"
}

// skewThreshold is the offset from which a refused signature is put down
// to the clock: the SDK's own threshold (AWS allows 5 minutes, STS 15).
const skewThreshold = 4 * time.Minute

// skewCodes are the codes AWS refuses a signature made at the wrong time
// with.
var skewCodes = map[string]bool{"SignatureDoesNotMatch": true, "RequestTimeTooSkewed": true, "InvalidSignatureException": true,
	"RequestExpired": true, "AuthFailure": true}

// describeAWSError turns an SDK error into one line a person can act on:
// AWS's own code and message (with the status and attempts when AWS was in
// trouble), the clock's offset when a signature was refused for it, or
// what went wrong on the way and where.
func describeAWSError(err error, timeout time.Duration) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	f := factsOf(err)
	var ae smithy.APIError
	if errors.As(err, &ae) && ae.ErrorCode() != "" {
		if !f.date.IsZero() && skewCodes[ae.ErrorCode()] {
			if off := time.Until(f.date); off > skewThreshold || off < -skewThreshold {
				return &ClockSkewError{Offset: off, err: err}
			}
		}
		return &AWSError{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), Status: f.status, Service: f.service, Attempts: f.attempts, err: err}
	}
	var ne net.Error
	var oe *net.OpError
	isOp := errors.As(err, &oe)
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		what := "sent nothing back"
		switch {
		case f.status > 0:
			what = "started answering but did not finish"
		case isOp && oe.Op == "dial":
			what = "did not take the connection"
		}
		return &netError{msg: fmt.Sprintf("no answer from AWS within %s: %s %s", timeout, f.where(), what), err: err}
	}
	var de *smithy.DeserializationError
	if errors.As(err, &de) {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return &netError{msg: fmt.Sprintf("%s cut its answer short%s (a flaky network, or a proxy in the way?)", f.where(), onAttempts(f.attempts)), err: err}
		}
		return &netError{msg: fmt.Sprintf("%s answered with something that is not an AWS response (%s; a captive portal or a proxy?)", f.where(), f.answer()), err: err}
	}
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dnsErr):
		return &netError{msg: fmt.Sprintf("cannot reach AWS: %s does not resolve (offline, or a DNS problem?)", dnsErr.Name), err: err}
	case errors.As(err, &certErr):
		return &netError{msg: fmt.Sprintf("cannot reach AWS: %s showed a certificate this computer does not trust (a captive portal or a TLS-inspecting proxy?)", f.where()), err: err}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &netError{msg: fmt.Sprintf("cannot reach AWS: %s%s: connection refused", f.where(), times(f.attempts)), err: err}
	case errors.Is(err, syscall.ECONNRESET):
		return &netError{msg: fmt.Sprintf("cannot reach AWS: %s reset the connection%s", f.where(), times(f.attempts)), err: err}
	case isOp:
		return &netError{msg: fmt.Sprintf("cannot reach AWS: %s: %v", f.where(), oe.Err), err: err}
	}
	return errShort(err)
}

// netError is a described failure on the way to AWS; it keeps the SDK's
// error for errors.Is and errors.As.
type netError struct {
	msg string
	err error
}

func (e *netError) Error() string { return e.msg }
func (e *netError) Unwrap() error { return e.err }

// onAttempts is " on all N attempts" when a call was retried.
func onAttempts(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" on all %d attempts", n)
}

// times is " (N attempts)" when a call was retried.
func times(n int) string {
	if n < 2 {
		return ""
	}
	return fmt.Sprintf(" (%d attempts)", n)
}

// callFacts is what an SDK error tells of the call that failed.
type callFacts struct {
	service     string // "STS"
	host        string // "sts.us-east-1.amazonaws.com", "127.0.0.1:40123"
	attempts    int
	status      int
	contentType string
	date        time.Time // the Date of the last answer
}

func factsOf(err error) callFacts {
	var f callFacts
	var op *smithy.OperationError
	if errors.As(err, &op) {
		f.service = op.ServiceID
	}
	var al *attemptsError
	if errors.As(err, &al) {
		f.attempts, f.host = al.attempts, al.host
	}
	var me *retry.MaxAttemptsError
	if f.attempts == 0 && errors.As(err, &me) {
		f.attempts = me.Attempt
	}
	var ue *url.Error
	if f.host == "" && errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			f.host = u.Host
		}
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		r := re.Response.Response
		f.status = r.StatusCode
		f.contentType, _, _ = mime.ParseMediaType(r.Header.Get("Content-Type"))
		if d, perr := http.ParseTime(r.Header.Get("Date")); perr == nil {
			f.date = d
		}
		if f.host == "" && r.Request != nil && r.Request.URL != nil {
			f.host = r.Request.URL.Host
		}
	}
	return f
}

// where names the service and its host: "STS at 127.0.0.1:40123".
func (f callFacts) where() string {
	s := f.service
	if s == "" {
		s = "AWS"
	}
	if f.host != "" {
		s += " at " + f.host
	}
	return s
}

// answer describes an answer that is not AWS's: "HTTP 200, text/html".
func (f callFacts) answer() string {
	s := "HTTP " + fmt.Sprint(f.status)
	if f.status == 0 {
		s = "no status"
	}
	if f.contentType != "" {
		s += ", " + f.contentType
	}
	return s
}

// errShort drops the SDK's long operation prefix.
func errShort(err error) error {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}
