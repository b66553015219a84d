package credentials

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// The OIDC device authorization flow: register a client, show the person
// a code to approve in the browser, poll until it is approved.

// deviceGrant is the OAuth grant type of the device authorization flow.
const deviceGrant = "urn:ietf:params:oauth:grant-type:device_code"

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
