package testfake

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// A fake of AWS IAM Identity Center for the SDK's ssooidc and sso clients:
// moto has neither. One httptest server answers both APIs, on the paths and
// with the JSON members of the published (restJson1) models, so a client
// pointed at it with BaseEndpoint (or AWS_ENDPOINT_URL_SSO_OIDC and
// AWS_ENDPOINT_URL_SSO) gets the SDK's typed errors. The SDK reads an
// error's code from the X-Amzn-ErrorType header first, then from the body's
// "__type" and "code"; never from the OAuth "error" member, which it only
// keeps as Error_. So every error here carries the header.

// Defaults of SSOOptions.
const (
	DefaultSSODeviceCodeTTL      = 10 * time.Minute
	DefaultSSOInterval           = time.Second
	DefaultSSOAccessTokenTTL     = time.Hour
	DefaultSSORoleCredentialsTTL = time.Hour
	DefaultSSOUserName           = "tester@example.com"

	// SSOClientSecretTTL is how long a registered client stays valid, as
	// at AWS.
	SSOClientSecretTTL = 90 * 24 * time.Hour
	// SSORefreshScope is the scope a client registers with to be given
	// refresh tokens, as at AWS.
	SSORefreshScope = "sso:account:access"
	// Grant types of CreateToken.
	SSOGrantDeviceCode   = "urn:ietf:params:oauth:grant-type:device_code"
	SSOGrantRefreshToken = "refresh_token"
)

// slowDownTolerance forgives a poll that comes this much before the
// interval is up (clock granularity, a scheduler's hiccup).
const slowDownTolerance = 100 * time.Millisecond

// maxSSOBody bounds a request body; the SDK's are well under 1 KiB.
const maxSSOBody = 64 << 10

// SSORole is an account and a permission set's role that the signed-in
// person may use.
type SSORole struct {
	AccountID string
	RoleName  string
	// AccountName is the account's name in ListAccounts (default
	// "account-ACCOUNTID"); it does not tell roles apart.
	AccountName string
}

// SSOOptions configures StartSSO; zero values take the defaults.
type SSOOptions struct {
	// MotoURL, when set, is the STS endpoint (moto's URL, or a
	// CountingProxy's in front of it) that mints role credentials with
	// AssumeRole, so that they work for later calls against moto.
	// Without it the credentials are random and work nowhere.
	MotoURL string
	// Roles lists the roles GetRoleCredentials hands out; empty allows
	// every account and role.
	Roles []SSORole
	// UserName is the signed-in person, used as the role session name.
	UserName string
	// DeviceCodeTTL is StartDeviceAuthorization's expiresIn (whole
	// seconds on the wire).
	DeviceCodeTTL time.Duration
	// Interval is StartDeviceAuthorization's polling interval (whole
	// seconds on the wire, at least 1).
	Interval time.Duration
	// AllowFastPolling turns off slow_down. Otherwise a CreateToken for a
	// device code that comes sooner than Interval (less 100 ms) after the
	// previous one for the same code gets SlowDownException; the first
	// poll may come at once. Unlike RFC 8628 the interval does not grow
	// after a slow_down.
	AllowFastPolling bool
	// AccessTokenTTL is how long an access token is good for; CreateToken
	// returns it as expiresIn (whole seconds).
	AccessTokenTTL time.Duration
	// RoleCredentialsTTL sets the role credentials' expiration. moto is
	// asked for at least 900 s (the AssumeRole minimum) whatever this is.
	RoleCredentialsTTL time.Duration
	// Deny starts the fake with the person denying every sign-in.
	Deny bool
}

// SSOCounts counts the requests that reached each operation, failed ones
// included.
type SSOCounts struct {
	RegisterClient           int
	StartDeviceAuthorization int
	CreateTokenDeviceCode    int // grantType device_code
	CreateTokenRefresh       int // grantType refresh_token
	CreateTokenOther         int // any other grant type
	GetRoleCredentials       int
	ListAccounts             int
	ListAccountRoles         int
	Logout                   int
	Approvals                int // sign-ins approved on the verification page
	Denials                  int // sign-ins denied there
}

// SSO is a running fake of IAM Identity Center's OIDC service and portal.
type SSO struct {
	// URL serves both APIs, e.g. http://127.0.0.1:40123.
	URL string

	srv *httptest.Server
	sts *sts.Client // nil without MotoURL

	mu      sync.Mutex // protects everything below
	opts    SSOOptions
	roles   map[SSORole]bool // by account and role name, AccountName empty
	skew    time.Duration    // Advance's total
	counts  SSOCounts
	clients map[string]*ssoClient // by client id
	devices map[string]*ssoDevice // by device code
	users   map[string]*ssoDevice // by user code
	access  map[string]ssoAccess  // by access token
	refresh map[string]string     // refresh token -> client id
	issued  []string              // every client secret, access and refresh token handed out
}

type ssoClient struct {
	secret     string
	expires    time.Time
	canRefresh bool
}

type ssoDevice struct {
	clientID string
	userCode string
	expires  time.Time
	state    deviceState
	lastPoll time.Time // zero before the first poll
}

type deviceState int

const (
	devicePending deviceState = iota
	deviceApproved
	deviceDenied
	deviceRedeemed
)

type ssoAccess struct {
	clientID string
	expires  time.Time
}

// StartSSO starts the fake for one test and closes it at cleanup.
func StartSSO(t testing.TB, opts SSOOptions) *SSO {
	t.Helper()
	if opts.UserName == "" {
		opts.UserName = DefaultSSOUserName
	}
	if opts.DeviceCodeTTL <= 0 {
		opts.DeviceCodeTTL = DefaultSSODeviceCodeTTL
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultSSOInterval
	}
	if opts.AccessTokenTTL <= 0 {
		opts.AccessTokenTTL = DefaultSSOAccessTokenTTL
	}
	if opts.RoleCredentialsTTL <= 0 {
		opts.RoleCredentialsTTL = DefaultSSORoleCredentialsTTL
	}
	s := &SSO{
		opts:    opts,
		roles:   map[SSORole]bool{},
		clients: map[string]*ssoClient{},
		devices: map[string]*ssoDevice{},
		users:   map[string]*ssoDevice{},
		access:  map[string]ssoAccess{},
		refresh: map[string]string{},
	}
	for _, r := range opts.Roles {
		s.roles[SSORole{AccountID: r.AccountID, RoleName: r.RoleName}] = true
	}
	if opts.MotoURL != "" {
		// moto without signature enforcement takes any key.
		s.sts = sts.New(sts.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(opts.MotoURL),
			Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
				return aws.Credentials{AccessKeyID: "AKIAIOSFODNN7SSOFAKE", SecretAccessKey: "ssofake/ssofake/ssofake/ssofake/ssofake0"}, nil
			}),
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /client/register", s.registerClient)
	mux.HandleFunc("POST /device_authorization", s.startDeviceAuthorization)
	mux.HandleFunc("POST /token", s.createToken)
	mux.HandleFunc("GET /start", s.verificationPage)
	mux.HandleFunc("GET /federation/credentials", s.getRoleCredentials)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /assignment/accounts", s.listAccounts)
	mux.HandleFunc("GET /assignment/roles", s.listAccountRoles)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Counts returns a copy of the counters.
func (s *SSO) Counts() SSOCounts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts
}

// Secrets returns every secret the fake handed out: client secrets, access
// and refresh tokens (also the ones refreshed away), for tests that check
// none of them leaks.
func (s *SSO) Secrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// Deny makes the person deny (true) or approve (false) the sign-ins they
// open on the verification page from now on.
func (s *SSO) Deny(deny bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Deny = deny
}

// RevokeAll ends every session, as an administrator can: all access and
// refresh tokens stop working.
func (s *SSO) RevokeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.access)
	clear(s.refresh)
}

// Advance moves the fake's clock forward, so that device codes, tokens
// and client registrations expire without the test sleeping.
func (s *SSO) Advance(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.skew += d
}

// SetAccessTokenTTL changes the lifetime of access tokens issued from now on.
func (s *SSO) SetAccessTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.AccessTokenTTL = d
}

// SetDeviceCodeTTL changes the lifetime of device codes issued from now on.
func (s *SSO) SetDeviceCodeTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.DeviceCodeTTL = d
}

// SetRoleCredentialsTTL changes the lifetime of role credentials issued
// from now on.
func (s *SSO) SetRoleCredentialsTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.RoleCredentialsTTL = d
}

// IssueAccessToken makes a valid access token without a device flow, for
// a test that seeds the SDK's token cache; it expires after the access
// token TTL.
func (s *SSO) IssueAccessToken() (token string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	token = "aoa" + randomString(48)
	expires = s.now().Add(s.opts.AccessTokenTTL)
	s.access[token] = ssoAccess{expires: expires}
	return token, expires
}

// now is the fake's clock; call it with mu held.
func (s *SSO) now() time.Time { return time.Now().Add(s.skew) }

// ssoError is an error response: OAuth's error and error_description in
// the body for sso-oidc, message for the portal, and the shape's name in
// X-Amzn-ErrorType, which is what the SDK reads the type from.
type ssoError struct {
	status int
	typ    string // shape name, e.g. AuthorizationPendingException
	oauth  string // OAuth error code, e.g. authorization_pending; "" for the portal
	desc   string
}

func (e *ssoError) write(w http.ResponseWriter) {
	body := map[string]string{}
	if e.oauth != "" {
		body["error"] = e.oauth
		body["error_description"] = e.desc
	} else {
		body["message"] = e.desc
	}
	w.Header().Set("X-Amzn-ErrorType", e.typ)
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// The SDK puts it in its errors ("RequestID: ...").
	w.Header().Set("X-Amzn-Requestid", randomHex(16))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func oidcError(status int, typ, oauth, desc string) *ssoError {
	return &ssoError{status: status, typ: typ, oauth: oauth, desc: desc}
}

var (
	errInvalidClient = oidcError(http.StatusUnauthorized, "InvalidClientException", "invalid_client", "Invalid client or client secret")
	errExpiredClient = oidcError(http.StatusUnauthorized, "InvalidClientException", "invalid_client", "Client registration has expired")
	errPending       = oidcError(http.StatusBadRequest, "AuthorizationPendingException", "authorization_pending", "Authorization is pending")
	errSlowDown      = oidcError(http.StatusBadRequest, "SlowDownException", "slow_down", "Polling too fast")
	errExpiredDevice = oidcError(http.StatusBadRequest, "ExpiredTokenException", "expired_token", "Device code has expired")
	errDenied        = oidcError(http.StatusBadRequest, "AccessDeniedException", "access_denied", "Authorization was denied")
	errBadDevice     = oidcError(http.StatusBadRequest, "InvalidGrantException", "invalid_grant", "Invalid or already used device code")
	errBadRefresh    = oidcError(http.StatusBadRequest, "InvalidGrantException", "invalid_grant", "Invalid refresh token provided")
	errGrantType     = oidcError(http.StatusBadRequest, "UnsupportedGrantTypeException", "unsupported_grant_type", "Unsupported grant type")

	errUnauthorized = &ssoError{status: http.StatusUnauthorized, typ: "UnauthorizedException", desc: "Session token not found or invalid"}
	// ForbiddenException is not in the sso model: the SDK returns it as a
	// smithy.GenericAPIError with that code, as it does for AWS's answer.
	errForbidden = &ssoError{status: http.StatusForbidden, typ: "ForbiddenException", desc: "No access"}
)

func invalidRequest(desc string) *ssoError {
	return oidcError(http.StatusBadRequest, "InvalidRequestException", "invalid_request", desc)
}

// readJSON decodes a bounded request body into v.
func readJSON(w http.ResponseWriter, r *http.Request, v any) *ssoError {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSSOBody))
	if err != nil {
		return invalidRequest("request body too large or unreadable")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalidRequest("malformed JSON body")
	}
	return nil
}

// client checks a client id and secret; call it with mu held.
func (s *SSO) client(id, secret string) (*ssoClient, *ssoError) {
	c, ok := s.clients[id]
	if !ok || c.secret != secret {
		return nil, errInvalidClient
	}
	if !s.now().Before(c.expires) {
		return nil, errExpiredClient
	}
	return c, nil
}

func (s *SSO) registerClient(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.RegisterClient++
	s.mu.Unlock()
	var in struct {
		ClientName string   `json:"clientName"`
		ClientType string   `json:"clientType"`
		Scopes     []string `json:"scopes"`
	}
	if e := readJSON(w, r, &in); e != nil {
		e.write(w)
		return
	}
	if in.ClientName == "" || in.ClientType == "" {
		invalidRequest("clientName and clientType are required").write(w)
		return
	}
	if in.ClientType != "public" {
		oidcError(http.StatusBadRequest, "InvalidClientMetadataException", "invalid_client_metadata", "Invalid client type").write(w)
		return
	}
	id, secret := randomString(22), randomString(64)
	s.mu.Lock()
	now := s.now()
	c := &ssoClient{secret: secret, expires: now.Add(SSOClientSecretTTL)}
	for _, sc := range in.Scopes {
		c.canRefresh = c.canRefresh || sc == SSORefreshScope
	}
	s.clients[id] = c
	s.issued = append(s.issued, secret)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"clientId":              id,
		"clientSecret":          secret,
		"clientIdIssuedAt":      now.Unix(),
		"clientSecretExpiresAt": c.expires.Unix(),
	})
}

func (s *SSO) startDeviceAuthorization(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.StartDeviceAuthorization++
	s.mu.Unlock()
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		StartURL     string `json:"startUrl"`
	}
	if e := readJSON(w, r, &in); e != nil {
		e.write(w)
		return
	}
	if in.StartURL == "" {
		invalidRequest("startUrl is required").write(w)
		return
	}
	s.mu.Lock()
	if _, e := s.client(in.ClientID, in.ClientSecret); e != nil {
		s.mu.Unlock()
		e.write(w)
		return
	}
	d := &ssoDevice{clientID: in.ClientID, expires: s.now().Add(s.opts.DeviceCodeTTL)}
	for d.userCode == "" || s.users[d.userCode] != nil {
		d.userCode = userCode()
	}
	code := randomString(48)
	s.devices[code] = d
	s.users[d.userCode] = d
	expiresIn := int64(s.opts.DeviceCodeTTL / time.Second)
	interval := int64((s.opts.Interval + time.Second - 1) / time.Second)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"deviceCode":              code,
		"userCode":                d.userCode,
		"verificationUri":         s.URL + "/start",
		"verificationUriComplete": s.URL + "/start?user_code=" + d.userCode,
		"expiresIn":               expiresIn,
		"interval":                interval,
	})
}

func (s *SSO) createToken(w http.ResponseWriter, r *http.Request) {
	var in struct {
		ClientID     string `json:"clientId"`
		ClientSecret string `json:"clientSecret"`
		GrantType    string `json:"grantType"`
		DeviceCode   string `json:"deviceCode"`
		RefreshToken string `json:"refreshToken"`
	}
	e := readJSON(w, r, &in)
	s.mu.Lock()
	switch in.GrantType {
	case SSOGrantDeviceCode:
		s.counts.CreateTokenDeviceCode++
	case SSOGrantRefreshToken:
		s.counts.CreateTokenRefresh++
	default:
		s.counts.CreateTokenOther++
	}
	s.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}
	s.mu.Lock()
	out, e := s.token(in.ClientID, in.ClientSecret, in.GrantType, in.DeviceCode, in.RefreshToken)
	s.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// token answers CreateToken; call it with mu held.
func (s *SSO) token(clientID, secret, grant, deviceCode, refreshToken string) (map[string]any, *ssoError) {
	c, e := s.client(clientID, secret)
	if e != nil {
		return nil, e
	}
	now := s.now()
	switch grant {
	case SSOGrantDeviceCode:
		d := s.devices[deviceCode]
		if d == nil || d.clientID != clientID || d.state == deviceRedeemed {
			return nil, errBadDevice
		}
		if !now.Before(d.expires) {
			return nil, errExpiredDevice
		}
		last := d.lastPoll
		d.lastPoll = now
		if !s.opts.AllowFastPolling && !last.IsZero() && now.Sub(last) < s.opts.Interval-slowDownTolerance {
			return nil, errSlowDown
		}
		switch d.state {
		case devicePending:
			return nil, errPending
		case deviceDenied:
			return nil, errDenied
		}
		d.state = deviceRedeemed
		delete(s.users, d.userCode)
	case SSOGrantRefreshToken:
		// A client registered without sso:account:access owns no
		// refresh token, so whatever it sends is unknown.
		if owner, ok := s.refresh[refreshToken]; !ok || owner != clientID {
			return nil, errBadRefresh
		}
		delete(s.refresh, refreshToken) // rotated: each refresh token works once
	default:
		return nil, errGrantType
	}
	token := "aoa" + randomString(48)
	s.access[token] = ssoAccess{clientID: clientID, expires: now.Add(s.opts.AccessTokenTTL)}
	s.issued = append(s.issued, token)
	out := map[string]any{
		"accessToken": token,
		"tokenType":   "Bearer",
		"expiresIn":   int64(s.opts.AccessTokenTTL / time.Second),
	}
	if c.canRefresh {
		rt := "aor" + randomString(48)
		s.refresh[rt] = clientID
		s.issued = append(s.issued, rt)
		out["refreshToken"] = rt
	}
	return out, nil
}

// verificationPage stands in for the person who opens the verification
// link in a browser, signs in and approves (or denies) the request.
func (s *SSO) verificationPage(w http.ResponseWriter, r *http.Request) {
	code := r.URL.Query().Get("user_code")
	if code == "" {
		http.Error(w, "no user_code", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	d := s.users[code]
	var status int
	var msg string
	switch {
	case d == nil:
		status, msg = http.StatusNotFound, "Unknown code."
	case !s.now().Before(d.expires):
		status, msg = http.StatusGone, "This code has expired."
	case r.Method == http.MethodHead:
		// A HEAD is not a person clicking anything.
		status, msg = http.StatusOK, ""
	case s.opts.Deny:
		if d.state != deviceDenied {
			s.counts.Denials++
		}
		d.state = deviceDenied
		status, msg = http.StatusOK, "Request denied. You can close this window."
	default:
		if d.state != deviceApproved {
			s.counts.Approvals++
		}
		d.state = deviceApproved
		status, msg = http.StatusOK, "Request approved. You can close this window."
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><title>AWS access portal (fake)</title><p>Code %s. %s</p>\n", html.EscapeString(code), msg)
}

// bearer checks the portal's bearer token; call it with mu held.
func (s *SSO) bearer(r *http.Request) *ssoError {
	a, ok := s.access[r.Header.Get("x-amz-sso_bearer_token")]
	if !ok || !s.now().Before(a.expires) {
		return errUnauthorized
	}
	return nil
}

func (s *SSO) getRoleCredentials(w http.ResponseWriter, r *http.Request) {
	role := SSORole{AccountID: r.URL.Query().Get("account_id"), RoleName: r.URL.Query().Get("role_name")}
	s.mu.Lock()
	s.counts.GetRoleCredentials++
	e := s.bearer(r)
	if e == nil && len(s.roles) > 0 && !s.roles[role] {
		e = errForbidden
	}
	now, ttl, user := s.now(), s.opts.RoleCredentialsTTL, s.opts.UserName
	s.mu.Unlock()
	if e == nil && (role.AccountID == "" || role.RoleName == "") {
		e = &ssoError{status: http.StatusBadRequest, typ: "InvalidRequestException", desc: "account_id and role_name are required"}
	}
	if e != nil {
		e.write(w)
		return
	}
	id, secret, session, err := s.mint(r.Context(), role, user, ttl)
	if err != nil {
		(&ssoError{status: http.StatusInternalServerError, typ: "InternalServerException", desc: err.Error()}).write(w)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"roleCredentials": map[string]any{
		"accessKeyId":     id,
		"secretAccessKey": secret,
		"sessionToken":    session,
		"expiration":      now.Add(ttl).UnixMilli(),
	}})
}

// listAccounts is the portal's ListAccounts: the accounts of Roles, in
// their order, max_result (default 10) a page.
func (s *SSO) listAccounts(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.ListAccounts++
	e := s.bearer(r)
	var accounts []map[string]any
	seen := map[string]bool{}
	for _, role := range s.opts.Roles {
		if seen[role.AccountID] {
			continue
		}
		seen[role.AccountID] = true
		name := role.AccountName
		if name == "" {
			name = "account-" + role.AccountID
		}
		accounts = append(accounts, map[string]any{"accountId": role.AccountID, "accountName": name, "emailAddress": "aws+" + role.AccountID + "@example.com"})
	}
	s.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}
	page, next, e := paginate(r, len(accounts))
	if e != nil {
		e.write(w)
		return
	}
	out := map[string]any{"accountList": accounts[page[0]:page[1]]}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// listAccountRoles is the portal's ListAccountRoles for account_id.
func (s *SSO) listAccountRoles(w http.ResponseWriter, r *http.Request) {
	account := r.URL.Query().Get("account_id")
	s.mu.Lock()
	s.counts.ListAccountRoles++
	e := s.bearer(r)
	var roles []map[string]any
	for _, role := range s.opts.Roles {
		if role.AccountID == account {
			roles = append(roles, map[string]any{"accountId": account, "roleName": role.RoleName})
		}
	}
	s.mu.Unlock()
	if e == nil && account == "" {
		e = invalidRequest("account_id is required")
	}
	if e != nil {
		e.write(w)
		return
	}
	page, next, e := paginate(r, len(roles))
	if e != nil {
		e.write(w)
		return
	}
	out := map[string]any{"roleList": roles[page[0]:page[1]]}
	if next != "" {
		out["nextToken"] = next
	}
	writeJSON(w, http.StatusOK, out)
}

// paginate returns the [from, to) of the page that next_token and
// max_result ask for among n items, and the token of the next page.
func paginate(r *http.Request, n int) ([2]int, string, *ssoError) {
	q := r.URL.Query()
	size := 10
	if v := q.Get("max_result"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 100 {
			return [2]int{}, "", invalidRequest("max_result must be 1 to 100")
		}
		size = m
	}
	from := 0
	if v := q.Get("next_token"); v != "" {
		f, err := strconv.Atoi(strings.TrimPrefix(v, "page-"))
		if err != nil || f < 0 || f > n {
			return [2]int{}, "", invalidRequest("bad next_token")
		}
		from = f
	}
	to := min(from+size, n)
	next := ""
	if to < n {
		next = "page-" + strconv.Itoa(to)
	}
	return [2]int{from, to}, next, nil
}

// mint makes role credentials: moto's AssumeRole when there is a moto,
// random ones otherwise.
func (s *SSO) mint(ctx context.Context, role SSORole, user string, ttl time.Duration) (id, secret, session string, err error) {
	if s.sts == nil {
		return "ASIA" + strings.ToUpper(randomHex(8)), randomString(40), randomString(300), nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	secs := max(int32(ttl/time.Second), 900)
	arn := fmt.Sprintf("arn:aws:iam::%s:role/%s", role.AccountID, role.RoleName)
	out, err := s.sts.AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn:         aws.String(arn),
		RoleSessionName: aws.String(user),
		DurationSeconds: aws.Int32(secs),
	})
	if err != nil {
		return "", "", "", fmt.Errorf("assuming %s in moto: %w", arn, err)
	}
	c := out.Credentials
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil {
		return "", "", "", errors.New("moto's AssumeRole returned no credentials")
	}
	return *c.AccessKeyId, *c.SecretAccessKey, *c.SessionToken, nil
}

func (s *SSO) logout(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts.Logout++
	e := s.bearer(r)
	if e == nil {
		delete(s.access, r.Header.Get("x-amz-sso_bearer_token"))
	}
	s.mu.Unlock()
	if e != nil {
		e.write(w)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// userCode is like AWS's: two groups of four letters without look-alikes.
func userCode() string {
	const letters = "BCDFGHJKLMNPQRSTVWXZ"
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	out := make([]byte, 0, 9)
	for i, c := range b {
		if i == 4 {
			out = append(out, '-')
		}
		out = append(out, letters[int(c)%len(letters)])
	}
	return string(out)
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%x", b)
}
