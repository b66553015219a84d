package cli

import (
	"context"
	"errors"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
)

// agentDialTimeout bounds the look for a running tray: a missing socket
// fails at once; a hung tray must not hang the CLI.
const agentDialTimeout = 2 * time.Second

// fromAgent asks the tray for in.profile's credentials. ok is false when
// no tray answers (the CLI then works on its own) or the tray does not
// know the profile (its config differs from ours).
func (a *App) fromAgent(ctx context.Context, in credsInput) (c credentials.Credentials, ok bool, err error) {
	path, err := agent.SocketPath(a.Getenv)
	if err != nil {
		return c, false, nil
	}
	cl, err := agent.Dial(path, agentDialTimeout)
	if err != nil {
		return c, false, nil // no tray: standalone
	}
	defer cl.Close()
	// Interactive: a locked profile makes the tray show its dialog, and we
	// wait for the person there — never a prompt on this terminal.
	// The command and program let the person tell this request from
	// another when the profile is guarded.
	c, err = cl.CredentialsAs(ctx, in.profile, true, in.command, in.program)
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeUnknownProfile {
		return c, false, nil
	}
	if err != nil {
		return c, true, agentError(err)
	}
	return c, true, nil
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
	path, err := agent.SocketPath(a.Getenv)
	if err != nil {
		return c, false, nil
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

// agentError words the tray's answer for the person at the terminal.
func agentError(err error) error {
	var ae *agent.Error
	if errors.As(err, &ae) && ae.Code == agent.CodeCancelled {
		return errors.New("the unlock dialog of the tray was cancelled")
	}
	return err
}
