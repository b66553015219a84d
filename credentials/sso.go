package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// IAM Identity Center (SSO): a profile with sso_account_id and
// sso_role_name gets role credentials from the SSO portal with an access
// token. The token comes from the OIDC device authorization flow — the
// person approves a code in the browser — and is cached in the keyring, with
// the refresh token and the registered client when the profile uses an
// [sso-session] (legacy profiles with sso_start_url get no refresh token and
// sign in again when the token ends).

// SSOOIDCAPI is the part of the SSO OIDC client the chain calls.
type SSOOIDCAPI interface {
	RegisterClient(ctx context.Context, in *ssooidc.RegisterClientInput, optFns ...func(*ssooidc.Options)) (*ssooidc.RegisterClientOutput, error)
	StartDeviceAuthorization(ctx context.Context, in *ssooidc.StartDeviceAuthorizationInput, optFns ...func(*ssooidc.Options)) (*ssooidc.StartDeviceAuthorizationOutput, error)
	CreateToken(ctx context.Context, in *ssooidc.CreateTokenInput, optFns ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error)
}

// SSOAPI is the part of the SSO portal client the chain (and
// SSOAssignments) calls.
type SSOAPI interface {
	GetRoleCredentials(ctx context.Context, in *sso.GetRoleCredentialsInput, optFns ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error)
	ListAccounts(ctx context.Context, in *sso.ListAccountsInput, optFns ...func(*sso.Options)) (*sso.ListAccountsOutput, error)
	ListAccountRoles(ctx context.Context, in *sso.ListAccountRolesInput, optFns ...func(*sso.Options)) (*sso.ListAccountRolesOutput, error)
	Logout(ctx context.Context, in *sso.LogoutInput, optFns ...func(*sso.Options)) (*sso.LogoutOutput, error)
}

// DeviceAuth is what the person does to sign in: open URL (the code is
// already in it) and check that the page shows UserCode.
type DeviceAuth struct {
	Profile  string // the profile being resolved; "" when signing in to Session itself
	Session  string // the sso-session, "" for a legacy profile
	StartURL string // the AWS access portal
	URL      string // the verification page with the code filled in
	UserCode string
	Expires  time.Time // the code is void after this
}

// SSOLoginFunc shows the person where to sign in (opens the browser, prints
// the code). It returns once shown; the resolver then waits for the
// approval until the code expires or ctx ends.
type SSOLoginFunc func(ctx context.Context, a DeviceAuth) error

// ErrSSOLoginRequired means the profile needs an IAM Identity Center sign-in
// and the resolver has no way to ask (the tray's silent background refresh).
var ErrSSOLoginRequired = errors.New("an IAM Identity Center sign-in is needed")

// SSOLoginRequiredError names the profile (or, signing in to a session
// itself, the session).
type SSOLoginRequiredError struct{ Profile, Session string }

func (e *SSOLoginRequiredError) Error() string {
	if e.Profile == "" {
		return fmt.Sprintf("sso-session %q needs an IAM Identity Center sign-in", e.Session)
	}
	return fmt.Sprintf("profile %q needs an IAM Identity Center sign-in", e.Profile)
}

// Is makes errors.Is(err, ErrSSOLoginRequired) true.
func (e *SSOLoginRequiredError) Is(target error) bool { return target == ErrSSOLoginRequired }

// ssoScope is the scope that makes the OIDC service hand out refresh tokens.
const ssoScope = "sso:account:access"

// ssoSettings are the effective sign-in settings of an SSO profile.
type ssoSettings struct {
	cacheName string // keyring key of the token, shared by every profile of the session
	startURL  string
	region    string
	scopes    []string // nil: legacy profile, no refresh token
}

// SSOCacheName is the name under which the token of profile p's sign-in is
// cached in the keyring (kind keystore.KindSSOToken), or "" when p is no
// SSO profile. Profiles of one sso-session, or of one start URL, share it.
func SSOCacheName(cfg *awsconfig.Config, p *awsconfig.Profile) string {
	if p.Kind() != awsconfig.KindSSO {
		return ""
	}
	return ssoSettingsOf(cfg, p).cacheName
}

func ssoSettingsOf(cfg *awsconfig.Config, p *awsconfig.Profile) ssoSettings {
	if p.SSOSession != "" {
		s := ssoSettings{cacheName: "session:" + p.SSOSession, startURL: p.SSOStartURL, region: p.SSORegion, scopes: []string{ssoScope}}
		if sess := cfg.SSOSessions[p.SSOSession]; sess != nil {
			s.startURL, s.region = sess.StartURL, sess.Region
			if sc := splitScopes(sess.RegistrationScopes); len(sc) > 0 {
				s.scopes = sc
			}
		}
		return s
	}
	return ssoSettings{cacheName: "url:" + p.SSOStartURL, startURL: p.SSOStartURL, region: p.SSORegion}
}

func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// ssoSubject names what is signing in in messages: the profile, or the
// sso-session itself (SSOAssignments).
func ssoSubject(p *awsconfig.Profile) string {
	if p.Name == "" {
		return fmt.Sprintf("sso-session %q", p.SSOSession)
	}
	return fmt.Sprintf("profile %q", p.Name)
}

// ssoCreds returns the role credentials of the SSO profile p: cached, or
// from the portal with the cached token, a refreshed one, or a new sign-in.
func (r *Resolver) ssoCreds(ctx context.Context, p *awsconfig.Profile, st *retrieval) (Credentials, error) {
	s := ssoSettingsOf(r.Config, p)
	params := fingerprint("sso", s.startURL, p.SSOAccountID, p.SSORoleName)
	key := keystore.Key{Kind: keystore.KindRole, Profile: p.Name}
	if c, ok := r.cached(key, params); ok && !(p.Name == st.target && st.req.Fresh) {
		return c, nil
	}
	tok, signedIn, err := r.ssoAccessToken(ctx, p, s, st)
	if err != nil {
		return Credentials{}, err
	}
	c, err := r.getRoleCredentials(ctx, p, s, tok)
	var ue *AWSError
	if err != nil && !signedIn && errors.As(err, &ue) && ue.Code == "UnauthorizedException" {
		// The token was revoked (the person signed out, or an admin ended
		// the session): sign in again once.
		if tok, err = r.ssoSignIn(ctx, p, s, tok, st); err != nil {
			return Credentials{}, err
		}
		c, err = r.getRoleCredentials(ctx, p, s, tok)
	}
	if err != nil {
		return Credentials{}, err
	}
	st.ssoNeedsPerson(tok, r.now())
	if err := r.Store.Set(key, encode(c, params), "awstray SSO role session for profile "+p.Name); err != nil {
		st.warn(fmt.Errorf("caching the role session of profile %q: %w", p.Name, err))
	}
	return c, nil
}

// ssoNeedsPerson records when renewing stops being silent: when the access
// token ends, unless a refresh token can renew it (the portal session's end
// is then unknown until a refresh is refused).
func (st *retrieval) ssoNeedsPerson(t *ssoToken, now time.Time) {
	if !t.Refresh.IsZero() {
		return
	}
	if e := t.expires(); e.After(now) {
		st.personAt = e
	} else {
		st.personAt = now
	}
}

func (r *Resolver) httpClient() *http.Client { return &http.Client{Timeout: r.opts().Timeout} }
