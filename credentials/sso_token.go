package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// The IAM Identity Center sign-in as the keyring keeps it (one item per
// sso-session or start URL, shared by its profiles), and how a valid
// access token is had: the cached one, a refreshed one, or a new sign-in.

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
