package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/busenv"
	"github.com/awstray/awstray/launcher"
	"github.com/awstray/awstray/settings"
)

// credsInput are the flags of every command that gets credentials.
type credsInput struct {
	profile   string
	region    string
	duration  time.Duration
	noSession bool
	mfaToken  string
	noAgent   bool
	// command is the command that asks (agent.CommandExec, …) and
	// program, for exec, the base name of what it runs: shown to the
	// person who confirms a guarded profile. Never the arguments.
	command string
	program string
}

func (in *credsInput) addFlags(cmd *cobra.Command, withRegion bool) {
	f := cmd.Flags()
	if withRegion {
		f.StringVar(&in.region, "region", "", "the region to set (default: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's region)")
	}
	f.DurationVar(&in.duration, "duration", 0, "lifetime of a new session, e.g. 1h (default: 8h for sessions, 1h or duration_seconds for roles)")
	f.BoolVarP(&in.noSession, "no-session", "n", false, "use the long-term key without making a session (where no MFA is needed)")
	f.StringVarP(&in.mfaToken, "mfa-token", "t", "", "the MFA code to use, instead of mfa_process or a prompt")
	f.BoolVar(&in.noAgent, "no-agent", false, "do not ask the running tray; work with the keyring and STS directly")
}

// useAgent: the tray serves its standard sessions; the flags that ask for
// something else make the CLI work on its own.
func (in *credsInput) useAgent(getenv func(string) string) bool {
	return !in.noAgent && in.duration == 0 && !in.noSession && in.mfaToken == "" && getenv("AWSTRAY_NO_AGENT") == ""
}

func (in *credsInput) validate() error {
	if in.duration != 0 && (in.duration < settings.MinDuration || in.duration > settings.MaxSessionDuration) {
		return fmt.Errorf("--duration %s is out of range: AWS allows 15m to 36h for sessions and 15m to 12h for roles", settings.ShortDuration(in.duration))
	}
	return nil
}

// validateFor checks --duration against what AWS allows p's kind: a role
// (AssumeRole) 12h at most. A role assumed with temporary credentials gets
// 1h at most whatever is asked; the chain caps that, as it does for
// duration_seconds and role_duration.
func (in *credsInput) validateFor(p *awsconfig.Profile) error {
	if in.duration > settings.MaxRoleDuration && p.Kind() == awsconfig.KindRole {
		return fmt.Errorf("--duration %s is out of range for role profile %q: AWS allows 15m to 12h for roles", settings.ShortDuration(in.duration), p.Name)
	}
	return nil
}

// resolved is a profile's credentials and the region to go with them.
type resolved struct {
	profile  *awsconfig.Profile
	creds    credentials.Credentials
	region   string
	fromTray bool // the tray's agent gave creds
}

func (r resolved) vars() launcher.Vars {
	return launcher.Vars{
		AccessKeyID:     r.creds.AccessKeyID,
		SecretAccessKey: r.creds.SecretAccessKey.Reveal(),
		SessionToken:    r.creds.SessionToken.Reveal(),
		Expires:         r.creds.Expires,
		Profile:         r.profile.Name,
	}
}

// confirmGuarded asks the person at the terminal to type the name of a
// guarded profile before the CLI, on its own, gets its credentials: the
// tray's question when no tray runs. Without a terminal it refuses.
func (a *App) confirmGuarded(in credsInput) error {
	s, _ := a.Settings() // a backend problem is Store's to report
	if !s.Guarded(in.profile) {
		return nil
	}
	tty, err := a.openTTY()
	if err != nil {
		return fmt.Errorf("profile %q is guarded: allowing it needs the tray or a terminal to confirm on", in.profile)
	}
	defer tty.Close()
	what := in.command
	if what == "" {
		what = "this command"
	}
	if in.program != "" {
		what += " of " + in.program
	}
	answer, err := tty.ReadLine(fmt.Sprintf("Profile %q is guarded. Type its name to allow %s: ", in.profile, what))
	if err != nil {
		return err
	}
	if answer != in.profile {
		return fmt.Errorf("credentials for profile %q were refused at the terminal", in.profile)
	}
	return nil
}

// resolve gets the credentials of in.profile; Ctrl-C during a prompt or an
// AWS call cancels cleanly.
func (a *App) resolve(in credsInput) (resolved, error) {
	if err := in.validate(); err != nil {
		return resolved{}, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	// The tray works on the request while this process reads the config:
	// on a large config the read is as long as the tray's answer, and on
	// the hot path neither needs the other. The config still decides: an
	// error in it (an unknown profile) is the answer, and ends the request.
	var fromTray chan agentReply
	if in.useAgent(a.Getenv) {
		fromTray = make(chan agentReply, 1)
		go func() {
			var r agentReply
			r.creds, r.ok, r.err = a.fromAgent(ctx, in)
			fromTray <- r
		}()
	}
	p, region, err := a.profileRegion(in)
	if err != nil {
		return resolved{}, err
	}
	if err := in.validateFor(p); err != nil {
		return resolved{}, err
	}
	if fromTray != nil {
		if r := <-fromTray; r.ok {
			if r.err != nil {
				return resolved{}, r.err
			}
			return resolved{profile: p, creds: r.creds, region: region, fromTray: true}, nil
		}
	}
	if busenv.Deferred {
		return resolved{}, againWithBus()
	}
	if err := a.confirmGuarded(in); err != nil {
		return resolved{}, err
	}
	r, err := a.Resolver(in.mfaToken)
	if err != nil {
		return resolved{}, err
	}
	res, err := r.Resolve(ctx, credentials.Request{Profile: in.profile, Duration: in.duration, NoSession: in.noSession})
	if err != nil {
		return resolved{}, err
	}
	if res.Warning != nil {
		// The credentials work; only the cache failed, so the next run may
		// call AWS (or ask for a code) again.
		fmt.Fprintf(a.Stderr, "awstray: warning: %s\n", oneLine(res.Warning.Error()))
	}
	return resolved{profile: p, creds: res.Credentials, region: region}, nil
}

// agentReply is what fromAgent returned.
type agentReply struct {
	creds credentials.Credentials
	ok    bool
	err   error
}

// profileRegion reads the config for in.profile and the region to set
// with its credentials.
func (a *App) profileRegion(in credsInput) (*awsconfig.Profile, string, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, "", err
	}
	p, err := cfg.Profile(in.profile)
	if err != nil {
		return nil, "", err
	}
	region := in.region
	if region == "" {
		region = awsconfig.Region(p, a.Getenv)
	}
	return p, region, nil
}
