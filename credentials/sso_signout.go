package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

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
