package tray

import (
	"context"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/console"
)

// ConsoleOpener returns what "Open console" does for m's profiles: sign
// in with the profile's credentials as `awstray login` does — a role's
// held credentials; for an IAM user a federation token made with the
// stored key (refused with mfa_serial) — and hand the sign-in link to open,
// which must keep it out of every argv (launcher.OpenSecretURL).
func ConsoleOpener(m *credentials.Manager, getenv func(string) string, timeout time.Duration, open func(ctx context.Context, secretURL string) error) func(ctx context.Context, profile string) error {
	return func(ctx context.Context, profile string) error {
		p, err := m.Config().Profile(profile)
		if err != nil {
			return err
		}
		region := awsconfig.Region(p, getenv)
		var (
			c         credentials.Credentials
			federated bool
		)
		if p.Kind() == awsconfig.KindUser {
			if err := credentials.CheckFederation(p); err != nil {
				return err
			}
			c, err = m.FederationToken(ctx, profile, 0)
			federated = true
		} else {
			c, err = m.Credentials(ctx, profile, true)
			if err == nil && p.Kind() == awsconfig.KindProcess && c.SessionToken.IsZero() {
				c, err = m.FederationTokenWith(ctx, profile, c, 0)
				federated = true
			}
		}
		if err != nil {
			return err
		}
		link, err := console.LoginURL(ctx, console.Request{
			Credentials: c,
			Federated:   federated,
			Region:      region,
			Endpoint:    getenv(console.EnvFederationURL),
			Timeout:     timeout,
		})
		if err != nil {
			return err
		}
		return open(ctx, link.Reveal())
	}
}
