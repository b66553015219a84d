package cli

import (
	"errors"
	"fmt"
	"slices"
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
	// Added here rather than at Execute, so that the walks below see it.
	root.InitDefaultCompletionCmd()
	requireSubcommand(root)
	wordArgs(root)
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
	if strings.HasPrefix(err.Error(), "unknown command") {
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

// subcommandNouns name what the subcommands of a parent command are, where
// "subcommand" would say less; keyed by the parent's name.
var subcommandNouns = map[string]string{"completion": "shell"}

// requireSubcommand makes every parent command below cmd refuse a missing
// or unknown subcommand with a usage error. Cobra would print the parent's
// help and exit 0, so a script's typo would pass for success.
func requireSubcommand(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		requireSubcommand(c)
	}
	if !cmd.HasParent() || !cmd.HasSubCommands() || cmd.Runnable() {
		return
	}
	noun := subcommandNouns[cmd.Name()]
	if noun == "" {
		noun = "subcommand"
	}
	cmd.Args = cobra.ArbitraryArgs
	cmd.RunE = func(c *cobra.Command, args []string) error {
		var names []string
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				names = append(names, sub.Name())
			}
		}
		if len(args) == 0 {
			or := strings.Join(names, " or ")
			if len(names) > 2 {
				or = strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
			}
			return usageError{err: fmt.Errorf("%s needs a %s: %s", c.Name(), noun, or), cmd: c.CommandPath()}
		}
		return usageError{err: fmt.Errorf("unknown %s %s %q (valid: %s)", c.Name(), noun, args[0], strings.Join(names, ", ")), cmd: c.CommandPath()}
	}
}

// wordArgs makes the argument-count errors of cobra's validators (cobra's
// "accepts at most 1 arg(s), received 2") usage errors worded as ours, for
// every command below cmd. The validators are functions that cannot be
// told apart, so the counts they accept are found by asking them; one that
// looks at more than the count keeps its own error.
func wordArgs(cmd *cobra.Command) {
	for _, c := range cmd.Commands() {
		wordArgs(c)
	}
	if cmd.Args == nil || !cmd.HasParent() {
		return // the root's "unknown command" is the right message there
	}
	orig := cmd.Args
	cmd.Args = func(c *cobra.Command, args []string) error {
		err := orig(c, args)
		var ue usageError
		if err == nil || errors.As(err, &ue) {
			return err
		}
		if msg := argCountMessage(c, orig, len(args)); msg != "" {
			err = errors.New(msg)
		}
		return usageError{err: err, cmd: c.CommandPath()}
	}
}

// maxProbe bounds the argument counts argCountMessage tries beyond the
// count given: a validator accepting that many more takes any number.
const maxProbe = 8

// argCountMessage says how many arguments the validator v of c takes and
// how many it got (n); "" when no count it accepts explains its refusal.
func argCountMessage(c *cobra.Command, v cobra.PositionalArgs, n int) string {
	lo, hi := -1, -1
	for k := 0; k <= n+maxProbe; k++ {
		if v(c, slices.Repeat([]string{"x"}, k)) == nil {
			if lo < 0 {
				lo = k
			}
			hi = k
		}
	}
	if lo < 0 || (lo <= n && n <= hi) {
		return ""
	}
	name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	switch {
	case hi == 0:
		return fmt.Sprintf("%s takes no arguments, got %d", name, n)
	case lo == hi:
		return fmt.Sprintf("%s takes %s, got %d", name, arguments(lo), n)
	case hi == n+maxProbe:
		return fmt.Sprintf("%s needs at least %s, got %d", name, arguments(lo), n)
	case lo == 0:
		return fmt.Sprintf("%s takes at most %s, got %d", name, arguments(hi), n)
	}
	return fmt.Sprintf("%s takes %d to %d arguments, got %d", name, lo, hi, n)
}

func arguments(n int) string {
	if n == 1 {
		return "1 argument"
	}
	return fmt.Sprintf("%d arguments", n)
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
