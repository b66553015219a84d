package credentials

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// Defaults of the chain.
const (
	DefaultSessionDuration = 8 * time.Hour
	DefaultRoleDuration    = time.Hour
	DefaultExpiryWindow    = 5 * time.Minute
	DefaultTimeout         = 30 * time.Second

	// roleChainLimit is AWS's cap on a role assumed with temporary credentials.
	roleChainLimit = time.Hour
)

// STSAPI is the part of the STS client the chain calls; *sts.Client
// satisfies it and tests pass fakes.
type STSAPI interface {
	GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, optFns ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error)
	AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, optFns ...func(*sts.Options)) (*sts.AssumeRoleOutput, error)
}

// MFAFunc returns a one-time code of the MFA device serial, which profile
// needs. It is called at most once per Retrieve.
type MFAFunc func(ctx context.Context, profile, serial string) (string, error)

// STSFactory makes an STS client that signs with creds.
type STSFactory func(region, endpoint string, creds Credentials) STSAPI

// Options tune the chain; zero values take the defaults.
type Options struct {
	SessionDuration time.Duration // GetSessionToken sessions
	RoleDuration    time.Duration // roles without duration_seconds
	ExpiryWindow    time.Duration // a cached session is renewed this long before it expires
	Timeout         time.Duration // deadline of each AWS call
}

func (o Options) withDefaults() Options {
	if o.SessionDuration == 0 {
		o.SessionDuration = DefaultSessionDuration
	}
	if o.RoleDuration == 0 {
		o.RoleDuration = DefaultRoleDuration
	}
	if o.ExpiryWindow == 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// Resolver turns profiles into credentials. It is safe to use from one
// goroutine at a time per Retrieve; the store serialises keyring access.
type Resolver struct {
	Config *awsconfig.Config
	Store  *keystore.Store
	MFA    MFAFunc
	NewSTS STSFactory               // nil: the real client (NewSTSClient)
	NewIAM func(Credentials) IAMAPI // nil: the real IAM client (Rotate)
	// SSOLogin shows the person an IAM Identity Center sign-in; nil: a
	// profile that needs one fails with ErrSSOLoginRequired.
	SSOLogin   SSOLoginFunc
	NewSSOOIDC func(region, endpoint string) SSOOIDCAPI // nil: the real client
	NewSSO     func(region, endpoint string) SSOAPI     // nil: the real client
	Getenv     func(string) string                      // nil: no environment
	Now        func() time.Time                         // nil: time.Now
	Options

	sleep func(context.Context, time.Duration) error // nil: a timer (tests pass a fast one)
}

// Request says what credentials to get.
type Request struct {
	Profile   string
	Duration  time.Duration // the target's session duration; 0: the default
	NoSession bool          // use the long-term key without GetSessionToken where possible
	// Details asks Resolve to learn PersonNeededAt behind cached roles too
	// (one more keyring read).
	Details bool
	// Fresh makes a new session for the profile itself even when a cached
	// one is valid (its sources may still come from the cache). The cached
	// one is replaced only when the new one is made.
	Fresh bool
}

// ErrNoKey means no long-term key is stored for a profile.
var ErrNoKey = errors.New("no key stored")

// NoKeyError names the profile whose key is missing.
type NoKeyError struct{ Profile string }

func (e *NoKeyError) Error() string {
	return fmt.Sprintf("no key stored for profile %q (add one with: awstray add %s)", e.Profile, e.Profile)
}

// Is makes errors.Is(err, ErrNoKey) true.
func (e *NoKeyError) Is(target error) bool { return target == ErrNoKey }

// retrieval is the state of one Retrieve: the MFA code, asked at most once.
type retrieval struct {
	req      Request
	target   string
	mfa      string // the serial of the chain, "" when none
	code     string
	personAt time.Time // expiry of the session made with the MFA code
	// warnings are cache writes that failed after AWS answered: the
	// credentials are good and are used (an MFA code is not burnt).
	warnings []error
}

// warn records a failed cache write.
func (st *retrieval) warn(err error) { st.warnings = append(st.warnings, err) }

// needsPerson records that c was made with the person's MFA code.
func (st *retrieval) needsPerson(c Credentials) {
	if st.mfa != "" && (st.personAt.IsZero() || c.Expires.Before(st.personAt)) {
		st.personAt = c.Expires
	}
}

// Retrieve returns credentials for req.Profile, from the keyring cache when
// a cached session is valid for longer than the expiry window. A failed
// cache write does not fail it; Resolve reports one as Result.Warning.
func (r *Resolver) Retrieve(ctx context.Context, req Request) (Credentials, error) {
	res, err := r.Resolve(ctx, req)
	return res.Credentials, err
}

// Result is what Resolve found: the credentials, and when renewing them
// stops being silent.
type Result struct {
	Credentials
	// PersonNeededAt is when the session that needed the person (an MFA
	// code) expires: after it, renewing the credentials asks for a code
	// again. Zero when renewal never needs the person.
	PersonNeededAt time.Time
	// Warning is set when the credentials are good but caching something
	// in the keyring failed after AWS answered (the next Resolve may have
	// to call AWS, or ask for a code, again). Callers show it once; it is
	// one line and carries no secret.
	Warning error
}

// Resolve is Retrieve with the details a long-running holder of the
// credentials (the tray) needs. It may read one more keyring item than
// Retrieve, to learn the base session's expiry behind a cached role.
func (r *Resolver) Resolve(ctx context.Context, req Request) (Result, error) {
	chain, err := r.Config.Chain(req.Profile)
	if err != nil {
		return Result{}, err
	}
	st := &retrieval{req: req, target: chain[0].Name}
	for _, p := range chain {
		if p.MFASerial != "" {
			st.mfa = p.MFASerial
			break
		}
	}
	c, err := r.profileCreds(ctx, chain, 0, st)
	if err != nil {
		return Result{}, err
	}
	if req.Details && st.personAt.IsZero() {
		if last := chain[len(chain)-1]; last.Kind() == awsconfig.KindSSO {
			if t, err := r.storedToken(ssoSettingsOf(r.Config, last)); err == nil && t != nil {
				st.ssoNeedsPerson(t, r.now())
			}
		} else if st.mfa != "" {
			r.findPersonDeadline(chain, st)
		}
	}
	res := Result{Credentials: c, PersonNeededAt: st.personAt}
	if len(st.warnings) > 0 {
		res.Warning = st.warnings[0]
		if n := len(st.warnings); n > 1 {
			res.Warning = fmt.Errorf("%w (and %d more failed cache writes)", st.warnings[0], n-1)
		}
	}
	return res, nil
}

// findPersonDeadline learns, behind cached roles, when the session made
// with the MFA code ends: the base session of the chain's IAM user, or the
// role assumed straight from its key. Gone already means renewing needs
// the person now.
func (r *Resolver) findPersonDeadline(chain []*awsconfig.Profile, st *retrieval) {
	key := keystore.Key{Kind: keystore.KindSession}
	for j := range chain {
		kp, ok := hasKeySource(chain, j)
		if !ok {
			continue
		}
		key.Profile = kp.Name
		d := chain[j].Duration
		if j == 0 && st.req.Duration != 0 {
			d = st.req.Duration
		}
		if st.req.NoSession || d > roleChainLimit {
			key = keystore.Key{Kind: keystore.KindRole, Profile: chain[j].Name}
		}
		break
	}
	if key.Profile == "" {
		return
	}
	deadline := r.now()
	if b, err := r.Store.Get(key); err == nil {
		if c, _, err := decode(b); err == nil && c.Expires.After(deadline) {
			deadline = c.Expires
		}
	}
	st.personAt = deadline
}

// ErrMFARequired means renewing needs an MFA code and the resolver has no
// way to ask (the tray's silent background refresh).
var ErrMFARequired = errors.New("an MFA code is needed")

// MFARequiredError names the profile.
type MFARequiredError struct{ Profile string }

func (e *MFARequiredError) Error() string {
	return fmt.Sprintf("profile %q needs an MFA code to renew its session", e.Profile)
}

// Is makes errors.Is(err, ErrMFARequired) true.
func (e *MFARequiredError) Is(target error) bool { return target == ErrMFARequired }

func (r *Resolver) opts() Options { return r.Options.withDefaults() }

func (r *Resolver) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Resolver) getenv(k string) string {
	if r.Getenv != nil {
		return r.Getenv(k)
	}
	return ""
}

// profileCreds returns the credentials of chain[i].
func (r *Resolver) profileCreds(ctx context.Context, chain []*awsconfig.Profile, i int, st *retrieval) (Credentials, error) {
	p := chain[i]
	if p.RoleARN == "" {
		return r.baseCreds(ctx, p, st, st.req.NoSession && st.mfa == "")
	}
	return r.roleCreds(ctx, chain, i, st)
}

// hasKeySource reports whether chain[i]'s source is a long-term key: the
// next profile is a plain IAM user, or the profile sources itself.
func hasKeySource(chain []*awsconfig.Profile, i int) (*awsconfig.Profile, bool) {
	if i == len(chain)-1 {
		p := chain[i]
		if p.SourceProfile == p.Name && p.CredentialProcess == "" {
			return p, true
		}
		return nil, false
	}
	src := chain[i+1]
	if src.Kind() == awsconfig.KindUser {
		return src, true
	}
	return nil, false
}

func (r *Resolver) roleCreds(ctx context.Context, chain []*awsconfig.Profile, i int, st *retrieval) (Credentials, error) {
	o := r.opts()
	p := chain[i]
	duration := p.Duration
	if i == 0 && st.req.Duration != 0 {
		duration = st.req.Duration
	}
	if duration == 0 {
		duration = o.RoleDuration
	}

	// Where the source credentials come from decides the cache fingerprint;
	// the cache is checked before the source is fetched, so a cached role
	// costs one keyring read.
	keyProfile, fromKey := hasKeySource(chain, i)
	var (
		fetch   func() (Credentials, error)
		srcDesc string
		withMFA bool
	)
	switch {
	case fromKey && (st.req.NoSession || duration > roleChainLimit):
		// Assumed straight from the long-term key, with the MFA code on
		// this call: AWS caps roles assumed with temporary credentials at 1 h.
		fetch = func() (Credentials, error) { return r.longTermKey(keyProfile.Name) }
		srcDesc = "key:" + keyProfile.Name + ":" + st.mfa
		withMFA = st.mfa != ""
	case fromKey:
		fetch = func() (Credentials, error) { return r.session(ctx, keyProfile, st) }
		srcDesc = "session:" + keyProfile.Name + ":" + st.mfa
	case i == len(chain)-1:
		// A role whose source is its own credential_process.
		fetch = func() (Credentials, error) { return r.baseCreds(ctx, p, st, true) }
		srcDesc = "process:" + p.CredentialProcess
		withMFA = st.mfa != ""
	default:
		fetch = func() (Credentials, error) { return r.profileCreds(ctx, chain, i+1, st) }
		srcDesc = "profile:" + chain[i+1].Name
		withMFA = st.mfa != "" && chain[i+1].RoleARN == "" // the first hop after a process
	}

	sessionName := p.RoleSessionName
	params := fingerprint("role", p.RoleARN, p.ExternalID, sessionName, strconv.FormatInt(int64(duration/time.Second), 10), srcDesc)
	key := keystore.Key{Kind: keystore.KindRole, Profile: p.Name}
	if c, ok := r.cached(key, params); ok && !(i == 0 && st.req.Fresh) {
		if withMFA && fromKey {
			st.needsPerson(c)
		}
		return c, nil
	}
	src, err := fetch()
	if err != nil {
		return Credentials{}, err
	}
	if src.CanExpire() && duration > roleChainLimit {
		duration = roleChainLimit
	}
	if sessionName == "" {
		sessionName = fmt.Sprintf("awstray-%d", r.now().Unix())
	}
	in := &sts.AssumeRoleInput{
		RoleArn:         aws.String(p.RoleARN),
		RoleSessionName: aws.String(sessionName),
		DurationSeconds: aws.Int32(int32(duration / time.Second)),
	}
	if p.ExternalID != "" {
		in.ExternalId = aws.String(p.ExternalID)
	}
	if withMFA {
		code, err := r.mfaCode(ctx, st)
		if err != nil {
			return Credentials{}, err
		}
		in.SerialNumber = aws.String(st.mfa)
		in.TokenCode = aws.String(code)
	}
	client := r.client(chain[0], src)
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := client.AssumeRole(cctx, in)
	if err != nil {
		return Credentials{}, fmt.Errorf("assuming role %s: %w", p.RoleARN, describeAWSError(err, o.Timeout))
	}
	c, err := fromSTS(out.Credentials)
	if err != nil {
		return Credentials{}, fmt.Errorf("assuming role %s: %w", p.RoleARN, err)
	}
	if err := r.Store.Set(key, encode(c, params), "awstray role session for profile "+p.Name); err != nil {
		st.warn(fmt.Errorf("caching the role session of profile %q: %w", p.Name, err))
	}
	if withMFA && fromKey {
		st.needsPerson(c)
	}
	return c, nil
}

// baseCreds returns the credentials of a profile that is no role: a
// credential_process, or an IAM user's session (or key, when direct).
func (r *Resolver) baseCreds(ctx context.Context, p *awsconfig.Profile, st *retrieval, direct bool) (Credentials, error) {
	switch p.Kind() {
	case awsconfig.KindProcess:
		return runCredentialProcess(ctx, p.Name, p.CredentialProcess)
	case awsconfig.KindRole:
		if p.CredentialProcess != "" {
			return runCredentialProcess(ctx, p.Name, p.CredentialProcess)
		}
		return r.longTermKey(p.Name)
	case awsconfig.KindSSO:
		return r.ssoCreds(ctx, p, st)
	}
	if direct {
		return r.longTermKey(p.Name)
	}
	return r.session(ctx, p, st)
}

// session returns the base session of the IAM user profile p: cached, or
// made with GetSessionToken (with MFA when the chain has a serial).
func (r *Resolver) session(ctx context.Context, p *awsconfig.Profile, st *retrieval) (Credentials, error) {
	o := r.opts()
	key := keystore.Key{Kind: keystore.KindSession, Profile: p.Name}
	params := fingerprint("session", st.mfa)
	if c, ok := r.cached(key, params); ok && !(p.Name == st.target && st.req.Fresh) {
		st.needsPerson(c)
		return c, nil
	}
	lt, err := r.longTermKey(p.Name)
	if err != nil {
		return Credentials{}, err
	}
	duration := o.SessionDuration
	if p.Name == st.target && st.req.Duration != 0 {
		duration = st.req.Duration
	}
	in := &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(int32(duration / time.Second))}
	if st.mfa != "" {
		code, err := r.mfaCode(ctx, st)
		if err != nil {
			return Credentials{}, err
		}
		in.SerialNumber = aws.String(st.mfa)
		in.TokenCode = aws.String(code)
	}
	client := r.client(p, lt)
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := client.GetSessionToken(cctx, in)
	if err != nil {
		return Credentials{}, fmt.Errorf("getting a session for profile %q: %w", p.Name, describeAWSError(err, o.Timeout))
	}
	c, err := fromSTS(out.Credentials)
	if err != nil {
		return Credentials{}, fmt.Errorf("getting a session for profile %q: %w", p.Name, err)
	}
	if err := r.Store.Set(key, encode(c, params), "awstray session for profile "+p.Name); err != nil {
		st.warn(fmt.Errorf("caching the session of profile %q: %w", p.Name, err))
	}
	st.needsPerson(c)
	return c, nil
}

// LongTermKey reads the stored key of profile.
func (r *Resolver) longTermKey(profile string) (Credentials, error) {
	b, err := r.Store.Get(keystore.Key{Kind: keystore.KindKey, Profile: profile})
	if errors.Is(err, keystore.ErrNotFound) {
		return Credentials{}, &NoKeyError{Profile: profile}
	}
	if err != nil {
		return Credentials{}, err
	}
	c, _, err := decode(b)
	if err != nil {
		return Credentials{}, fmt.Errorf("reading the key of profile %q: %w", profile, err)
	}
	return c, nil
}

// cached returns a valid cached session made with params.
func (r *Resolver) cached(key keystore.Key, params string) (Credentials, bool) {
	b, err := r.Store.Get(key)
	if err != nil {
		return Credentials{}, false
	}
	c, p, err := decode(b)
	if err != nil || p != params || !c.ValidAt(r.now(), r.opts().ExpiryWindow) {
		return Credentials{}, false
	}
	return c, true
}

func (r *Resolver) mfaCode(ctx context.Context, st *retrieval) (string, error) {
	if st.code != "" {
		return st.code, nil
	}
	if r.MFA == nil {
		return "", &MFARequiredError{Profile: st.target}
	}
	code, err := r.MFA(ctx, st.target, st.mfa)
	if err != nil {
		return "", err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return "", fmt.Errorf("no MFA code given for profile %q", st.target)
	}
	st.code = code
	return code, nil
}

func (r *Resolver) client(p *awsconfig.Profile, creds Credentials) STSAPI {
	region := awsconfig.Region(p, r.getenv)
	if region == "" {
		region = "us-east-1"
	}
	endpoint := r.Config.Endpoint(p, "sts", r.getenv)
	if r.NewSTS != nil {
		return r.NewSTS(region, endpoint, creds)
	}
	return NewSTSClient(region, endpoint, creds, r.opts().Timeout)
}

func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
