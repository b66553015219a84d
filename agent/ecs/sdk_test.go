package ecs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/testenv"
)

// minter is a Source that mints new fake session credentials on every
// call, as a Source renewing a session would, and remembers them.
type minter struct {
	mu     sync.Mutex
	issued map[string]credentials.Credentials // by access key ID
	order  []string
}

func (m *minter) source(context.Context) (credentials.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.issued == nil {
		m.issued = map[string]credentials.Credentials{}
	}
	c := credentials.Credentials{
		AccessKeyID:     fmt.Sprintf("ASIAMINTED%010d", len(m.order)+1),
		SecretAccessKey: credentials.NewSecret(randomHex(20)),
		SessionToken:    credentials.NewSecret("session-" + randomHex(32)),
		Expires:         time.Now().Add(time.Hour),
	}
	m.issued[c.AccessKeyID] = c
	m.order = append(m.order, c.AccessKeyID)
	return c, nil
}

func (m *minter) lookup(akid string) (credentials.Credentials, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.issued[akid]
	return c, ok
}

func (m *minter) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.order)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// isolateAWSEnv leaves the process no AWS configuration but what a test
// sets: no credentials in the environment, no shared files, no IMDS.
func isolateAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_REGION", "us-east-1")
}

func setEnv(t *testing.T, env []string) {
	t.Helper()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// TestGoSDKLoadsFromEndpoint: config.LoadDefaultConfig, given only the two
// variables, takes its credentials from the endpoint. It also pins how the
// Go SDK caches them: it asks again 5 minutes before the reported expiry,
// so a MaxLifetime under 5 minutes means a request per AWS call.
func TestGoSDKLoadsFromEndpoint(t *testing.T) {
	isolateAWSEnv(t)
	cases := []struct {
		name         string
		max          time.Duration
		wantRequests int64
	}{
		{"cap under the SDK's window", time.Minute, 2},
		{"no cap", 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var m minter
			s := startTest(t, t.Context(), m.source, Options{MaxLifetime: tc.max})
			setEnv(t, s.Env())
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			cfg, err := config.LoadDefaultConfig(ctx)
			if err != nil {
				t.Fatal(err)
			}
			got, err := cfg.Credentials.Retrieve(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want, ok := m.lookup(got.AccessKeyID)
			if !ok || got.SecretAccessKey != want.SecretAccessKey.Reveal() || got.SessionToken != want.SessionToken.Reveal() {
				t.Fatalf("SDK got credentials the source did not give (key %s)", got.AccessKeyID)
			}
			if !got.CanExpire {
				t.Error("SDK sees credentials that never expire")
			}
			if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
				t.Fatal(err)
			}
			if s.Requests() != tc.wantRequests {
				t.Errorf("two Retrieve calls made %d requests, want %d", s.Requests(), tc.wantRequests)
			}
		})
	}
}

// TestGoSDKReportsLockedProfile: the Go SDK reports a locked profile at
// once, with the endpoint's code and message, after one request — no
// retries that would only ask the tray again.
func TestGoSDKReportsLockedProfile(t *testing.T) {
	isolateAWSEnv(t)
	var calls atomic.Int64
	s := startTest(t, t.Context(), func(context.Context) (credentials.Credentials, error) {
		calls.Add(1)
		return credentials.Credentials{}, &credentials.LockedError{Profile: "dev"}
	}, Options{})
	setEnv(t, s.Env())
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Credentials.Retrieve(ctx)
	if err == nil || !strings.Contains(err.Error(), `ProfileLocked: awstray could not get credentials: profile "dev" is locked in the awstray tray`) {
		t.Fatalf("Retrieve = %v, want the locked profile's message", err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("the SDK asked %d times, want once", n)
	}
}

// recorder is the STS client's HTTP client: it notes the key and session
// token each request was signed with.
type recorder struct {
	client *http.Client
	mu     sync.Mutex
	signed [][2]string // access key ID, session token
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	auth := req.Header.Get("Authorization")
	_, rest, _ := strings.Cut(auth, "Credential=")
	akid, _, _ := strings.Cut(rest, "/")
	r.mu.Lock()
	r.signed = append(r.signed, [2]string{akid, req.Header.Get("X-Amz-Security-Token")})
	r.mu.Unlock()
	return r.client.Do(req)
}

// TestGoSDKRefreshesAgainstMoto runs a long-lived client: with a
// MaxLifetime of 2 s, GetCallerIdentity against moto keeps succeeding for
// 6 s while the SDK fetches new credentials whenever the reported ones
// run out, and signs with each new set.
func TestGoSDKRefreshesAgainstMoto(t *testing.T) {
	moto := testenv.StartMoto(t)
	isolateAWSEnv(t)
	var m minter
	s := startTest(t, t.Context(), m.source, Options{MaxLifetime: 2 * time.Second})
	setEnv(t, s.Env())

	// The SDK's 5-minute window would refresh on every call; a short
	// window shows refreshes driven by the reported expiry.
	cfg, err := config.LoadDefaultConfig(t.Context(), config.WithCredentialsCacheOptions(func(o *aws.CredentialsCacheOptions) {
		o.ExpiryWindow = 500 * time.Millisecond
	}))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{client: &http.Client{Timeout: 10 * time.Second}}
	client := sts.NewFromConfig(cfg, func(o *sts.Options) {
		o.BaseEndpoint = aws.String(moto.URL)
		o.HTTPClient = rec
	})

	calls := 0
	for end := time.Now().Add(6 * time.Second); time.Now().Before(end); calls++ {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err != nil {
			t.Fatalf("call %d after %d credential requests: %v", calls, s.Requests(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	keys := map[string]bool{}
	for _, sg := range rec.signed {
		c, ok := m.lookup(sg[0])
		if !ok || c.SessionToken.Reveal() != sg[1] {
			t.Fatalf("request signed with key %q and a token the source never gave", sg[0])
		}
		keys[sg[0]] = true
	}
	n := s.Requests()
	t.Logf("%d calls, %d credential requests, %d keys used", calls, n, len(keys))
	if n < 3 || len(keys) < 3 {
		t.Errorf("%d credential requests and %d keys used, want at least two refreshes", n, len(keys))
	}
	if n != int64(m.count()) {
		t.Errorf("Requests() = %d, source calls %d", n, m.count())
	}
	if n >= int64(calls) {
		t.Errorf("%d credential requests for %d calls: the SDK did not cache", n, calls)
	}
}
