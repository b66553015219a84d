package tray

import (
	"context"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/console"
	"github.com/awstray/awstray/desktop/browser"
	"github.com/awstray/awstray/settings"
)

// ConsoleOpener returns what "Open console" does for m's profiles: sign
// in with the profile's credentials as `awstray login` does — a role's
// held credentials; for an IAM user a federation token made with the
// stored key (refused with mfa_serial) — and hand the sign-in link to open,
// which must keep it out of every argv (BrowserOpener).
func ConsoleOpener(m *credentials.Manager, getenv func(string) string, timeout time.Duration, open func(ctx context.Context, profile, secretURL string) error) func(ctx context.Context, profile string) error {
	return func(ctx context.Context, profile string) error {
		p, err := m.Config().Profile(profile)
		if err != nil {
			return err
		}
		region := awsconfig.Region(p, getenv)
		c, federated, err := credentials.ConsoleCredentials(ctx, credentials.ConsoleSource{
			Credentials: func(ctx context.Context, profile string) (credentials.Credentials, error) {
				return m.Credentials(ctx, profile, true)
			},
			FederationToken:     m.FederationToken,
			FederationTokenWith: m.FederationTokenWith,
		}, p, 0)
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
		return open(ctx, profile, link.Reveal())
	}
}

// BrowserOpener opens a profile's console in the browser the settings at
// settingsPath choose for it, as `awstray login` does
// (settings.BrowserFor, browser.OpenConsole), waiting at most wait for
// the browser to fetch its one-shot link. The file is read at each click,
// off the loop, so an edit counts at once; a bad line costs that line
// only, as everywhere.
func BrowserOpener(settingsPath string, wait time.Duration) func(ctx context.Context, profile, secretURL string) error {
	return func(ctx context.Context, profile, secretURL string) error {
		var spec string
		if settingsPath != "" {
			s, _ := settings.Load(settingsPath) // with a *FileError, what could be read
			spec = s.BrowserFor(profile)
		}
		b, err := browser.Parse(spec)
		if err != nil {
			return err
		}
		return browser.OpenConsole(ctx, secretURL, profile, b, wait)
	}
}
