package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
)

// agentDialTimeout bounds the look for a running tray: a missing socket
// fails at once; a hung tray must not hang the CLI.
const agentDialTimeout = 2 * time.Second

// agentSocket is where the tray's agent listens; "" when there is no
// place to look (Windows without a user name), and the CLI works on its
// own. An AWSTRAY_AGENT_SOCKET the agent refuses is an error: the person
// chose where the tray is, and working on our own instead would quietly
// go around the tray they meant (its locks, its guard, its record).
func (a *App) agentSocket() (string, error) {
	path, err := agent.SocketPath(a.Getenv)
	if err == nil {
		return path, nil
	}
	if a.Getenv("AWSTRAY_AGENT_SOCKET") != "" {
		return "", fmt.Errorf("%w (or set AWSTRAY_NO_AGENT=1 to work without the tray)", err)
	}
	return "", nil
}

// fromAgent asks the tray for in.profile's credentials. ok is false when
// no tray answers (the CLI then works on its own) or the tray does not
// know the profile (its config differs from ours).
func (a *App) fromAgent(ctx context.Context, in credsInput) (c credentials.Credentials, ok bool, err error) {
	// Interactive: a locked profile makes the tray show its dialog, and we
	// wait for the person there — never a prompt on this terminal.
	// The command and program let the person tell this request from
	// another when the profile is guarded.
	return a.askTray(func(cl *agent.Client) (credentials.Credentials, error) {
		return cl.CredentialsAs(ctx, in.profile, true, in.command, in.program)
	})
}

// serverFromAgent asks the tray for the profile's credentials for a fetch
// of the exec --server endpoint: never a dialog, as the SDK asking gives up
// on its endpoint after seconds. A profile locked in the tray is a
// *credentials.LockedError, which the endpoint answers so that the SDK
// reports it. ok is false when no tray runs (it quit) or the tray does not
// know the profile: the endpoint then works on its own. A tray that is
// there but does not answer is an error: working on our own then could
// serve a profile the person locked.
func (a *App) serverFromAgent(ctx context.Context, profile string) (c credentials.Credentials, ok bool, err error) {
	path, err := a.agentSocket()
	if err != nil {
		return c, true, err
	}
	cl, err := agent.Dial(path, agentDialTimeout)
	if errors.Is(err, agent.ErrNoAgent) {
		return c, false, nil
	}
	if err != nil {
		return c, true, err
	}
	defer cl.Close()
	c, err = cl.ServerCredentials(ctx, profile)
	var ae *agent.Error
	switch {
	case errors.As(err, &ae) && ae.Code == agent.CodeUnknownProfile:
		return c, false, nil
	case errors.As(err, &ae) && ae.Code == agent.CodeLocked:
		return c, true, &credentials.LockedError{Profile: profile}
	case err != nil:
		return c, true, agentError(err)
	}
	return c, true, nil
}

// federationFromAgent asks the tray for a federation token of the IAM
// user profile, for console sign-in: the tray's guard asks about a
// guarded profile and its usage record keeps the delivery. ok is false
// when no tray answers, the tray does not know the profile, or it is a
// tray from before the op: the CLI then works on its own, and asks at the
// terminal for a guarded profile.
func (a *App) federationFromAgent(ctx context.Context, profile string, duration time.Duration) (c credentials.Credentials, ok bool, err error) {
	return a.askTray(func(cl *agent.Client) (credentials.Credentials, error) {
		return cl.FederationToken(ctx, profile, duration)
	})
}

// askTray makes one request of the running tray. ok is false when no tray
// answers, or the tray does not know the profile or the request (a tray
// from before it): the CLI then works on its own. A socket path that
// cannot be used is an error (agentSocket).
func (a *App) askTray(ask func(*agent.Client) (credentials.Credentials, error)) (c credentials.Credentials, ok bool, err error) {
	path, err := a.agentSocket()
	if err != nil {
		return c, true, err
	}
	cl, err := agent.Dial(path, agentDialTimeout)
	if err != nil {
		return c, false, nil // no tray: standalone
	}
	defer cl.Close()
	c, err = ask(cl)
	var ae *agent.Error
	if agent.IsUnknownOp(err) || (errors.As(err, &ae) && ae.Code == agent.CodeUnknownProfile) {
		return c, false, nil
	}
	if err != nil {
		return c, true, agentError(err)
	}
	return c, true, nil
}

// trayForgetTimeout bounds telling the tray to forget profiles: a lock
// is memory and a few keyring removals, never a dialog.
const trayForgetTimeout = 10 * time.Second

// forgetInTray makes a running tray forget what it holds of profiles
// (every profile when none is named), after clear or remove changed the
// keyring: the tray serves from memory, so it would otherwise go on
// serving sessions the keyring no longer has, and a removed key's.
// No tray is no work; a tray that fails to answer is a one-line warning,
// and what was done in the keyring stays done.
func (a *App) forgetInTray(profiles []string) {
	warn := func(err error) {
		what := "its profiles (Lock all there)"
		if len(profiles) == 1 {
			what = fmt.Sprintf("profile %q (lock it there)", profiles[0])
		} else if len(profiles) > 1 {
			what = fmt.Sprintf("profiles %q (lock them there)", profiles)
		}
		fmt.Fprintf(a.Stderr, "awstray: warning: could not tell the running tray to forget %s: %s\n", what, oneLine(err.Error()))
	}
	if a.Getenv("AWSTRAY_NO_AGENT") != "" {
		return // the person said there is no tray to ask
	}
	path, err := a.agentSocket()
	if err != nil {
		warn(err)
		return
	}
	cl, err := agent.Dial(path, agentDialTimeout)
	if errors.Is(err, agent.ErrNoAgent) {
		return
	}
	if err != nil {
		warn(err)
		return
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), trayForgetTimeout)
	defer cancel()
	list, err := cl.List(ctx)
	if err != nil {
		warn(err)
		return
	}
	// Every profile is tried: one the tray cannot lock does not keep the
	// others held.
	var failed []error
	for _, p := range list {
		// A profile shown locked holds nothing; one whose unlock is under
		// way is held, and the lock cancels the unlock.
		if p.State == credentials.StateLocked.String() || (len(profiles) > 0 && !slices.Contains(profiles, p.Name)) {
			continue
		}
		if err := cl.Lock(ctx, p.Name); err != nil {
			failed = append(failed, fmt.Errorf("locking %s: %w", p.Name, err))
		}
	}
	if len(failed) > 0 {
		warn(errors.Join(failed...))
	}
}

// agentError words the tray's answer for the person at the terminal.
func agentError(err error) error {
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeCancelled {
		return errors.New("the unlock dialog of the tray was cancelled")
	}
	return err
}
