package credentials

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// fakeIdC is the logic of IAM Identity Center's OIDC service and portal,
// for unit tests of the chain; internal/testenv has an HTTP one for the
// SDK's wire format.
type fakeIdC struct {
	mu    sync.Mutex
	now   func() time.Time
	calls []string
	n     int
	// the person: how many polls until the approval, or a denial
	pendingPolls int
	deny         bool
	slowDown     int // polls answered SlowDown first
	codeTTL      int32
	tokenTTL     int32
	refreshErr   error  // answer to refresh_token grants
	onRefresh    func() // run (once) when a refresh_token grant comes in, before it is answered
	revoked      map[string]bool
	clients      map[string]bool // client id -> registered with the sso:account:access scope
	devices      map[string]int  // device code -> polls so far
}

func newFakeIdC(now func() time.Time) *fakeIdC {
	return &fakeIdC{now: now, codeTTL: 600, tokenTTL: 3600, revoked: map[string]bool{}, clients: map[string]bool{}, devices: map[string]int{}}
}

func (f *fakeIdC) record(format string, args ...any) {
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

func (f *fakeIdC) take() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeIdC) RegisterClient(_ context.Context, in *ssooidc.RegisterClientInput, _ ...func(*ssooidc.Options)) (*ssooidc.RegisterClientOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	id := fmt.Sprintf("client-%d", f.n)
	f.clients[id] = len(in.Scopes) > 0 && in.Scopes[0] == ssoScope
	f.record("RegisterClient %s scopes=%s", aws.ToString(in.ClientName), strings.Join(in.Scopes, ","))
	return &ssooidc.RegisterClientOutput{ClientId: aws.String(id), ClientSecret: aws.String("client-secret-" + id),
		ClientSecretExpiresAt: f.now().Add(90 * 24 * time.Hour).Unix()}, nil
}

func (f *fakeIdC) StartDeviceAuthorization(_ context.Context, in *ssooidc.StartDeviceAuthorizationInput, _ ...func(*ssooidc.Options)) (*ssooidc.StartDeviceAuthorizationOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.ClientId)
	f.record("StartDeviceAuthorization %s %s", id, aws.ToString(in.StartUrl))
	if _, ok := f.clients[id]; !ok {
		return nil, &oidctypes.InvalidClientException{Error_: aws.String("invalid_client")}
	}
	f.n++
	dc := fmt.Sprintf("device-%d", f.n)
	f.devices[dc] = 0
	return &ssooidc.StartDeviceAuthorizationOutput{DeviceCode: aws.String(dc), UserCode: aws.String("ABCD-EFGH"),
		VerificationUri: aws.String("https://device.sso.example/"), VerificationUriComplete: aws.String("https://device.sso.example/?user_code=ABCD-EFGH"),
		ExpiresIn: f.codeTTL, Interval: 1}, nil
}

func (f *fakeIdC) CreateToken(_ context.Context, in *ssooidc.CreateTokenInput, _ ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	grant := aws.ToString(in.GrantType)
	if grant == "refresh_token" {
		if h := f.onRefresh; h != nil {
			f.onRefresh = nil
			f.mu.Unlock()
			h()
			f.mu.Lock()
		}
		f.record("CreateToken refresh %s", aws.ToString(in.RefreshToken))
		if f.refreshErr != nil {
			return nil, f.refreshErr
		}
		if f.revoked[aws.ToString(in.RefreshToken)] {
			return nil, &oidctypes.InvalidGrantException{Error_: aws.String("invalid_grant")}
		}
		f.revoked[aws.ToString(in.RefreshToken)] = true // each refresh token works once
		return f.token(f.clients[aws.ToString(in.ClientId)]), nil
	}
	dc := aws.ToString(in.DeviceCode)
	f.record("CreateToken device %s", dc)
	polls, ok := f.devices[dc]
	if !ok {
		return nil, &oidctypes.InvalidGrantException{}
	}
	f.devices[dc] = polls + 1
	switch {
	case f.slowDown > 0:
		f.slowDown--
		return nil, &oidctypes.SlowDownException{}
	case f.deny:
		return nil, &oidctypes.AccessDeniedException{}
	case polls < f.pendingPolls:
		return nil, &oidctypes.AuthorizationPendingException{}
	}
	delete(f.devices, dc)
	return f.token(f.clients[aws.ToString(in.ClientId)]), nil
}

func (f *fakeIdC) token(refresh bool) *ssooidc.CreateTokenOutput {
	f.n++
	out := &ssooidc.CreateTokenOutput{AccessToken: aws.String(fmt.Sprintf("access-%d", f.n)), ExpiresIn: f.tokenTTL}
	if refresh {
		out.RefreshToken = aws.String(fmt.Sprintf("refresh-%d", f.n))
	}
	return out
}

func (f *fakeIdC) GetRoleCredentials(_ context.Context, in *sso.GetRoleCredentialsInput, _ ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := aws.ToString(in.AccessToken)
	f.record("GetRoleCredentials %s/%s with %s", aws.ToString(in.AccountId), aws.ToString(in.RoleName), tok)
	if f.revoked[tok] {
		return nil, &ssotypes.UnauthorizedException{Message: aws.String("Session token not found or invalid")}
	}
	f.n++
	return &sso.GetRoleCredentialsOutput{RoleCredentials: &ssotypes.RoleCredentials{
		AccessKeyId:     aws.String(fmt.Sprintf("ASIASSO%013d", f.n)),
		SecretAccessKey: aws.String(fmt.Sprintf("sso-secret-%d", f.n)),
		SessionToken:    aws.String(fmt.Sprintf("sso-token-%d", f.n)),
		Expiration:      f.now().Add(time.Hour).UnixMilli(),
	}}, nil
}

// assignments the fake's portal lists: account -> roles, names.
var fakeAccounts = []struct{ id, name string }{{"222222222222", "prod"}, {"111111111111", "dev"}, {"333333333333", "dev"}}

var fakeRoles = map[string][]string{"111111111111": {"Developer", "Admin"}, "222222222222": {"ReadOnly"}}

// ListAccounts pages one account at a time, to exercise paging.
func (f *fakeIdC) ListAccounts(_ context.Context, in *sso.ListAccountsInput, _ ...func(*sso.Options)) (*sso.ListAccountsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := aws.ToString(in.AccessToken)
	f.record("ListAccounts %s with %s", aws.ToString(in.NextToken), tok)
	if f.revoked[tok] {
		return nil, &ssotypes.UnauthorizedException{Message: aws.String("Session token not found or invalid")}
	}
	i := 0
	fmt.Sscan(aws.ToString(in.NextToken), &i)
	out := &sso.ListAccountsOutput{AccountList: []ssotypes.AccountInfo{{AccountId: aws.String(fakeAccounts[i].id), AccountName: aws.String(fakeAccounts[i].name)}}}
	if i+1 < len(fakeAccounts) {
		out.NextToken = aws.String(fmt.Sprint(i + 1))
	}
	return out, nil
}

func (f *fakeIdC) Logout(_ context.Context, in *sso.LogoutInput, _ ...func(*sso.Options)) (*sso.LogoutOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tok := aws.ToString(in.AccessToken)
	f.record("Logout %s", tok)
	if f.revoked[tok] {
		return nil, &ssotypes.UnauthorizedException{Message: aws.String("Session token not found or invalid")}
	}
	f.revoked[tok] = true
	return &sso.LogoutOutput{}, nil
}

func (f *fakeIdC) ListAccountRoles(_ context.Context, in *sso.ListAccountRolesInput, _ ...func(*sso.Options)) (*sso.ListAccountRolesOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("ListAccountRoles %s", aws.ToString(in.AccountId))
	out := &sso.ListAccountRolesOutput{}
	for _, r := range fakeRoles[aws.ToString(in.AccountId)] {
		out.RoleList = append(out.RoleList, ssotypes.RoleInfo{AccountId: in.AccountId, RoleName: aws.String(r)})
	}
	return out, nil
}

const ssoConfig = `
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[profile dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer

[profile prod]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly

[profile legacy]
sso_start_url = https://old.awsapps.com/start
sso_region = us-east-1
sso_account_id = 333333333333
sso_role_name = Admin

[profile deploy]
source_profile = dev
role_arn = arn:aws:iam::444444444444:role/deploy
`

type ssoHarness struct {
	r      *Resolver
	idc    *fakeIdC
	sts    *fakeSTS
	store  *keystore.Store
	clock  time.Time
	logins []DeviceAuth
	waits  []time.Duration
}

func newSSOHarness(t *testing.T) *ssoHarness {
	t.Helper()
	cfg, err := awsconfig.Parse("config", []byte(ssoConfig))
	if err != nil {
		t.Fatal(err)
	}
	h := &ssoHarness{store: keystore.NewMemory(), clock: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	now := func() time.Time { return h.clock }
	h.idc = newFakeIdC(now)
	h.sts = &fakeSTS{now: now}
	h.r = &Resolver{
		Config:     cfg,
		Store:      h.store,
		NewSTS:     h.sts.factory,
		NewSSOOIDC: func(region, endpoint string) SSOOIDCAPI { return h.idc },
		NewSSO:     func(region, endpoint string) SSOAPI { return h.idc },
		Now:        now,
		SSOLogin: func(_ context.Context, a DeviceAuth) error {
			h.logins = append(h.logins, a)
			return nil
		},
		sleep: func(ctx context.Context, d time.Duration) error {
			h.waits = append(h.waits, d)
			h.clock = h.clock.Add(d)
			return ctx.Err()
		},
	}
	return h
}

func (h *ssoHarness) get(t *testing.T, profile string) Credentials {
	t.Helper()
	c, err := h.r.Retrieve(context.Background(), Request{Profile: profile})
	if err != nil {
		t.Fatalf("Retrieve(%s): %v", profile, err)
	}
	return c
}

func TestSSOFirstSignInThenCache(t *testing.T) {
	h := newSSOHarness(t)
	h.idc.pendingPolls = 2
	c := h.get(t, "dev")
	if !strings.HasPrefix(c.AccessKeyID, "ASIASSO") || !c.Expires.Equal(h.clock.Add(time.Hour)) {
		t.Fatalf("credentials %+v", c)
	}
	eq(t, h.idc.take(),
		"RegisterClient awstray scopes=sso:account:access",
		"StartDeviceAuthorization client-1 https://corp.awsapps.com/start",
		"CreateToken device device-2",
		"CreateToken device device-2",
		"CreateToken device device-2",
		"GetRoleCredentials 111111111111/Developer with access-3")
	if len(h.logins) != 1 || h.logins[0].URL != "https://device.sso.example/?user_code=ABCD-EFGH" || h.logins[0].UserCode != "ABCD-EFGH" ||
		h.logins[0].Profile != "dev" || h.logins[0].StartURL != "https://corp.awsapps.com/start" {
		t.Fatalf("sign-in shown: %+v", h.logins)
	}
	if fmt.Sprint(h.waits) != "[1s 1s 1s]" {
		t.Fatalf("polled after %v, want the service's interval", h.waits)
	}

	// Cached role credentials: nothing asked.
	if again := h.get(t, "dev"); again.AccessKeyID != c.AccessKeyID {
		t.Fatalf("not from the cache: %s", again.AccessKeyID)
	}
	// Another profile of the same sso-session: the token is shared.
	h.get(t, "prod")
	eq(t, h.idc.take(), "GetRoleCredentials 222222222222/ReadOnly with access-3")
	if len(h.logins) != 1 {
		t.Fatalf("signed in %d times", len(h.logins))
	}
	// The token lives in the keyring, under the session's name, with no
	// secret in its description; the role credentials under the profile.
	keys, err := h.store.List()
	if err != nil {
		t.Fatal(err)
	}
	want := "v1/role/dev v1/role/prod v1/sso-token/session:corp"
	if got := keyNames(keys); got != want {
		t.Fatalf("keyring holds %s, want %s", got, want)
	}
	// clear dev: its role session and the sign-in it shares with prod.
	if n, err := ClearSessions(h.store, "dev", "session:corp"); n != 2 || err != nil {
		t.Fatalf("cleared %d: %v", n, err)
	}
	if keys, _ := h.store.List(); keyNames(keys) != "v1/role/prod" {
		t.Fatalf("left %s", keyNames(keys))
	}
}

func keyNames(keys []keystore.Key) string {
	var s []string
	for _, k := range keys {
		s = append(s, k.String())
	}
	return strings.Join(s, " ")
}

func TestSSORenewal(t *testing.T) {
	h := newSSOHarness(t)
	h.idc.tokenTTL = 2 * 3600
	h.get(t, "dev")
	h.idc.take()

	// Role credentials expired, token valid: one portal call.
	h.clock = h.clock.Add(58 * time.Minute)
	h.get(t, "dev")
	eq(t, h.idc.take(), "GetRoleCredentials 111111111111/Developer with access-3")

	// Token expired: the refresh token renews it, silently.
	h.r.SSOLogin = nil
	h.clock = h.clock.Add(time.Hour)
	h.get(t, "dev")
	eq(t, h.idc.take(), "CreateToken refresh refresh-3", "GetRoleCredentials 111111111111/Developer with access-6")

	// The refresh is refused (the portal session ended): with no way to
	// ask, the person is needed, and nothing is lost.
	h.clock = h.clock.Add(2 * time.Hour)
	h.idc.refreshErr = &oidctypes.InvalidGrantException{Error_: aws.String("invalid_grant")}
	_, err := h.r.Retrieve(context.Background(), Request{Profile: "dev"})
	if !errors.Is(err, ErrSSOLoginRequired) || err.Error() != `profile "dev" needs an IAM Identity Center sign-in` {
		t.Fatalf("err = %v", err)
	}
	if _, err := h.store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: "session:corp"}); err != nil {
		t.Fatalf("the sign-in was dropped: %v", err)
	}
	h.idc.take()

	// With a way to ask: a new sign-in, with the client registered before.
	h.r.SSOLogin = func(context.Context, DeviceAuth) error { return nil }
	h.get(t, "dev")
	eq(t, h.idc.take(), "CreateToken refresh refresh-6",
		"StartDeviceAuthorization client-1 https://corp.awsapps.com/start",
		"CreateToken device device-8",
		"GetRoleCredentials 111111111111/Developer with access-9")
}

func TestSSORefreshNetworkErrorKeepsToken(t *testing.T) {
	h := newSSOHarness(t)
	h.get(t, "dev")
	h.clock = h.clock.Add(2 * time.Hour)
	before, _ := h.store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: "session:corp"})
	h.idc.refreshErr = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	h.logins = nil
	_, err := h.r.Retrieve(context.Background(), Request{Profile: "dev"})
	if err == nil || !strings.Contains(err.Error(), "connection refused") || len(h.logins) != 0 {
		t.Fatalf("err = %v, sign-ins %d: a dead network must not ask the person", err, len(h.logins))
	}
	after, _ := h.store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: "session:corp"})
	if string(before) != string(after) {
		t.Fatal("the stored sign-in changed")
	}
}

func TestSSORevokedTokenSignsInAgainOnce(t *testing.T) {
	h := newSSOHarness(t)
	h.get(t, "dev")
	h.clock = h.clock.Add(time.Hour) // role credentials expired, token still valid for minutes
	h.clock = h.clock.Add(-10 * time.Minute)
	h.idc.take()
	h.idc.revoked["access-3"] = true
	h.get(t, "prod")
	eq(t, h.idc.take(),
		"GetRoleCredentials 222222222222/ReadOnly with access-3",
		"StartDeviceAuthorization client-1 https://corp.awsapps.com/start",
		"CreateToken device device-5",
		"GetRoleCredentials 222222222222/ReadOnly with access-6")
	if len(h.logins) != 2 {
		t.Fatalf("signed in %d times, want 2", len(h.logins))
	}
}

func TestSSOLegacyProfile(t *testing.T) {
	h := newSSOHarness(t)
	res, err := h.r.Resolve(context.Background(), Request{Profile: "legacy", Details: true})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, h.idc.take(),
		"RegisterClient awstray scopes=",
		"StartDeviceAuthorization client-1 https://old.awsapps.com/start",
		"CreateToken device device-2",
		"GetRoleCredentials 333333333333/Admin with access-3")
	// No refresh token without the scope: the person is needed when the
	// token ends, and the tray is told when.
	if want := h.clock.Add(time.Hour); !res.PersonNeededAt.Equal(want) {
		t.Fatalf("PersonNeededAt = %v, want the token's end %v", res.PersonNeededAt, want)
	}
	// Also when the role credentials come from the cache.
	h.clock = h.clock.Add(10 * time.Minute)
	res, err = h.r.Resolve(context.Background(), Request{Profile: "legacy", Details: true})
	if err != nil || len(h.idc.take()) != 0 {
		t.Fatalf("err %v, or not from the cache", err)
	}
	if want := h.clock.Add(50 * time.Minute); !res.PersonNeededAt.Equal(want) {
		t.Fatalf("PersonNeededAt = %v, want %v", res.PersonNeededAt, want)
	}
	// A session profile has a refresh token: renewal stays silent.
	res, err = h.r.Resolve(context.Background(), Request{Profile: "dev", Details: true})
	if err != nil || !res.PersonNeededAt.IsZero() {
		t.Fatalf("err %v, PersonNeededAt %v", err, res.PersonNeededAt)
	}
}

func TestSSORoleOnTop(t *testing.T) {
	h := newSSOHarness(t)
	h.get(t, "deploy")
	eq(t, h.sts.take(), "AssumeRole deploy by ASIASSO0000000000004 mfa= dur=3600")
	if len(h.logins) != 1 {
		t.Fatalf("signed in %d times", len(h.logins))
	}
}

func TestSSOSignInFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(h *ssoHarness)
		want string
	}{
		{"denied", func(h *ssoHarness) { h.idc.deny = true },
			`signing in to IAM Identity Center for profile "dev": the sign-in was denied`},
		{"code expires", func(h *ssoHarness) { h.idc.pendingPolls = 1000; h.idc.codeTTL = 5 },
			`signing in to IAM Identity Center for profile "dev": the sign-in code expired before it was approved`},
		{"no way to ask", func(h *ssoHarness) { h.r.SSOLogin = nil },
			`profile "dev" needs an IAM Identity Center sign-in`},
		{"browser fails", func(h *ssoHarness) {
			h.r.SSOLogin = func(context.Context, DeviceAuth) error { return errors.New("no browser") }
		}, `no browser`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newSSOHarness(t)
			tc.set(h)
			_, err := h.r.Retrieve(context.Background(), Request{Profile: "dev"})
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v\nwant %s", err, tc.want)
			}
			if keys, _ := h.store.List(); len(keys) != 0 {
				t.Fatalf("stored %s", keyNames(keys))
			}
		})
	}
}

func TestSSOSlowDown(t *testing.T) {
	h := newSSOHarness(t)
	h.idc.slowDown = 2
	h.get(t, "dev")
	if fmt.Sprint(h.waits) != "[1s 6s 11s]" {
		t.Fatalf("waits %v: slow_down must add 5 s each time", h.waits)
	}
}

func TestSSOCancelledWhileWaiting(t *testing.T) {
	h := newSSOHarness(t)
	h.idc.pendingPolls = 1000
	ctx, cancel := context.WithCancel(context.Background())
	h.r.sleep = func(ctx context.Context, d time.Duration) error {
		cancel()
		return ctx.Err()
	}
	_, err := h.r.Retrieve(ctx, Request{Profile: "dev"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestSSOCacheName(t *testing.T) {
	h := newSSOHarness(t)
	for name, want := range map[string]string{"dev": "session:corp", "prod": "session:corp", "legacy": "url:https://old.awsapps.com/start", "deploy": ""} {
		p, err := h.r.Config.Profile(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := SSOCacheName(h.r.Config, p); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestSSORefreshRace: two processes find the token expired and refresh it
// at once; the refresh token works once, so the loser's refresh is
// refused — it takes the token the winner stored instead of asking the
// person to sign in again.
func TestSSORefreshRace(t *testing.T) {
	h := newSSOHarness(t)
	h.get(t, "dev")
	h.clock = h.clock.Add(2 * time.Hour)
	other := *h.r // another process on the same keyring
	other.SSOLogin = nil
	h.idc.onRefresh = func() {
		if _, err := other.Retrieve(context.Background(), Request{Profile: "prod"}); err != nil {
			t.Errorf("the other process: %v", err)
		}
	}
	h.r.SSOLogin = nil // asking the person would fail the test
	h.idc.take()
	h.get(t, "dev")
	eq(t, h.idc.take(),
		"CreateToken refresh refresh-3", // the other process's, which wins
		"GetRoleCredentials 222222222222/ReadOnly with access-5",
		"CreateToken refresh refresh-3", // ours, refused: refresh-3 was used
		"GetRoleCredentials 111111111111/Developer with access-5")
}

func TestSSOAssignments(t *testing.T) {
	h := newSSOHarness(t)
	got, err := h.r.SSOAssignments(context.Background(), "corp")
	if err != nil {
		t.Fatal(err)
	}
	want := "dev 111111111111 Admin, dev 111111111111 Developer, prod 222222222222 ReadOnly"
	var s []string
	for _, a := range got {
		s = append(s, a.AccountName+" "+a.AccountID+" "+a.RoleName)
	}
	if strings.Join(s, ", ") != want {
		t.Fatalf("assignments %q\nwant %q", strings.Join(s, ", "), want)
	}
	if len(h.logins) != 1 || h.logins[0].Profile != "" || h.logins[0].Session != "corp" {
		t.Fatalf("sign-ins %+v", h.logins)
	}
	// The sign-in is the session's: its profiles need none now.
	h.get(t, "dev")
	if len(h.logins) != 1 {
		t.Fatal("dev signed in again")
	}
	// Revoked: signs in again once.
	b, _ := h.store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: "session:corp"})
	tok, err := decodeSSOToken(b)
	if err != nil {
		t.Fatal(err)
	}
	h.idc.revoked[tok.Access.Reveal()] = true
	if _, err := h.r.SSOAssignments(context.Background(), "corp"); err != nil || len(h.logins) != 2 {
		t.Fatalf("after a revoked token: %v, %d sign-ins", err, len(h.logins))
	}

	for session, msg := range map[string]string{
		"nope": "no [sso-session nope] in config",
	} {
		if _, err := h.r.SSOAssignments(context.Background(), session); err == nil || err.Error() != msg {
			t.Errorf("%s: %v, want %s", session, err, msg)
		}
	}
	h.r.SSOLogin = nil
	h.store = keystore.NewMemory()
	h.r.Store = h.store
	if _, err := h.r.SSOAssignments(context.Background(), "corp"); !errors.Is(err, ErrSSOLoginRequired) || err.Error() != `sso-session "corp" needs an IAM Identity Center sign-in` {
		t.Fatalf("no way to sign in: %v", err)
	}
}

func TestSSOSignOut(t *testing.T) {
	h := newSSOHarness(t)
	ctx := context.Background()
	if url, err := h.r.SSOSignOut(ctx, "session:corp"); url != "" || err != nil {
		t.Fatalf("nothing to sign out of: %q, %v", url, err)
	}
	h.get(t, "dev")
	h.idc.take()
	url, err := h.r.SSOSignOut(ctx, "session:corp")
	if err != nil || url != "https://corp.awsapps.com/start" {
		t.Fatalf("sign-out: %q, %v", url, err)
	}
	eq(t, h.idc.take(), "Logout access-3")
	// Signed out at AWS already: not an error.
	if _, err := h.r.SSOSignOut(ctx, "session:corp"); err != nil {
		t.Fatal(err)
	}
	// A portal that cannot be reached: said, with the portal's address.
	h.r.NewSSO = func(string, string) SSOAPI { return unreachablePortal{h.idc} }
	if _, err := h.r.SSOSignOut(ctx, "session:corp"); err == nil || !strings.HasPrefix(err.Error(), "signing out of https://corp.awsapps.com/start: cannot reach AWS") {
		t.Fatalf("err = %v", err)
	}
}

type unreachablePortal struct{ *fakeIdC }

func (unreachablePortal) Logout(context.Context, *sso.LogoutInput, ...func(*sso.Options)) (*sso.LogoutOutput, error) {
	return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
}
