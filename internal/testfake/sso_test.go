package testfake

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/sso/types"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awstray/awstray/internal/testenv"
)

// The SSO fake is driven by the SDK's own clients, so that what passes
// here is what the SDK sends and understands.

func oidcClient(s *SSO) *ssooidc.Client {
	return ssooidc.New(ssooidc.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: aws.AnonymousCredentials{}})
}

func portalClient(s *SSO) *sso.Client {
	return sso.New(sso.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), Credentials: aws.AnonymousCredentials{}})
}

// pending is a registered client and a started device authorization.
type pending struct {
	reg *ssooidc.RegisterClientOutput
	dev *ssooidc.StartDeviceAuthorizationOutput
}

func startFlow(t *testing.T, c *ssooidc.Client, scopes ...string) pending {
	t.Helper()
	ctx := context.Background()
	reg, err := c.RegisterClient(ctx, &ssooidc.RegisterClientInput{ClientName: aws.String("awstray-test"), ClientType: aws.String("public"), Scopes: scopes})
	if err != nil {
		t.Fatalf("RegisterClient: %v", err)
	}
	dev, err := c.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: reg.ClientId, ClientSecret: reg.ClientSecret, StartUrl: aws.String("https://example.awsapps.com/start"),
	})
	if err != nil {
		t.Fatalf("StartDeviceAuthorization: %v", err)
	}
	return pending{reg, dev}
}

func (p pending) poll(c *ssooidc.Client) (*ssooidc.CreateTokenOutput, error) {
	return c.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: p.reg.ClientId, ClientSecret: p.reg.ClientSecret,
		GrantType: aws.String(SSOGrantDeviceCode), DeviceCode: p.dev.DeviceCode,
	})
}

func (p pending) refresh(c *ssooidc.Client, token *string) (*ssooidc.CreateTokenOutput, error) {
	return c.CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: p.reg.ClientId, ClientSecret: p.reg.ClientSecret,
		GrantType: aws.String(SSOGrantRefreshToken), RefreshToken: token,
	})
}

// browse fetches the verification link as the stand-in browser does.
func browse(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// signIn runs the whole device flow and returns the token.
func signIn(t *testing.T, s *SSO, c *ssooidc.Client, scopes ...string) (pending, *ssooidc.CreateTokenOutput) {
	t.Helper()
	p := startFlow(t, c, scopes...)
	if code, body := browse(t, *p.dev.VerificationUriComplete); code != http.StatusOK {
		t.Fatalf("verification page: %d %s", code, body)
	}
	tok, err := p.poll(c)
	if err != nil {
		t.Fatalf("CreateToken after approval: %v", err)
	}
	return p, tok
}

func wantErr[E error](t *testing.T, what string, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("%s: got %T %v, want %T", what, err, err, e)
	}
	return e
}

func TestSSODeviceFlow(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	c := oidcClient(s)
	p := startFlow(t, c, SSORefreshScope)

	if p.reg.ClientSecretExpiresAt-p.reg.ClientIdIssuedAt != int64(SSOClientSecretTTL/time.Second) {
		t.Errorf("client registered for %d s", p.reg.ClientSecretExpiresAt-p.reg.ClientIdIssuedAt)
	}
	d := p.dev
	if d.ExpiresIn != 600 || d.Interval != 1 {
		t.Errorf("expiresIn %d, interval %d", d.ExpiresIn, d.Interval)
	}
	if len(*d.UserCode) != 9 || (*d.UserCode)[4] != '-' {
		t.Errorf("user code %q", *d.UserCode)
	}
	if *d.VerificationUri != s.URL+"/start" || *d.VerificationUriComplete != s.URL+"/start?user_code="+*d.UserCode {
		t.Errorf("verification %q, %q", *d.VerificationUri, *d.VerificationUriComplete)
	}

	_, err := p.poll(c)
	e := wantErr[*oidctypes.AuthorizationPendingException](t, "before approval", err)
	if aws.ToString(e.Error_) != "authorization_pending" {
		t.Errorf("error member %q", aws.ToString(e.Error_))
	}

	if code, body := browse(t, *d.VerificationUriComplete); code != http.StatusOK || !strings.Contains(body, "approved") {
		t.Fatalf("verification page: %d %s", code, body)
	}
	s.Advance(time.Second) // the polling interval, without sleeping
	tok, err := p.poll(c)
	if err != nil {
		t.Fatalf("after approval: %v", err)
	}
	if aws.ToString(tok.TokenType) != "Bearer" || tok.ExpiresIn != 3600 || aws.ToString(tok.AccessToken) == "" || aws.ToString(tok.RefreshToken) == "" {
		t.Errorf("token %+v", tok)
	}

	// A device code is good for one token.
	s.Advance(time.Second)
	_, err = p.poll(c)
	wantErr[*oidctypes.InvalidGrantException](t, "device code reused", err)
	if code, _ := browse(t, *d.VerificationUriComplete); code != http.StatusNotFound {
		t.Errorf("verification page of a used code: %d", code)
	}

	creds, err := portalClient(s).GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: aws.String("111122223333"), RoleName: aws.String("ReadOnly"),
	})
	if err != nil {
		t.Fatalf("GetRoleCredentials: %v", err)
	}
	rc := creds.RoleCredentials
	if !strings.HasPrefix(aws.ToString(rc.AccessKeyId), "ASIA") || aws.ToString(rc.SecretAccessKey) == "" || aws.ToString(rc.SessionToken) == "" {
		t.Errorf("role credentials %+v", rc)
	}
	if left := time.Until(time.UnixMilli(rc.Expiration)); left < 59*time.Minute || left > 61*time.Minute {
		t.Errorf("role credentials expire in %s", left)
	}

	want := SSOCounts{RegisterClient: 1, StartDeviceAuthorization: 1, CreateTokenDeviceCode: 3, GetRoleCredentials: 1, Approvals: 1}
	if got := s.Counts(); got != want {
		t.Errorf("counts %+v, want %+v", got, want)
	}
}

func TestSSOSlowDown(t *testing.T) {
	s := StartSSO(t, SSOOptions{Interval: 5 * time.Second})
	c := oidcClient(s)
	p := startFlow(t, c)
	if p.dev.Interval != 5 {
		t.Fatalf("interval %d", p.dev.Interval)
	}
	_, err := p.poll(c)
	wantErr[*oidctypes.AuthorizationPendingException](t, "first poll", err)
	_, err = p.poll(c)
	wantErr[*oidctypes.SlowDownException](t, "second poll at once", err)
	s.Advance(5 * time.Second)
	_, err = p.poll(c)
	wantErr[*oidctypes.AuthorizationPendingException](t, "poll after the interval", err)

	fast := StartSSO(t, SSOOptions{Interval: 5 * time.Second, AllowFastPolling: true})
	c = oidcClient(fast)
	p = startFlow(t, c)
	for i := range 3 {
		_, err := p.poll(c)
		wantErr[*oidctypes.AuthorizationPendingException](t, fmt.Sprintf("fast poll %d", i), err)
	}
}

func TestSSORefreshToken(t *testing.T) {
	for _, tc := range []struct {
		name   string
		scopes []string
	}{
		{"with sso:account:access", []string{SSORefreshScope}},
		{"without scopes", nil},
		{"other scope", []string{"openid"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := StartSSO(t, SSOOptions{})
			c := oidcClient(s)
			p, tok := signIn(t, s, c, tc.scopes...)
			if len(tc.scopes) == 0 || tc.scopes[0] != SSORefreshScope {
				if tok.RefreshToken != nil {
					t.Fatalf("refresh token issued without the scope")
				}
				_, err := p.refresh(c, aws.String("aor-made-up"))
				wantErr[*oidctypes.InvalidGrantException](t, "refresh without the scope", err)
				return
			}
			next, err := p.refresh(c, tok.RefreshToken)
			if err != nil {
				t.Fatalf("refresh: %v", err)
			}
			if aws.ToString(next.AccessToken) == aws.ToString(tok.AccessToken) || aws.ToString(next.RefreshToken) == aws.ToString(tok.RefreshToken) || next.RefreshToken == nil {
				t.Errorf("refresh gave %+v", next)
			}
			_, err = p.refresh(c, tok.RefreshToken)
			wantErr[*oidctypes.InvalidGrantException](t, "rotated-away refresh token", err)
			if _, err := p.refresh(c, next.RefreshToken); err != nil {
				t.Errorf("refresh with the new refresh token: %v", err)
			}
			if got := s.Counts().CreateTokenRefresh; got != 3 {
				t.Errorf("%d refresh grants counted", got)
			}
		})
	}
}

func TestSSORevokeAll(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	c, portal := oidcClient(s), portalClient(s)
	p, tok := signIn(t, s, c, SSORefreshScope)
	in := &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("111122223333"), RoleName: aws.String("Admin")}
	if _, err := portal.GetRoleCredentials(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	s.RevokeAll()
	_, err := portal.GetRoleCredentials(context.Background(), in)
	wantErr[*ssotypes.UnauthorizedException](t, "revoked access token", err)
	_, err = p.refresh(c, tok.RefreshToken)
	wantErr[*oidctypes.InvalidGrantException](t, "revoked refresh token", err)

	// Signing in again works.
	_, tok = signIn(t, s, c, SSORefreshScope)
	in.AccessToken = tok.AccessToken
	if _, err := portal.GetRoleCredentials(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func TestSSOAccessTokenExpiry(t *testing.T) {
	s := StartSSO(t, SSOOptions{AccessTokenTTL: 15 * time.Minute})
	c, portal := oidcClient(s), portalClient(s)
	_, tok := signIn(t, s, c)
	if tok.ExpiresIn != 900 {
		t.Errorf("expiresIn %d", tok.ExpiresIn)
	}
	in := &sso.GetRoleCredentialsInput{AccessToken: tok.AccessToken, AccountId: aws.String("111122223333"), RoleName: aws.String("Admin")}
	s.Advance(14 * time.Minute)
	if _, err := portal.GetRoleCredentials(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	s.Advance(time.Minute)
	_, err := portal.GetRoleCredentials(context.Background(), in)
	wantErr[*ssotypes.UnauthorizedException](t, "expired access token", err)

	seeded, expires := s.IssueAccessToken()
	if time.Until(expires) < 14*time.Minute {
		t.Errorf("seeded token expires %s", expires)
	}
	in.AccessToken = aws.String(seeded)
	if _, err := portal.GetRoleCredentials(context.Background(), in); err != nil {
		t.Fatalf("seeded token: %v", err)
	}
	if _, err := portal.Logout(context.Background(), &sso.LogoutInput{AccessToken: in.AccessToken}); err != nil {
		t.Fatalf("Logout: %v", err)
	}
	_, err = portal.GetRoleCredentials(context.Background(), in)
	wantErr[*ssotypes.UnauthorizedException](t, "logged-out token", err)
}

func TestSSODenied(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	c := oidcClient(s)
	s.Deny(true)
	p := startFlow(t, c)
	if code, body := browse(t, *p.dev.VerificationUriComplete); code != http.StatusOK || !strings.Contains(body, "denied") {
		t.Fatalf("verification page: %d %s", code, body)
	}
	_, err := p.poll(c)
	e := wantErr[*oidctypes.AccessDeniedException](t, "denied sign-in", err)
	if aws.ToString(e.Error_) != "access_denied" {
		t.Errorf("error member %q", aws.ToString(e.Error_))
	}
	s.Deny(false)
	signIn(t, s, c)
	if got := s.Counts(); got.Denials != 1 || got.Approvals != 1 {
		t.Errorf("counts %+v", got)
	}
}

func TestSSOExpiredDeviceCode(t *testing.T) {
	s := StartSSO(t, SSOOptions{DeviceCodeTTL: 2 * time.Minute})
	c := oidcClient(s)
	p := startFlow(t, c)
	if p.dev.ExpiresIn != 120 {
		t.Errorf("expiresIn %d", p.dev.ExpiresIn)
	}
	s.Advance(2 * time.Minute)
	if code, _ := browse(t, *p.dev.VerificationUriComplete); code != http.StatusGone {
		t.Errorf("verification page of an expired code: %d", code)
	}
	_, err := p.poll(c)
	wantErr[*oidctypes.ExpiredTokenException](t, "expired device code", err)
	if code, _ := browse(t, s.URL+"/start?user_code=XXXX-XXXX"); code != http.StatusNotFound {
		t.Errorf("verification page of an unknown code: %d", code)
	}
}

func TestSSOInvalidClient(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	c := oidcClient(s)
	p := startFlow(t, c)
	ctx := context.Background()
	_, err := c.StartDeviceAuthorization(ctx, &ssooidc.StartDeviceAuthorizationInput{
		ClientId: p.reg.ClientId, ClientSecret: aws.String("wrong"), StartUrl: aws.String("https://example.awsapps.com/start"),
	})
	wantErr[*oidctypes.InvalidClientException](t, "wrong secret", err)
	_, err = c.CreateToken(ctx, &ssooidc.CreateTokenInput{
		ClientId: aws.String("nobody"), ClientSecret: p.reg.ClientSecret, GrantType: aws.String(SSOGrantDeviceCode), DeviceCode: p.dev.DeviceCode,
	})
	wantErr[*oidctypes.InvalidClientException](t, "unknown client", err)
	s.Advance(SSOClientSecretTTL)
	_, err = p.poll(c)
	wantErr[*oidctypes.InvalidClientException](t, "expired registration", err)
}

func TestSSORoles(t *testing.T) {
	s := StartSSO(t, SSOOptions{Roles: []SSORole{{AccountID: "111122223333", RoleName: "ReadOnly"}}})
	_, tok := signIn(t, s, oidcClient(s))
	portal := portalClient(s)
	get := func(account, role string) error {
		_, err := portal.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
			AccessToken: tok.AccessToken, AccountId: aws.String(account), RoleName: aws.String(role),
		})
		return err
	}
	if err := get("111122223333", "ReadOnly"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range [][2]string{{"111122223333", "Admin"}, {"444455556666", "ReadOnly"}} {
		err := get(tc[0], tc[1])
		// No ForbiddenException in the sso model: the SDK's generic error.
		var api smithy.APIError
		var resp *awshttp.ResponseError
		if !errors.As(err, &api) || api.ErrorCode() != "ForbiddenException" || !errors.As(err, &resp) || resp.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("%v: got %T %v", tc, err, err)
		}
	}
}

func TestSSOBadRequests(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	for _, path := range []string{"/client/register", "/device_authorization", "/token"} {
		for _, body := range []string{"{", "", "[1,2]", strings.Repeat(" ", 70<<10) + "{}"} {
			resp, err := http.Post(s.URL+path, "application/json", strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "InvalidRequestException" {
				t.Errorf("%s with %.10q: %d %s", path, body, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
			}
		}
	}
	_, err := oidcClient(s).CreateToken(context.Background(), &ssooidc.CreateTokenInput{
		ClientId: aws.String("x"), ClientSecret: aws.String("y"), GrantType: aws.String("authorization_code"),
	})
	wantErr[*oidctypes.InvalidClientException](t, "unknown client, other grant", err)
	if code, _ := browse(t, s.URL+"/start"); code != http.StatusBadRequest {
		t.Errorf("verification page without a code: %d", code)
	}
}

// TestSSOConcurrent runs sign-ins side by side, for the race detector.
func TestSSOConcurrent(t *testing.T) {
	s := StartSSO(t, SSOOptions{})
	c, portal := oidcClient(s), portalClient(s)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			p := startFlow(t, c, SSORefreshScope)
			if _, err := p.poll(c); err == nil {
				t.Error("token before approval")
			}
			if i%3 == 0 {
				s.RevokeAll()
				_ = s.Counts()
			}
			resp, err := http.Get(*p.dev.VerificationUriComplete)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			time.Sleep(time.Second)
			tok, err := p.poll(c)
			if err != nil {
				t.Error(err)
				return
			}
			_, _ = portal.GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
				AccessToken: tok.AccessToken, AccountId: aws.String("111122223333"), RoleName: aws.String("Admin"),
			})
			_, _ = p.refresh(c, tok.RefreshToken)
		})
	}
	wg.Wait()
	if got := s.Counts(); got.Approvals != 8 || got.CreateTokenDeviceCode != 16 || got.GetRoleCredentials != 8 {
		t.Errorf("counts %+v", got)
	}
}

// TestSSOWithMoto: role credentials come from moto's AssumeRole and work
// against moto.
func TestSSOWithMoto(t *testing.T) {
	m := testenv.StartMoto(t)
	s := StartSSO(t, SSOOptions{MotoURL: m.URL, RoleCredentialsTTL: 5 * time.Minute, UserName: "alice@example.com"})
	_, tok := signIn(t, s, oidcClient(s))
	out, err := portalClient(s).GetRoleCredentials(context.Background(), &sso.GetRoleCredentialsInput{
		AccessToken: tok.AccessToken, AccountId: aws.String("123456789012"), RoleName: aws.String("PowerUser"),
	})
	if err != nil {
		t.Fatalf("GetRoleCredentials: %v", err)
	}
	rc := out.RoleCredentials
	if left := time.Until(time.UnixMilli(rc.Expiration)); left < 4*time.Minute || left > 6*time.Minute {
		t.Errorf("role credentials expire in %s", left)
	}
	client := sts.New(sts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: *rc.AccessKeyId, SecretAccessKey: *rc.SecretAccessKey, SessionToken: *rc.SessionToken}, nil
		}),
	})
	id, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatalf("GetCallerIdentity with the role credentials: %v", err)
	}
	if want := "arn:aws:sts::123456789012:assumed-role/PowerUser/alice@example.com"; aws.ToString(id.Arn) != want {
		t.Errorf("caller %s, want %s", aws.ToString(id.Arn), want)
	}
	if aws.ToString(id.Account) != "123456789012" {
		t.Errorf("account %s", aws.ToString(id.Account))
	}
}

func TestSSOListAccountsAndRoles(t *testing.T) {
	s := StartSSO(t, SSOOptions{Roles: []SSORole{
		{AccountID: "111111111111", RoleName: "Admin", AccountName: "prod"},
		{AccountID: "111111111111", RoleName: "ReadOnly"},
		{AccountID: "222222222222", RoleName: "Dev", AccountName: "sandbox"},
		{AccountID: "333333333333", RoleName: "Dev"},
	}})
	_, tok := signIn(t, s, oidcClient(s))
	portal := portalClient(s)
	ctx := context.Background()
	var accounts []string
	for p := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: tok.AccessToken, MaxResults: aws.Int32(2)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page.AccountList {
			accounts = append(accounts, aws.ToString(a.AccountId)+"="+aws.ToString(a.AccountName))
		}
	}
	if got := strings.Join(accounts, " "); got != "111111111111=prod 222222222222=sandbox 333333333333=account-333333333333" {
		t.Fatalf("accounts %s", got)
	}
	out, err := portal.ListAccountRoles(ctx, &sso.ListAccountRolesInput{AccessToken: tok.AccessToken, AccountId: aws.String("111111111111")})
	if err != nil || len(out.RoleList) != 2 || aws.ToString(out.RoleList[1].RoleName) != "ReadOnly" || out.NextToken != nil {
		t.Fatalf("roles %+v, %v", out, err)
	}
	_, err = portal.ListAccounts(ctx, &sso.ListAccountsInput{AccessToken: aws.String("nope")})
	var ue *ssotypes.UnauthorizedException
	if !errors.As(err, &ue) {
		t.Fatalf("a bad token: %v", err)
	}
	if c := s.Counts(); c.ListAccounts != 3 || c.ListAccountRoles != 1 {
		t.Fatalf("counts %+v", c)
	}
}
