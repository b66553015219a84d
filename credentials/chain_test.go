package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// fakeSTS records calls and mints credentials named after what made them,
// so a test can tell which credentials signed which call.
type fakeSTS struct {
	mu    sync.Mutex
	calls []string // "GetSessionToken by AKID mfa=CODE dur=N" / "AssumeRole ROLE by AKID mfa=CODE dur=N"
	n     int
	now   func() time.Time
	fail  error
	// badCode is an MFA code STS rejects, as AWS does a wrong one.
	badCode string
}

func (f *fakeSTS) check(code *string) error {
	if f.fail != nil {
		return f.fail
	}
	if f.badCode != "" && aws.ToString(code) == f.badCode {
		return &smithy.GenericAPIError{Code: "AccessDenied", Message: "MultiFactorAuthentication failed with invalid MFA one time pass code."}
	}
	return nil
}

func (f *fakeSTS) factory(region, endpoint string, creds Credentials) STSAPI {
	return &fakeClient{f: f, signer: creds}
}

type fakeClient struct {
	f      *fakeSTS
	signer Credentials
}

func (f *fakeSTS) mint(dur int32) *ststypes.Credentials {
	f.n++
	exp := f.now().Add(time.Duration(dur) * time.Second)
	return &ststypes.Credentials{
		AccessKeyId:     aws.String(fmt.Sprintf("ASIATEMP%012d", f.n)),
		SecretAccessKey: aws.String(fmt.Sprintf("secret-%d", f.n)),
		SessionToken:    aws.String(fmt.Sprintf("token-%d", f.n)),
		Expiration:      &exp,
	}
}

func (c *fakeClient) GetSessionToken(_ context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.calls = append(c.f.calls, fmt.Sprintf("GetSessionToken by %s mfa=%s dur=%d", c.signer.AccessKeyID, aws.ToString(in.TokenCode), aws.ToInt32(in.DurationSeconds)))
	if err := c.f.check(in.TokenCode); err != nil {
		return nil, err
	}
	return &sts.GetSessionTokenOutput{Credentials: c.f.mint(aws.ToInt32(in.DurationSeconds))}, nil
}

func (c *fakeClient) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	role := aws.ToString(in.RoleArn)
	role = role[strings.LastIndex(role, "/")+1:]
	c.f.calls = append(c.f.calls, fmt.Sprintf("AssumeRole %s by %s mfa=%s dur=%d", role, c.signer.AccessKeyID, aws.ToString(in.TokenCode), aws.ToInt32(in.DurationSeconds)))
	if err := c.f.check(in.TokenCode); err != nil {
		return nil, err
	}
	return &sts.AssumeRoleOutput{Credentials: c.f.mint(aws.ToInt32(in.DurationSeconds))}, nil
}

func (f *fakeSTS) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

const chainConfig = `
[profile user]
region = us-east-1
mfa_serial = arn:aws:iam::111111111111:mfa/me

[profile plain]

[profile r1]
source_profile = user
role_arn = arn:aws:iam::111111111111:role/r1

[profile r2]
source_profile = r1
role_arn = arn:aws:iam::222222222222:role/r2
external_id = ext

[profile long]
source_profile = user
role_arn = arn:aws:iam::111111111111:role/long
duration_seconds = 14400

[profile self]
source_profile = self
role_arn = arn:aws:iam::111111111111:role/self

[profile plainrole]
source_profile = plain
role_arn = arn:aws:iam::111111111111:role/pr
`

type harness struct {
	r     *Resolver
	sts   *fakeSTS
	store *keystore.Store
	clock time.Time
	codes int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	cfg, err := awsconfig.Parse("config", []byte(chainConfig))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{store: keystore.NewMemory(), clock: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	h.sts = &fakeSTS{now: func() time.Time { return h.clock }}
	h.r = &Resolver{
		Config: cfg,
		Store:  h.store,
		NewSTS: h.sts.factory,
		Now:    func() time.Time { return h.clock },
		MFA: func(_ context.Context, profile, serial string) (string, error) {
			h.codes++
			return fmt.Sprintf("%06d", h.codes), nil
		},
	}
	for _, p := range []string{"user", "plain", "self"} {
		if err := SaveKey(h.store, p, "AKIA"+strings.ToUpper(p)+"KEY000000000", NewSecret("secret-of-"+p+"-0123456789")); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

func (h *harness) get(t *testing.T, req Request) Credentials {
	t.Helper()
	c, err := h.r.Retrieve(context.Background(), req)
	if err != nil {
		t.Fatalf("Retrieve(%s): %v", req.Profile, err)
	}
	return c
}

func eq(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("STS calls:\n got: %q\nwant: %q", got, want)
	}
}

func TestChainCalls(t *testing.T) {
	tests := []struct {
		name    string
		req     Request
		want    []string
		codes   int
		expires time.Duration
	}{
		{"user session with MFA", Request{Profile: "user"}, []string{"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800"}, 1, 8 * time.Hour},
		{"role on an MFA session: one code, none on AssumeRole", Request{Profile: "r1"}, []string{
			"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
			"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600"}, 1, time.Hour},
		{"two levels deep", Request{Profile: "r2"}, []string{
			"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
			"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600",
			"AssumeRole r2 by ASIATEMP000000000002 mfa= dur=3600"}, 1, time.Hour},
		{"role over an hour: straight from the key with MFA", Request{Profile: "long"}, []string{
			"AssumeRole long by AKIAUSERKEY000000000 mfa=000001 dur=14400"}, 1, 4 * time.Hour},
		{"no-session role: from the key, MFA on AssumeRole", Request{Profile: "r1", NoSession: true}, []string{
			"AssumeRole r1 by AKIAUSERKEY000000000 mfa=000001 dur=3600"}, 1, time.Hour},
		{"role sourcing itself", Request{Profile: "self"}, []string{
			"GetSessionToken by AKIASELFKEY000000000 mfa= dur=28800",
			"AssumeRole self by ASIATEMP000000000001 mfa= dur=3600"}, 0, time.Hour},
		{"duration flag on the target session", Request{Profile: "plain", Duration: 2 * time.Hour}, []string{
			"GetSessionToken by AKIAPLAINKEY000000000 mfa= dur=7200"}, 0, 2 * time.Hour},
		{"duration flag over 1 h on a chained role is capped", Request{Profile: "r2", Duration: 3 * time.Hour}, []string{
			"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
			"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600",
			"AssumeRole r2 by ASIATEMP000000000002 mfa= dur=3600"}, 1, time.Hour},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			c := h.get(t, tc.req)
			eq(t, h.sts.take(), tc.want...)
			if h.codes != tc.codes {
				t.Errorf("asked for %d MFA codes, want %d", h.codes, tc.codes)
			}
			if got := c.Expires.Sub(h.clock); got != tc.expires {
				t.Errorf("expires in %s, want %s", got, tc.expires)
			}
			// The second call is served from the keyring.
			h.get(t, tc.req)
			eq(t, h.sts.take())
		})
	}
}

func TestNoSessionUserGivesTheKey(t *testing.T) {
	h := newHarness(t)
	c := h.get(t, Request{Profile: "plain", NoSession: true})
	eq(t, h.sts.take())
	if c.AccessKeyID != "AKIAPLAINKEY000000000" || c.CanExpire() || !c.SessionToken.IsZero() {
		t.Fatalf("got %+v, want the long-term key", c)
	}
}

func TestSharedBaseSession(t *testing.T) {
	h := newHarness(t)
	h.get(t, Request{Profile: "r1"})
	h.get(t, Request{Profile: "r2"})
	h.get(t, Request{Profile: "user"})
	eq(t, h.sts.take(),
		"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
		"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600",
		"AssumeRole r2 by ASIATEMP000000000002 mfa= dur=3600")
	if h.codes != 1 {
		t.Fatalf("asked for %d MFA codes, want 1", h.codes)
	}
}

func TestRefreshBeforeExpiry(t *testing.T) {
	h := newHarness(t)
	h.get(t, Request{Profile: "r1"})
	h.sts.take()
	// 54 min later the role has 6 min left: still served from the cache.
	h.clock = h.clock.Add(54 * time.Minute)
	h.get(t, Request{Profile: "r1"})
	eq(t, h.sts.take())
	// At 56 min it is inside the 5 min window: the role is renewed from
	// the still-valid base session, with no new MFA code.
	h.clock = h.clock.Add(2 * time.Minute)
	h.get(t, Request{Profile: "r1"})
	eq(t, h.sts.take(), "AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
	// After the base session is gone, a new code is needed.
	h.clock = h.clock.Add(8 * time.Hour)
	h.get(t, Request{Profile: "r1"})
	eq(t, h.sts.take(),
		"GetSessionToken by AKIAUSERKEY000000000 mfa=000002 dur=28800",
		"AssumeRole r1 by ASIATEMP000000000004 mfa= dur=3600")
}

func TestConfigChangeInvalidatesCache(t *testing.T) {
	h := newHarness(t)
	h.get(t, Request{Profile: "r2"})
	h.sts.take()
	cfg, err := awsconfig.Parse("config", []byte(strings.Replace(chainConfig, "external_id = ext", "external_id = other", 1)))
	if err != nil {
		t.Fatal(err)
	}
	h.r.Config = cfg
	h.get(t, Request{Profile: "r2"})
	eq(t, h.sts.take(), "AssumeRole r2 by ASIATEMP000000000002 mfa= dur=3600")
}

func TestChainErrors(t *testing.T) {
	apiErr := &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform: sts:AssumeRole"}
	t.Run("sts error shows AWS's code and message", func(t *testing.T) {
		h := newHarness(t)
		h.sts.fail = apiErr
		_, err := h.r.Retrieve(context.Background(), Request{Profile: "plainrole"})
		want := `getting a session for profile "plain": AccessDenied: User is not authorized to perform: sts:AssumeRole`
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %s", err, want)
		}
		var ae *AWSError
		if !errors.As(err, &ae) || ae.Code != "AccessDenied" {
			t.Fatalf("error is not an *AWSError: %#v", err)
		}
	})
	t.Run("assume role error", func(t *testing.T) {
		h := newHarness(t)
		h.get(t, Request{Profile: "plain"})
		h.sts.fail = apiErr
		_, err := h.r.Retrieve(context.Background(), Request{Profile: "plainrole"})
		want := "assuming role arn:aws:iam::111111111111:role/pr: AccessDenied: User is not authorized to perform: sts:AssumeRole"
		if err == nil || err.Error() != want {
			t.Fatalf("got %v, want %s", err, want)
		}
	})
	t.Run("no key", func(t *testing.T) {
		h := newHarness(t)
		if err := RemoveKey(h.store, "plain"); err != nil {
			t.Fatal(err)
		}
		_, err := h.r.Retrieve(context.Background(), Request{Profile: "plainrole"})
		if !errors.Is(err, ErrNoKey) || err.Error() != `no key stored for profile "plain" (add one with: awstray add plain)` {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("mfa prompt cancelled loses nothing", func(t *testing.T) {
		h := newHarness(t)
		h.r.MFA = func(context.Context, string, string) (string, error) { return "", context.Canceled }
		if _, err := h.r.Retrieve(context.Background(), Request{Profile: "r1"}); !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v", err)
		}
		eq(t, h.sts.take())
		if _, err := StoredAccessKeyID(h.store, "user"); err != nil {
			t.Fatalf("the key is gone after a cancelled prompt: %v", err)
		}
	})
	t.Run("failed refresh keeps the key and the old session", func(t *testing.T) {
		h := newHarness(t)
		h.get(t, Request{Profile: "plain"})
		h.sts.take()
		h.clock = h.clock.Add(9 * time.Hour)
		h.sts.fail = apiErr
		if _, err := h.r.Retrieve(context.Background(), Request{Profile: "plain"}); err == nil {
			t.Fatal("want an error")
		}
		st, err := ReadKeyringState(h.store, h.clock.Add(-9*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !st["plain"].StoredKey || st["plain"].SessionExpires.IsZero() {
			t.Fatalf("keyring lost something: %+v", st["plain"])
		}
	})
}

func TestClearSessions(t *testing.T) {
	h := newHarness(t)
	h.get(t, Request{Profile: "r2"})
	h.get(t, Request{Profile: "plain"})
	n, err := ClearSessions(h.store, "r2", "r1")
	if err != nil || n != 2 {
		t.Fatalf("cleared %d (%v), want 2", n, err)
	}
	n, err = ClearSessions(h.store)
	if err != nil || n != 2 {
		t.Fatalf("cleared %d (%v), want the 2 base sessions", n, err)
	}
	st, err := ReadKeyringState(h.store, h.clock)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"user", "plain", "self"} {
		if !st[p].StoredKey {
			t.Errorf("clear removed the key of %s", p)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct{ id, secret, err string }{
		{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""},
		{"", "x", "the access key ID is empty"},
		{"AKIAIOSFODNN7EXAMPLE", "", "the secret access key is empty"},
		{"AKIA", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the access key ID has 4 characters; AWS access key IDs have 16 to 128"},
		{"AKIA IOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the access key ID may only hold letters and digits"},
		{"ASIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "the access key ID is a temporary one (ASIA…); store a long-term key (AKIA…)"},
		{"AKIAIOSFODNN7EXAMPLE", "short", "the secret access key does not have the length of an AWS secret key"},
		{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG bPxRfiCYEXAMPLEKEY", "the secret access key holds spaces or characters an AWS secret key never has"},
	} {
		err := ValidateKey(tc.id, NewSecret(tc.secret))
		if (err == nil) != (tc.err == "") || (err != nil && err.Error() != tc.err) {
			t.Errorf("ValidateKey(%q): got %v, want %q", tc.id, err, tc.err)
		}
		if err != nil && tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
			t.Errorf("the error shows the secret")
		}
	}
}

func TestStoredItemsDecode(t *testing.T) {
	c := Credentials{AccessKeyID: "ASIA1", SecretAccessKey: NewSecret("s3cr3t-value"), SessionToken: NewSecret("t0ken-value"), Expires: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	got, params, err := decode(encode(c, "fp"))
	if err != nil || params != "fp" || got.AccessKeyID != c.AccessKeyID || got.SecretAccessKey.Reveal() != "s3cr3t-value" || got.SessionToken.Reveal() != "t0ken-value" || !got.Expires.Equal(c.Expires) {
		t.Fatalf("round trip: %+v %q %v", got, params, err)
	}
	for _, bad := range []string{"", "{", `{"v":2,"a":"x","s":"y"}`, `{"v":1}`, `{"v":1,"a":"x","s":"s3cr3t-value","e":"never"}`, `[1,2]`} {
		_, _, err := decode([]byte(bad))
		if err == nil {
			t.Errorf("decode(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("decode error shows the secret: %v", err)
		}
	}
}
