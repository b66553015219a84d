package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/console"
	"github.com/awstray/awstray/desktop/browser"
	"github.com/spf13/cobra"
)

// browserWait is how long login waits for the browser to fetch its link.
const browserWait = 60 * time.Second

type loginInput struct {
	credsInput
	stdout  bool
	path    string
	browser string
}

func newLoginCmd(app *App) *cobra.Command {
	var in loginInput
	cmd := &cobra.Command{
		Use:   "login PROFILE [--stdout] [--region R] [--path P] [--browser CMD]",
		Short: "Sign in to the AWS console in the browser",
		Long: `Open the AWS Management Console in the browser, signed in with the
profile's credentials.

Role profiles sign in with their role credentials (from the tray when it
runs). An IAM user profile signs in with a federation token (STS
GetFederationToken, signed with the stored key) that has the user's own
permissions; as that call takes no MFA code, a user profile with mfa_serial
is refused: sign in through a role profile instead. When the tray runs, it
makes the federation token, so a guarded profile is asked about there.

The browser is given a one-time loopback link that redirects to the sign-in
link, so the sign-in token never appears in any command line. --stdout prints
the sign-in link instead: it opens the console to whoever has it, for about
15 minutes.

The browser is the settings' [browsers] line for the profile, else their
browser setting, else $BROWSER, else the system's; --browser overrides them
once. A browser is a command, where %s stands for the link, or a built-in
mode that keeps each profile's console signed in beside the others:
"firefox-container" (a Firefox container per profile, through the Granted
Containers add-on) or "chromium-profile" (a browser profile per AWS
profile: --profile-directory=awstray-PROFILE), each optionally followed by
the browser's command, such as "chromium-profile brave-browser".

AWSTRAY_FEDERATION_URL overrides the federation endpoint
(default https://signin.aws.amazon.com/federation, or the China or GovCloud
one for their regions).`,
		Example:           "  awstray login work\n  awstray login work --region eu-west-1 --path ec2/home#Instances\n  awstray login work --browser firefox-container\n  awstray login work --stdout",
		Args:              profileArg("login"),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile = args[0]
			return runLogin(app, in)
		},
	}
	in.addFlags(cmd, false)
	f := cmd.Flags()
	// The shared --duration help speaks of sessions and roles; here it is
	// the federation token's.
	if d := f.Lookup("duration"); d != nil {
		d.Usage = "lifetime of the federation token of an IAM user profile, e.g. 4h (default 1h)"
	}
	f.StringVar(&in.region, "region", "", "the console's region (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region)")
	f.StringVar(&in.path, "path", "", "the console page to open, e.g. s3/home or ec2/home#Instances (default: the console home)")
	f.BoolVarP(&in.stdout, "stdout", "s", false, "print the sign-in link instead of opening the browser")
	f.StringVar(&in.browser, "browser", "", "the browser, this once: a command (%s: the link), firefox-container or chromium-profile [COMMAND]")
	return cmd
}

func runLogin(app *App, in loginInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	p, err := cfg.Profile(in.profile)
	if err != nil {
		return err
	}
	region := in.region
	if region == "" {
		region = awsconfig.Region(p, app.Getenv)
	}
	// Check what needs no AWS call first.
	var br *browser.Browser
	if !in.stdout {
		if br, err = app.consoleBrowser(in.browser, in.profile); err != nil {
			return err
		}
	}
	if _, err := console.Destination(region, in.path); err != nil {
		return err
	}
	if _, err := console.FederationURL(region, app.Getenv(console.EnvFederationURL)); err != nil {
		return err
	}
	creds, federated, err := app.consoleCredentials(in.credsInput, p)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	timeout, err := app.awsTimeout()
	if err != nil {
		return err
	}
	link, err := console.LoginURL(ctx, console.Request{
		Credentials: creds,
		Federated:   federated,
		Region:      region,
		Path:        in.path,
		Endpoint:    app.Getenv(console.EnvFederationURL),
		Timeout:     timeout,
		Now:         app.Now,
	})
	if err != nil {
		return err
	}
	if in.stdout {
		_, err := fmt.Fprintln(app.Stdout, link.Reveal())
		return err
	}
	if err := browser.OpenConsole(ctx, link.Reveal(), in.profile, br, browserWait); err != nil {
		return fmt.Errorf("opening the console: %w (--stdout prints the sign-in link)", err)
	}
	fmt.Fprintf(app.Stderr, "opened the AWS console for %s in the browser\n", in.profile)
	return nil
}

// consoleBrowser is the browser that opens profile's console: flag
// (--browser), else the settings' choice for the profile; nil is the
// default browser.
func (a *App) consoleBrowser(flag, profile string) (*browser.Browser, error) {
	spec := flag
	if spec == "" {
		s, err := a.Settings()
		if err != nil {
			return nil, err
		}
		spec = s.BrowserFor(profile)
	}
	b, err := browser.Parse(spec)
	if err != nil && flag != "" {
		return nil, fmt.Errorf("--browser: %w", err)
	}
	return b, err
}

// consoleCredentials are the credentials console sign-in uses for p
// (credentials.ConsoleCredentials), and whether they are a federation
// token. Role credentials (and SSO role credentials) come as for export:
// from the tray, else made here; so does an IAM user's federation token.
func (a *App) consoleCredentials(in credsInput, p *awsconfig.Profile) (credentials.Credentials, bool, error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	in.command = agent.CommandConsole
	return credentials.ConsoleCredentials(ctx, credentials.ConsoleSource{
		Credentials: func(context.Context, string) (credentials.Credentials, error) {
			res, err := a.resolve(in)
			return res.creds, err
		},
		FederationToken: func(ctx context.Context, profile string, d time.Duration) (credentials.Credentials, error) {
			// The federation token is a delivery like export's: the tray
			// makes it when it runs (its guard asks, its record keeps
			// it); on our own, a guarded profile is confirmed here before
			// the keyring is read.
			if !in.noAgent && a.Getenv("AWSTRAY_NO_AGENT") == "" {
				if c, ok, err := a.federationFromAgent(ctx, profile, d); ok {
					return c, err
				}
			}
			if err := a.confirmGuarded(in); err != nil {
				return credentials.Credentials{}, err
			}
			r, err := a.Resolver(in.mfaToken)
			if err != nil {
				return credentials.Credentials{}, err
			}
			return r.FederationToken(ctx, profile, d)
		},
		FederationTokenWith: func(ctx context.Context, profile string, key credentials.Credentials, d time.Duration) (credentials.Credentials, error) {
			r, err := a.Resolver(in.mfaToken)
			if err != nil {
				return credentials.Credentials{}, err
			}
			return r.FederationTokenWith(ctx, profile, key, d)
		},
	}, p, in.duration)
}

// awsTimeout is the deadline of each call to AWS: AWSTRAY_AWS_TIMEOUT, else
// the default.
func (a *App) awsTimeout() (time.Duration, error) {
	v := a.Getenv("AWSTRAY_AWS_TIMEOUT")
	if v == "" {
		return credentials.DefaultTimeout, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("AWSTRAY_AWS_TIMEOUT=%q is not a duration such as 30s", v)
	}
	return d, nil
}
