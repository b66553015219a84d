package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/internal/single"
)

// exitError carries an exit status without a message: the child of exec
// failed, and has said so itself.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// NewRoot builds the command tree on app.
func NewRoot(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "awstray",
		Short: "Keep AWS credentials in the OS keyring and fresh STS sessions at hand",
		Long: `awstray keeps long-term AWS keys only in the OS keyring, makes STS sessions
from them (with MFA, through chains of roles), caches those sessions in the
keyring, and hands them to commands and shells.

Without a command it starts the tray, which holds unlocked profiles, renews
their sessions in the background and serves the commands below, so a
terminal gets credentials without a prompt.`,
		Args:              cobra.NoArgs,
		RunE:              func(*cobra.Command, []string) error { return runTray(app) },
		SilenceErrors:     true,
		SilenceUsage:      true,
		CompletionOptions: cobra.CompletionOptions{HiddenDefaultCmd: false},
	}
	root.SetIn(app.Stdin)
	root.SetOut(app.Stdout)
	root.SetErr(app.Stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{err: err, cmd: c.CommandPath()}
	})
	root.AddCommand(
		newAddCmd(app),
		newListCmd(app),
		newRemoveCmd(app),
		newExecCmd(app),
		newExportCmd(app),
		newCredentialProcessCmd(app),
		newClearCmd(app),
		newVersionCmd(app),
		newTrayCmd(app),
		newSetupCmd(app),
		newRotateCmd(app),
		newImportCmd(app),
		newLoginCmd(app),
		newDoctorCmd(app),
		newLogCmd(app),
	)
	return root
}

// ExitAlreadyRunning is the exit status of a tray started while another
// runs; the systemd unit does not restart on it.
const ExitAlreadyRunning = 3

// usageError is a mistake in the command line; the message gets a hint.
type usageError struct {
	err error
	cmd string
}

func (e usageError) Error() string { return e.err.Error() }

// Main runs the command line args (without the program name) and returns
// the exit status.
func Main(app *App, args []string) int {
	root := NewRoot(app)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	fmt.Fprintln(app.Stderr, "awstray: "+oneLine(err.Error())+hint(err))
	var held *single.HeldError
	if errors.As(err, &held) {
		return ExitAlreadyRunning
	}
	return 1
}

func hint(err error) string {
	var ue usageError
	if errors.As(err, &ue) {
		return fmt.Sprintf(" (see '%s --help')", ue.cmd)
	}
	if strings.HasPrefix(err.Error(), "unknown command") || strings.Contains(err.Error(), "arg(s)") {
		return " (see 'awstray --help')"
	}
	return ""
}

// oneLine keeps an error to one line: the CLI's contract is one line per
// error.
func oneLine(s string) string { return oneline.String(s) }

// exactArgs is cobra.ExactArgs with messages that name what is missing.
func profileArg(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) == 0:
			return usageError{err: fmt.Errorf("%s needs a profile name", what), cmd: cmd.CommandPath()}
		case len(args) > 1:
			return usageError{err: fmt.Errorf("%s takes one profile name, got %d arguments", what, len(args)), cmd: cmd.CommandPath()}
		}
		return nil
	}
}

// completeProfiles completes profile names from the AWS config.
func completeProfiles(app *App) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return completeFirst(app, func(cfg *awsconfig.Config) []string {
		names := make([]string, 0, len(cfg.Profiles))
		for _, p := range cfg.Profiles {
			names = append(names, p.Name)
		}
		return names
	})
}

// completeFirst completes a command's first argument with the names list
// finds in the config.
func completeFirst(app *App, list func(*awsconfig.Config) []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		if len(args) > 0 {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		cfg, err := app.Config()
		if err != nil {
			return nil, cobra.ShellCompDirectiveError
		}
		return list(cfg), cobra.ShellCompDirectiveNoFileComp
	}
}
