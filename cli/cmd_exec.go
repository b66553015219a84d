package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/agent/ecs"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/launcher"
)

type execInput struct {
	credsInput
	argv   []string
	server bool
}

func newExecCmd(app *App) *cobra.Command {
	var in execInput
	cmd := &cobra.Command{
		Use:   "exec PROFILE [flags] [-- CMD ARGS...]",
		Short: "Run a command (or your shell) with a profile's credentials",
		Long: `Run CMD with the profile's credentials in its environment, or $SHELL when no
command is given. Sets AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
AWS_SESSION_TOKEN, AWS_SECURITY_TOKEN, AWS_CREDENTIAL_EXPIRATION,
AWS_SESSION_EXPIRATION, AWS_REGION and AWS_DEFAULT_REGION (when a region is
known: --region, else AWS_REGION, else AWS_DEFAULT_REGION, else the
profile's), AWS_SSO_PROFILE=PROFILE (for shell prompts) and AWSTRAY=PROFILE.
With --server, AWS_CONTAINER_CREDENTIALS_FULL_URI and
AWS_CONTAINER_AUTHORIZATION_TOKEN instead of the key variables.

Removes what would point SDKs or prompts elsewhere: AWS_PROFILE,
AWS_DEFAULT_PROFILE, AWS_CREDENTIAL_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME,
AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_FULL_URI,
AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN,
AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, and other tools' profile names
(AWS_VAULT, AWSUME_PROFILE, AWSU_PROFILE, AWSUME_EXPIRATION). The command's
exit status is awstray's.`,
		Example:           "  awstray exec work -- aws sts get-caller-identity\n  awstray exec work          # a subshell",
		ValidArgsFunction: completeProfiles(app),
		Args: func(cmd *cobra.Command, args []string) error {
			if cmd.ArgsLenAtDash() == 0 || len(args) == 0 {
				return usageError{err: errors.New("exec needs a profile name"), cmd: cmd.CommandPath()}
			}
			if dash := cmd.ArgsLenAtDash(); dash > 1 || (dash < 0 && len(args) > 1) {
				return usageError{err: errors.New("exec takes one profile name; put the command after --"), cmd: cmd.CommandPath()}
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile, in.argv = args[0], args[1:]
			return runExec(app, in)
		},
	}
	in.addFlags(cmd, true)
	cmd.Flags().BoolVarP(&in.server, "server", "s", false, "serve refreshing credentials to the command through a container-credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) instead of key variables")
	return cmd
}

func runExec(app *App, in execInput) error {
	if p := app.Getenv(launcher.EnvMarker); p != "" {
		return fmt.Errorf("already in an awstray environment for profile %q; exit that shell first", p)
	}
	argv := in.argv
	if len(argv) == 0 {
		argv = []string{defaultShell(runtime.GOOS, app.Getenv)}
	}
	// The program's name only: its arguments may hold secrets.
	in.command, in.program = agent.CommandExec, filepath.Base(argv[0])
	r, err := app.resolve(in.credsInput)
	if err != nil {
		return err
	}
	if in.server {
		return runServer(app, in, r, argv)
	}
	env := launcher.CredentialEnv(app.Environ(), r.vars(), r.region)
	return launcher.Replace(argv, env)
}

// runServer runs the command as a child with a container-credentials
// endpoint: SDKs in the child ask it for credentials and refresh from it
// when they near their expiry, so a process that runs for hours keeps
// working. awstray stays as the child's parent and serves until it exits.
func runServer(app *App, in execInput, first resolved, argv []string) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src := app.serverSource(in.credsInput, first)
	var opts ecs.Options
	if v := app.Getenv("AWSTRAY_SERVER_MAX_LIFETIME"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Second {
			return fmt.Errorf("AWSTRAY_SERVER_MAX_LIFETIME=%q is not a duration of a second or more", v)
		}
		opts.MaxLifetime = d
	}
	srv, err := ecs.Start(ctx, src, opts)
	if err != nil {
		return fmt.Errorf("starting the credentials endpoint: %w", err)
	}
	defer srv.Close()
	env := launcher.ServerEnv(app.Environ(), srv.Env(), first.region, first.profile.Name)
	code, err := launcher.Run(argv, env)
	if err != nil {
		return err
	}
	if code != 0 {
		return &exitError{code: code}
	}
	return nil
}

// serverSource is what the endpoint of exec --server serves. While a tray
// runs, every fetch asks it — nothing is kept here — without a dialog: a
// profile locked in the tray stops serving at the next fetch (and the tray
// tells the person), one unlocked again serves again. With no tray (it
// quit, or never ran) the credentials come from the keyring's cached
// sessions, as standalone exec gets them, and are kept while valid.
func (a *App) serverSource(in credsInput, first resolved) ecs.Source {
	var (
		mu   sync.Mutex              // protects last
		last credentials.Credentials // made on our own; never the tray's
	)
	if !first.fromTray {
		last = first.creds
	}
	return func(ctx context.Context) (credentials.Credentials, error) {
		if in.useAgent(a.Getenv) {
			if c, ok, err := a.serverFromAgent(ctx, in.profile); ok {
				return c, err
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if last.AccessKeyID != "" && last.ValidAt(a.Now(), credentials.DefaultExpiryWindow) {
			return last, nil
		}
		c, err := a.standaloneForServer(ctx, in)
		if err != nil {
			return credentials.Credentials{}, err
		}
		last = c
		return c, nil
	}
}

// standaloneForServer gets new credentials while a child runs and no tray
// does, with the keyring's cached sessions: an MFA code then comes only
// from mfa_process, as a prompt would fight the child for the terminal.
func (a *App) standaloneForServer(ctx context.Context, in credsInput) (credentials.Credentials, error) {
	r, err := a.Resolver("")
	if err != nil {
		return credentials.Credentials{}, err
	}
	cfg := r.Config
	r.MFA = func(ctx context.Context, profile, serial string) (string, error) {
		if proc := credentials.MFAProcess(cfg, profile); proc != "" {
			return credentials.RunMFAProcess(ctx, profile, proc)
		}
		return "", &credentials.MFARequiredError{Profile: profile}
	}
	return r.Retrieve(ctx, credentials.Request{Profile: in.profile, Duration: in.duration, NoSession: in.noSession})
}

// defaultShell is what exec runs without a command: on Windows %ComSpec%
// (cmd.exe) — /bin/sh does not exist there, and a $SHELL set by Git Bash
// is an MSYS path a Windows program cannot start — elsewhere $SHELL, else
// /bin/sh. The tray's Open terminal runs exec with no command.
func defaultShell(goos string, getenv func(string) string) string {
	if goos == "windows" {
		if s := getenv("ComSpec"); s != "" {
			return s
		}
		return "cmd.exe"
	}
	if s := getenv("SHELL"); s != "" {
		return s
	}
	return "/bin/sh"
}
