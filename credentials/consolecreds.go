package credentials

import (
	"context"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// ConsoleSource is where console sign-in gets credentials from: the
// tray's Manager, or the CLI's Resolver (through the tray's agent when it
// runs). Each face fills it with its own calls; ConsoleCredentials decides
// which one a profile needs.
type ConsoleSource struct {
	// Credentials are the profile's credentials as export gives them.
	Credentials func(ctx context.Context, profile string) (Credentials, error)
	// FederationToken makes a federation token with the profile's stored
	// key (Resolver.FederationToken).
	FederationToken func(ctx context.Context, profile string, duration time.Duration) (Credentials, error)
	// FederationTokenWith makes one signed with key
	// (Resolver.FederationTokenWith).
	FederationTokenWith func(ctx context.Context, profile string, key Credentials, duration time.Duration) (Credentials, error)
}

// ConsoleCredentials are the credentials that sign in to the AWS console
// as p, and whether they are a federation token. A role (or SSO role)
// signs in with its own credentials. An IAM user's session cannot sign in,
// so a user gets a federation token made with the stored key (refused
// with mfa_serial: CheckFederation); a credential_process that gives a
// long-term key, one made with that key. duration is the federation
// token's (zero: its default).
func ConsoleCredentials(ctx context.Context, src ConsoleSource, p *awsconfig.Profile, duration time.Duration) (c Credentials, federated bool, err error) {
	if p.Kind() == awsconfig.KindUser {
		if err := CheckFederation(p); err != nil {
			return Credentials{}, false, err
		}
		c, err := src.FederationToken(ctx, p.Name, duration)
		return c, true, err
	}
	c, err = src.Credentials(ctx, p.Name)
	if err != nil {
		return Credentials{}, false, err
	}
	if p.Kind() == awsconfig.KindProcess && c.SessionToken.IsZero() {
		c, err := src.FederationTokenWith(ctx, p.Name, c, duration)
		return c, true, err
	}
	return c, false, nil
}
