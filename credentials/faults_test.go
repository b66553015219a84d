package credentials

import (
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// TestDescribeFaults calls moto's STS through a proxy that makes each fault
// of a bad network and pins what a person reads, how many requests the
// call made, that retries were spaced, and that the call kept its deadline.
func TestDescribeFaults(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the messages of refused and reset connections are pinned for Linux")
	}
	moto := testenv.StartMoto(t)
	p := testfake.StartFaultProxy(t, moto.URL)
	// A generous deadline, so that retries never depend on how fast moto
	// answers on a loaded machine; the rows about the deadline set 1s.
	const timeout, short = 5 * time.Second, time.Second
	host := `STS at 127\.0\.0\.1:\d+`
	tests := []struct {
		name     string
		fault    testfake.Fault
		want     string // regexp of the whole message
		requests int    // requests that reached the proxy
		spacing  time.Duration
		check    func(t *testing.T, err error)
	}{
		{"refused", testfake.Fault{Kind: testfake.FaultRefuse},
			`^cannot reach AWS: ` + host + ` \(3 attempts\): connection refused$`, 0, 0, nil},
		{"reset", testfake.Fault{Kind: testfake.FaultReset},
			`^cannot reach AWS: ` + host + ` reset the connection \(3 attempts\)$`, 3, retryBase / 2, nil},
		{"hang", testfake.Fault{Kind: testfake.FaultHang},
			`^no answer from AWS within 1s: ` + host + ` sent nothing back$`, 1, 0, nil},
		{"slow body", testfake.Fault{Kind: testfake.FaultSlowBody, Every: 100 * time.Millisecond},
			`^no answer from AWS within 1s: ` + host + ` started answering but did not finish$`, 1, 0, nil},
		{"503", testfake.Fault{Kind: testfake.FaultStatus, Status: 503},
			`^AWS had a problem: STS answered HTTP 503 to all 3 attempts \(ServiceUnavailable: The request has failed due to a temporary failure of the server\.\)$`, 3, retryBase / 2,
			func(t *testing.T, err error) {
				var ae *AWSError
				if !errors.As(err, &ae) || !ae.Transient() || ae.Status != 503 || ae.Attempts != 3 {
					t.Errorf("not a transient *AWSError with status and attempts: %#v", err)
				}
			}},
		{"500", testfake.Fault{Kind: testfake.FaultStatus, Status: 500},
			`^AWS had a problem: STS answered HTTP 500 to all 3 attempts \(InternalFailure: .*\)$`, 3, retryBase / 2, nil},
		{"throttling", testfake.Fault{Kind: testfake.FaultThrottle},
			`^AWS throttled the requests: STS answered HTTP 400 to all 3 attempts \(Throttling: Rate exceeded\); try again in a minute$`, 3, throttleBase / 2,
			func(t *testing.T, err error) {
				var ae *AWSError
				if !errors.As(err, &ae) || !ae.Throttled() || !ae.Transient() {
					t.Errorf("not a throttled *AWSError: %#v", err)
				}
			}},
		{"truncated", testfake.Fault{Kind: testfake.FaultTruncate},
			`^` + host + ` cut its answer short on all 3 attempts \(a flaky network, or a proxy in the way\?\)$`, 3, retryBase / 2, nil},
		{"captive portal", testfake.Fault{Kind: testfake.FaultHTML},
			`^` + host + ` answered with something that is not an AWS response \(HTTP 200, text/html; a captive portal or a proxy\?\)$`, 1, 0, nil},
		{"proxy error page", testfake.Fault{Kind: testfake.FaultHTML, Status: 502},
			`^` + host + ` answered with something that is not an AWS response \(HTTP 502, text/html; a captive portal or a proxy\?\)$`, 3, retryBase / 2, nil},
		{"clock 20 minutes slow", testfake.Fault{Kind: testfake.FaultSkew, Skew: 20 * time.Minute},
			`^your clock is 20 minutes off \(slow\); correct it \(e\.g\. timedatectl set-ntp true\)$`, 1, 0,
			func(t *testing.T, err error) {
				var ce *ClockSkewError
				if !errors.As(err, &ce) || ce.Offset < 19*time.Minute || ce.Offset > 21*time.Minute {
					t.Errorf("not a *ClockSkewError of 20 minutes: %#v", err)
				}
			}},
		{"clock 90 minutes fast", testfake.Fault{Kind: testfake.FaultSkew, Skew: -90 * time.Minute},
			`^your clock is 90 minutes off \(fast\); correct it \(e\.g\. timedatectl set-ntp true\)$`, 1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.Set("", tt.fault)
			defer p.Clear()
			before := p.Count("GetSessionToken")
			timeout := timeout
			if tt.fault.Kind == testfake.FaultHang || tt.fault.Kind == testfake.FaultSlowBody {
				timeout = short
			}
			client := NewSTSClient("us-east-1", p.URL, Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: NewSecret("secret")}, timeout)
			ctx, cancel := context.WithTimeout(context.Background(), timeout) // as the chain calls
			defer cancel()
			start := time.Now()
			_, err := client.GetSessionToken(ctx, &sts.GetSessionTokenInput{})
			took := time.Since(start)
			if err == nil {
				t.Fatal("the call worked through the fault")
			}
			got := describeAWSError(err, timeout)
			if !regexp.MustCompile(tt.want).MatchString(got.Error()) {
				t.Errorf("described as\n  %s\nwant\n  %s", got, tt.want)
			}
			if tt.fault.Kind == testfake.FaultHang && (took < timeout || took > timeout+time.Second) {
				t.Errorf("the call gave up after %s with a %s deadline", took, timeout)
			}
			if took > timeout+time.Second {
				t.Errorf("the call took %s with a %s deadline", took, timeout)
			}
			times := p.Times("GetSessionToken")[before:]
			if len(times) != tt.requests {
				t.Errorf("%d requests reached AWS, want %d", len(times), tt.requests)
			}
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap < tt.spacing {
					t.Errorf("retry %d came %s after the attempt before it, want at least %s", i, gap, tt.spacing)
				}
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// TestDescribeSkewNeedsTheDate: a refused signature is put down to the
// clock only when the server's Date says the clock is off; otherwise it is
// AWS's message (a wrong secret).
func TestDescribeSkewNeedsTheDate(t *testing.T) {
	apiErr := func(code string, date time.Time) error {
		h := http.Header{}
		if !date.IsZero() {
			h.Set("Date", date.UTC().Format(http.TimeFormat))
		}
		return &smithy.OperationError{ServiceID: "STS", OperationName: "GetSessionToken", Err: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 403, Header: h}},
			Err:      &smithy.GenericAPIError{Code: code, Message: "The request signature we calculated does not match"},
		}}
	}
	now := time.Now()
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"a wrong secret", apiErr("SignatureDoesNotMatch", now), `^SignatureDoesNotMatch: The request signature we calculated does not match$`},
		{"no Date", apiErr("SignatureDoesNotMatch", time.Time{}), `^SignatureDoesNotMatch: `},
		{"3 minutes is not the clock", apiErr("SignatureDoesNotMatch", now.Add(3*time.Minute)), `^SignatureDoesNotMatch: `},
		{"a refusal for another reason", apiErr("AccessDenied", now.Add(time.Hour)), `^AccessDenied: `},
		{"slow", apiErr("SignatureDoesNotMatch", now.Add(16*time.Minute+20*time.Second)), `^your clock is 16 minutes off \(slow\); `},
		{"fast", apiErr("RequestTimeTooSkewed", now.Add(-6*time.Minute-40*time.Second)), `^your clock is 7 minutes off \(fast\); `},
		{"a day", apiErr("InvalidSignatureException", now.Add(-24*time.Hour)), `^your clock is 1440 minutes off \(fast\); `},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := describeAWSError(tt.err, time.Second).Error(); !regexp.MustCompile(tt.want).MatchString(got) {
				t.Fatalf("got %q, want %s", got, tt.want)
			}
		})
	}
}

// TestFaultRetryPolicy pins the retry policy: three attempts, backoff with
// equal jitter (never less than half, never more than the cap), a cap
// shortened for short deadlines, and no retry the deadline has no room for.
func TestFaultRetryPolicy(t *testing.T) {
	for attempt := 1; attempt <= 6; attempt++ {
		for _, throttled := range []bool{false, true} {
			want := retryBase
			if throttled {
				want = throttleBase
			}
			for i := 1; i < attempt; i++ {
				want *= 2
			}
			want = min(want, retryCap)
			for i := 0; i < 200; i++ {
				if d := backoffDelay(attempt, throttled, retryCap); d < want/2 || d > want {
					t.Fatalf("attempt %d (throttled %v): backoff %s outside [%s, %s]", attempt, throttled, d, want/2, want)
				}
			}
		}
	}
	r := retryerFor(2 * time.Second)
	if r.MaxAttempts() != 3 {
		t.Fatalf("%d attempts", r.MaxAttempts())
	}
	throttle := &smithy.GenericAPIError{Code: "Throttling"}
	for i := 0; i < 100; i++ {
		if d, _ := r.RetryDelay(5, throttle); d > 500*time.Millisecond {
			t.Fatalf("a 2s deadline allows backoffs of %s, want at most a quarter of it", d)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
	defer cancel()
	if _, err := r.GetRetryToken(ctx, throttle); !errors.Is(err, errNoTimeToRetry) {
		t.Fatalf("a retry with 0.9s left of a 2s deadline: %v, want errNoTimeToRetry", err)
	}
	if _, err := r.GetRetryToken(context.Background(), throttle); err != nil {
		t.Fatalf("a retry without a deadline: %v", err)
	}
	// Many failures in a row never run out of retries (the SDK's quota
	// would, in a tray that lives for weeks).
	for i := 0; i < 1000; i++ {
		release, err := r.GetRetryToken(context.Background(), &smithy.GenericAPIError{Code: "ServiceUnavailable"})
		if err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		_ = release(errors.New("failed again"))
	}
	if !r.IsErrorRetryable(&smithy.DeserializationError{Err: io.ErrUnexpectedEOF}) {
		t.Fatal("a cut-off answer is not retried")
	}
	_ = aws.RetryerV2(r)
}

// TestFaultSSORefreshTransient: IAM Identity Center answering 503, or
// throttling, while the tray renews a sign-in silently is AWS in trouble,
// not the end of the sign-in: the error says so, the profile does not turn
// to "needs sign-in", and the refresh token is kept for when the service
// is back (no new sign-in then).
func TestFaultSSORefreshTransient(t *testing.T) {
	idc := testfake.StartSSO(t, testfake.SSOOptions{AccessTokenTTL: 10 * time.Minute, RoleCredentialsTTL: time.Hour})
	p := testfake.StartFaultProxy(t, idc.URL)
	cfg, err := awsconfig.Parse("config", []byte("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n\n"+
		"[profile dev]\nsso_session = corp\nsso_account_id = 111111111111\nsso_role_name = Developer\n"))
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_ENDPOINT_URL_SSO": p.URL, "AWS_ENDPOINT_URL_SSO_OIDC": p.URL}
	var later time.Duration // how far the tray's clock has moved on
	r := &Resolver{Config: cfg, Store: keystore.NewMemory(), Getenv: func(k string) string { return env[k] },
		Now: func() time.Time { return time.Now().Add(later) }, Options: Options{Timeout: 10 * time.Second},
		SSOLogin: func(ctx context.Context, a DeviceAuth) error {
			// The person approves in the browser.
			resp, err := http.Get(a.URL)
			if err == nil {
				resp.Body.Close()
			}
			return err
		}}
	ctx := context.Background()
	if _, err := r.Retrieve(ctx, Request{Profile: "dev"}); err != nil {
		t.Fatal(err)
	}
	// Six minutes on, the token is inside the renewal window: the tray
	// (no sign-in possible) refreshes it.
	r.SSOLogin = nil
	later = 6 * time.Minute
	idc.Advance(later)
	for _, tt := range []struct {
		fault testfake.Fault
		want  string
	}{
		{testfake.Fault{Kind: testfake.FaultStatus, Status: 503}, `: AWS had a problem: SSO OIDC answered HTTP 503 to all 3 attempts \(ServiceUnavailableException: `},
		{testfake.Fault{Kind: testfake.FaultThrottle}, `: AWS throttled the requests: SSO OIDC answered HTTP 429 to all 3 attempts \(TooManyRequestsException: Rate exceeded\); try again in a minute$`},
	} {
		t.Run(tt.fault.Kind.String(), func(t *testing.T) {
			p.Set("CreateToken", tt.fault)
			defer p.Clear()
			before := p.Count("CreateToken")
			_, err := r.Retrieve(ctx, Request{Profile: "dev", Fresh: true})
			if errors.Is(err, ErrSSOLoginRequired) {
				t.Fatalf("a %s from IAM Identity Center ended the sign-in: %v", tt.fault.Kind, err)
			}
			var ae *AWSError
			if err == nil || !errors.As(err, &ae) || !ae.Transient() || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
				t.Fatalf("got %v, want a transient AWS error matching %s", err, tt.want)
			}
			if n := p.Count("CreateToken") - before; n != 3 {
				t.Fatalf("%d CreateToken requests, want 3", n)
			}
		})
	}
	// The service is back: the kept refresh token renews the sign-in.
	if _, err := r.Retrieve(ctx, Request{Profile: "dev", Fresh: true}); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	if n := idc.Counts(); n.StartDeviceAuthorization != 1 || n.CreateTokenRefresh == 0 {
		t.Fatalf("IAM Identity Center calls %+v: want one sign-in, and a refresh after the fault", n)
	}
}
