package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/launcher"
)

type execInput struct {
	credsInput
	argv []string
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
known) and AWSTRAY=PROFILE; removes AWS_PROFILE, AWS_DEFAULT_PROFILE and
AWS_CREDENTIAL_FILE. The command's exit status is awstray's.`,
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
	return cmd
}

func runExec(app *App, in execInput) error {
	if p := app.Getenv(launcher.EnvMarker); p != "" {
		return fmt.Errorf("already in an awstray environment for profile %q; exit that shell first", p)
	}
	r, err := app.resolve(in.credsInput)
	if err != nil {
		return err
	}
	argv := in.argv
	if len(argv) == 0 {
		shell := app.Getenv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		argv = []string{shell}
	}
	env := launcher.CredentialEnv(app.Environ(), r.vars(), r.region)
	return launcher.Replace(argv, env)
}
