package credentials

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/smithy-go/middleware"

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

// deviceGrant is the OAuth grant type of the device authorization flow.
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

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

// ssoToken is a sign-in: the access token, the refresh token and the
// registered client it needs. Its keyring encoding is ssoTokenItem's.
type ssoToken struct {
	V             int
	StartURL      string
	Region        string
	Access        Secret
	Expires       string
	Refresh       Secret
	ClientID      string
	ClientSecret  Secret
	ClientExpires string
}

// ssoTokenItem is the keyring encoding of an ssoToken. Secret marshals
// redacted, so the tokens go through here as plain strings; the fields and
// their order are those the items already stored have.
type ssoTokenItem struct {
	V             int    `json:"v"`
	StartURL      string `json:"u"`
	Region        string `json:"r"`
	Access        string `json:"a"`
	Expires       string `json:"e"`
	Refresh       string `json:"f,omitempty"`
	ClientID      string `json:"c,omitempty"`
	ClientSecret  string `json:"s,omitempty"`
	ClientExpires string `json:"x,omitempty"`
}

func encodeSSOToken(t *ssoToken) []byte {
	b, _ := json.Marshal(ssoTokenItem{ // a struct of strings always marshals
		V: t.V, StartURL: t.StartURL, Region: t.Region,
		Access: t.Access.Reveal(), Expires: t.Expires, Refresh: t.Refresh.Reveal(),
		ClientID: t.ClientID, ClientSecret: t.ClientSecret.Reveal(), ClientExpires: t.ClientExpires,
	})
	return b
}

func (t *ssoToken) expires() time.Time {
	e, _ := time.Parse(time.RFC3339, t.Expires)
	return e
}

// clientValid reports whether the registered client can be used at now
// for another hour.
func (t *ssoToken) clientValid(now time.Time) bool {
	if t.ClientID == "" || t.ClientSecret.IsZero() {
		return false
	}
	e, err := time.Parse(time.RFC3339, t.ClientExpires)
	return err == nil && e.After(now.Add(time.Hour))
}

func decodeSSOToken(b []byte) (*ssoToken, error) {
	var it ssoTokenItem
	if err := json.Unmarshal(b, &it); err != nil {
		return nil, fmt.Errorf("stored sign-in is not valid: %w", errNoValues(err))
	}
	if it.V != 1 {
		return nil, fmt.Errorf("stored sign-in has unknown version %d", it.V)
	}
	return &ssoToken{
		V: it.V, StartURL: it.StartURL, Region: it.Region,
		Access: NewSecret(it.Access), Expires: it.Expires, Refresh: NewSecret(it.Refresh),
		ClientID: it.ClientID, ClientSecret: NewSecret(it.ClientSecret), ClientExpires: it.ClientExpires,
	}, nil
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

// storedToken returns the cached sign-in for s; nil when there is none, or
// only a damaged one or one of another portal, which a new sign-in replaces.
func (r *Resolver) storedToken(s ssoSettings) (*ssoToken, error) {
	b, err := r.Store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: s.cacheName})
	if errors.Is(err, keystore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, err := decodeSSOToken(b)
	if err != nil || t.StartURL != s.startURL || t.Region != s.region {
		return nil, nil
	}
	return t, nil
}

// ssoAccessToken returns a valid access token: the cached one, a refreshed
// one, or one from a new sign-in (signedIn).
func (r *Resolver) ssoAccessToken(ctx context.Context, p *awsconfig.Profile, s ssoSettings, st *retrieval) (tok *ssoToken, signedIn bool, err error) {
	t, err := r.storedToken(s)
	if err != nil {
		return nil, false, fmt.Errorf("reading the IAM Identity Center sign-in of %s: %w", ssoSubject(p), err)
	}
	now := r.now()
	if t != nil && t.expires().After(now.Add(r.opts().ExpiryWindow)) {
		return t, false, nil
	}
	if t != nil && !t.Refresh.IsZero() && t.clientValid(now) {
		nt, err := r.refreshSSOToken(ctx, p, s, t, st)
		if err == nil {
			return nt, false, nil
		}
		var ae *AWSError
		if !errors.As(err, &ae) || ae.Transient() {
			return nil, false, err // the network, or AWS in trouble, not the grant: keep the token
		}
		// Refresh tokens work once: another process (the tray, a CLI)
		// may have refreshed first and stored the new token.
		if again, rerr := r.storedToken(s); rerr == nil && again != nil && again.Access.Reveal() != t.Access.Reveal() &&
			again.expires().After(now.Add(r.opts().ExpiryWindow)) {
			return again, false, nil
		}
	}
	t, err = r.ssoSignIn(ctx, p, s, t, st)
	return t, true, err
}

// refreshSSOToken renews the access token with the refresh token.
func (r *Resolver) refreshSSOToken(ctx context.Context, p *awsconfig.Profile, s ssoSettings, t *ssoToken, st *retrieval) (*ssoToken, error) {
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := r.oidc(p, s).CreateToken(cctx, &ssooidc.CreateTokenInput{
		ClientId:     aws.String(t.ClientID),
		ClientSecret: aws.String(t.ClientSecret.Reveal()),
		GrantType:    aws.String("refresh_token"),
		RefreshToken: aws.String(t.Refresh.Reveal()),
	})
	if err != nil {
		return nil, fmt.Errorf("renewing the IAM Identity Center sign-in of %s: %w", ssoSubject(p), describeAWSError(err, o.Timeout))
	}
	nt := *t
	if err := r.keepToken(&nt, out, s, st); err != nil {
		return nil, err
	}
	return &nt, nil
}

// ssoSignIn runs the device authorization flow: register a client (or use
// the cached one), show the person the code, wait for the approval.
func (r *Resolver) ssoSignIn(ctx context.Context, p *awsconfig.Profile, s ssoSettings, old *ssoToken, st *retrieval) (*ssoToken, error) {
	if r.SSOLogin == nil {
		return nil, &SSOLoginRequiredError{Profile: st.target, Session: p.SSOSession}
	}
	o := r.opts()
	client := r.oidc(p, s)
	t := &ssoToken{V: 1, StartURL: s.startURL, Region: s.region}
	if old != nil && old.clientValid(r.now()) {
		t.ClientID, t.ClientSecret, t.ClientExpires = old.ClientID, old.ClientSecret, old.ClientExpires
	}
	fail := func(err error) error {
		return fmt.Errorf("signing in to IAM Identity Center for %s: %w", ssoSubject(p), err)
	}
	var da *ssooidc.StartDeviceAuthorizationOutput
	for attempt := 0; ; attempt++ {
		if t.ClientID == "" {
			if err := r.registerClient(ctx, client, s, t); err != nil {
				return nil, fail(err)
			}
		}
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		var err error
		da, err = client.StartDeviceAuthorization(cctx, &ssooidc.StartDeviceAuthorizationInput{
			ClientId:     aws.String(t.ClientID),
			ClientSecret: aws.String(t.ClientSecret.Reveal()),
			StartUrl:     aws.String(s.startURL),
		})
		cancel()
		var ic *oidctypes.InvalidClientException
		if err != nil && attempt == 0 && errors.As(err, &ic) {
			t.ClientID = "" // the cached client is gone: register anew
			continue
		}
		if err != nil {
			return nil, fail(describeAWSError(err, o.Timeout))
		}
		break
	}
	if da.DeviceCode == nil || da.UserCode == nil || (da.VerificationUriComplete == nil && da.VerificationUri == nil) {
		return nil, fail(errors.New("the sign-in service answered without a code"))
	}
	expires := r.now().Add(time.Duration(da.ExpiresIn) * time.Second)
	if da.ExpiresIn <= 0 {
		expires = r.now().Add(10 * time.Minute)
	}
	url := aws.ToString(da.VerificationUriComplete)
	if url == "" {
		url = aws.ToString(da.VerificationUri)
	}
	if err := r.SSOLogin(ctx, DeviceAuth{Profile: st.target, Session: p.SSOSession, StartURL: s.startURL, URL: url, UserCode: *da.UserCode, Expires: expires}); err != nil {
		return nil, err
	}
	interval := time.Duration(da.Interval) * time.Second
	if interval <= 0 {
		interval = 5 * time.Second
	}
	for {
		if err := r.wait(ctx, interval); err != nil {
			return nil, err
		}
		if !r.now().Before(expires) {
			return nil, fail(errors.New("the sign-in code expired before it was approved"))
		}
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		out, err := client.CreateToken(cctx, &ssooidc.CreateTokenInput{
			ClientId:     aws.String(t.ClientID),
			ClientSecret: aws.String(t.ClientSecret.Reveal()),
			GrantType:    aws.String(deviceGrant),
			DeviceCode:   da.DeviceCode,
		})
		cancel()
		var (
			pending *oidctypes.AuthorizationPendingException
			slow    *oidctypes.SlowDownException
			expired *oidctypes.ExpiredTokenException
			denied  *oidctypes.AccessDeniedException
		)
		switch {
		case err == nil:
			if err := r.keepToken(t, out, s, st); err != nil {
				return nil, err
			}
			return t, nil
		case errors.As(err, &pending):
		case errors.As(err, &slow):
			interval += 5 * time.Second
		case errors.As(err, &expired):
			return nil, fail(errors.New("the sign-in code expired before it was approved"))
		case errors.As(err, &denied):
			return nil, fail(errors.New("the sign-in was denied"))
		case errors.Is(err, context.Canceled) && ctx.Err() != nil:
			return nil, ctx.Err()
		default:
			return nil, fail(describeAWSError(err, o.Timeout))
		}
	}
}

func (r *Resolver) registerClient(ctx context.Context, client SSOOIDCAPI, s ssoSettings, t *ssoToken) error {
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := client.RegisterClient(cctx, &ssooidc.RegisterClientInput{
		ClientName: aws.String("awstray"),
		ClientType: aws.String("public"),
		Scopes:     s.scopes,
	})
	if err != nil {
		return describeAWSError(err, o.Timeout)
	}
	if out.ClientId == nil || out.ClientSecret == nil {
		return errors.New("the sign-in service registered no client")
	}
	t.ClientID, t.ClientSecret = *out.ClientId, NewSecret(*out.ClientSecret)
	t.ClientExpires = time.Unix(out.ClientSecretExpiresAt, 0).UTC().Format(time.RFC3339)
	return nil
}

// keepToken takes a CreateToken answer into t and caches t. A failed write
// is a warning: the token is good (and a refresh token works once — the
// old one is spent), so it is used.
func (r *Resolver) keepToken(t *ssoToken, out *ssooidc.CreateTokenOutput, s ssoSettings, st *retrieval) error {
	if out.AccessToken == nil || *out.AccessToken == "" || out.ExpiresIn <= 0 {
		return errors.New("the sign-in service answered without a token")
	}
	t.Access = NewSecret(*out.AccessToken)
	t.Expires = r.now().Add(time.Duration(out.ExpiresIn) * time.Second).UTC().Format(time.RFC3339)
	if out.RefreshToken != nil && *out.RefreshToken != "" {
		t.Refresh = NewSecret(*out.RefreshToken) // rotated on each refresh
	}
	b := encodeSSOToken(t)
	if err := r.Store.Set(keystore.Key{Kind: keystore.KindSSOToken, Profile: s.cacheName}, b, "awstray IAM Identity Center sign-in "+s.startURL); err != nil {
		st.warn(fmt.Errorf("caching the IAM Identity Center sign-in of %s: %w", s.startURL, err))
	}
	return nil
}

func (r *Resolver) getRoleCredentials(ctx context.Context, p *awsconfig.Profile, s ssoSettings, t *ssoToken) (Credentials, error) {
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := r.ssoPortal(p, s).GetRoleCredentials(cctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(t.Access.Reveal()),
		AccountId:   aws.String(p.SSOAccountID),
		RoleName:    aws.String(p.SSORoleName),
	})
	what := fmt.Sprintf("getting role %s in account %s for profile %q", p.SSORoleName, p.SSOAccountID, p.Name)
	if err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", what, describeAWSError(err, o.Timeout))
	}
	rc := out.RoleCredentials
	if rc == nil || rc.AccessKeyId == nil || rc.SecretAccessKey == nil || rc.SessionToken == nil || rc.Expiration == 0 {
		return Credentials{}, fmt.Errorf("%s: the portal answered without credentials", what)
	}
	return Credentials{
		AccessKeyID:     *rc.AccessKeyId,
		SecretAccessKey: NewSecret(*rc.SecretAccessKey),
		SessionToken:    NewSecret(*rc.SessionToken),
		Expires:         time.UnixMilli(rc.Expiration).UTC(),
	}, nil
}

func (r *Resolver) oidc(p *awsconfig.Profile, s ssoSettings) SSOOIDCAPI {
	endpoint := r.Config.Endpoint(p, "sso-oidc", r.getenv)
	if r.NewSSOOIDC != nil {
		return r.NewSSOOIDC(s.region, endpoint)
	}
	o := ssooidc.Options{Region: s.region, Credentials: aws.AnonymousCredentials{}, HTTPClient: r.httpClient(), Retryer: retryerFor(r.opts().Timeout),
		APIOptions: []func(*middleware.Stack) error{recordAttempts}, DisableClockSkewCorrection: true}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return ssooidc.New(o)
}

func (r *Resolver) ssoPortal(p *awsconfig.Profile, s ssoSettings) SSOAPI {
	endpoint := r.Config.Endpoint(p, "sso", r.getenv)
	if r.NewSSO != nil {
		return r.NewSSO(s.region, endpoint)
	}
	o := sso.Options{Region: s.region, Credentials: aws.AnonymousCredentials{}, HTTPClient: r.httpClient(), Retryer: retryerFor(r.opts().Timeout),
		APIOptions: []func(*middleware.Stack) error{recordAttempts}, DisableClockSkewCorrection: true}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return sso.New(o)
}

func (r *Resolver) httpClient() *http.Client { return &http.Client{Timeout: r.opts().Timeout} }

// wait sleeps d, or less when ctx ends.
func (r *Resolver) wait(ctx context.Context, d time.Duration) error {
	if r.sleep != nil {
		return r.sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SSOAssignment is an account and role the signed-in person may use.
type SSOAssignment struct {
	AccountID   string
	AccountName string
	RoleName    string
}

// SSOAssignments lists every account and role the sso-session's sign-in
// may use (the portal's ListAccounts and ListAccountRoles), signing in
// first when needed, sorted by account name and role.
func (r *Resolver) SSOAssignments(ctx context.Context, session string) ([]SSOAssignment, error) {
	sess := r.Config.SSOSessions[session]
	switch {
	case sess == nil:
		return nil, fmt.Errorf("no [sso-session %s] in %s", session, r.Config.Path)
	case sess.StartURL == "" || sess.Region == "":
		return nil, fmt.Errorf("[sso-session %s] needs sso_start_url and sso_region", session)
	}
	p := &awsconfig.Profile{SSOSession: session}
	s := ssoSettingsOf(r.Config, p)
	tok, signedIn, err := r.ssoAccessToken(ctx, p, s, &retrieval{})
	if err != nil {
		return nil, err
	}
	out, err := r.listAssignments(ctx, p, s, tok)
	var ue *AWSError
	if err != nil && !signedIn && errors.As(err, &ue) && ue.Code == "UnauthorizedException" {
		if tok, err = r.ssoSignIn(ctx, p, s, tok, &retrieval{}); err != nil {
			return nil, err
		}
		out, err = r.listAssignments(ctx, p, s, tok)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the accounts of sso-session %q: %w", session, err)
	}
	slices.SortFunc(out, func(a, b SSOAssignment) int {
		return cmp.Or(cmp.Compare(a.AccountName, b.AccountName), cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.RoleName, b.RoleName))
	})
	return out, nil
}

func (r *Resolver) listAssignments(ctx context.Context, p *awsconfig.Profile, s ssoSettings, t *ssoToken) ([]SSOAssignment, error) {
	o := r.opts()
	portal := r.ssoPortal(p, s)
	var out []SSOAssignment
	accounts := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: aws.String(t.Access.Reveal()), MaxResults: aws.Int32(100)})
	for accounts.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		page, err := accounts.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, describeAWSError(err, o.Timeout)
		}
		for _, a := range page.AccountList {
			id, name := aws.ToString(a.AccountId), aws.ToString(a.AccountName)
			roles := sso.NewListAccountRolesPaginator(portal, &sso.ListAccountRolesInput{AccessToken: aws.String(t.Access.Reveal()), AccountId: a.AccountId, MaxResults: aws.Int32(100)})
			for roles.HasMorePages() {
				cctx, cancel := context.WithTimeout(ctx, o.Timeout)
				rp, err := roles.NextPage(cctx)
				cancel()
				if err != nil {
					return nil, describeAWSError(err, o.Timeout)
				}
				for _, role := range rp.RoleList {
					out = append(out, SSOAssignment{AccountID: id, AccountName: name, RoleName: aws.ToString(role.RoleName)})
				}
			}
		}
	}
	return out, nil
}

// SSOSignOut ends the IAM Identity Center sign-in cached under name (an
// SSOCacheName) at AWS, as `aws sso logout` does, and returns its portal;
// "" when none is cached. It leaves the keyring item to ClearSessions. A
// token AWS no longer knows is signed out already.
func (r *Resolver) SSOSignOut(ctx context.Context, name string) (string, error) {
	b, err := r.Store.Get(keystore.Key{Kind: keystore.KindSSOToken, Profile: name})
	if errors.Is(err, keystore.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	t, err := decodeSSOToken(b)
	if err != nil {
		return "", nil // damaged: nothing to sign out with
	}
	p := &awsconfig.Profile{}
	if session, ok := strings.CutPrefix(name, "session:"); ok {
		p.SSOSession = session
	}
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	_, err = r.ssoPortal(p, ssoSettings{region: t.Region}).Logout(cctx, &sso.LogoutInput{AccessToken: aws.String(t.Access.Reveal())})
	var ae *AWSError
	if err != nil {
		if err = describeAWSError(err, o.Timeout); errors.As(err, &ae) && ae.Code == "UnauthorizedException" {
			err = nil
		}
	}
	if err != nil {
		return t.StartURL, fmt.Errorf("signing out of %s: %w", t.StartURL, err)
	}
	return t.StartURL, nil
}
