package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/launcher"
)

type exportInput struct {
	credsInput
	format string
}

func newExportCmd(app *App) *cobra.Command {
	var in exportInput
	var desc []string
	for _, f := range launcher.Formats {
		desc = append(desc, fmt.Sprintf("  %-14s %s", f, launcher.FormatDescriptions[f]))
	}
	cmd := &cobra.Command{
		Use:               "export PROFILE [--format F]",
		Short:             "Print a profile's credentials as shell export lines, JSON or an ini section",
		Long:              "Print the profile's credentials in format F, the same lines as\n`aws configure export-credentials --format F` where the formats overlap,\nquoted safely for the shell. Formats:\n" + strings.Join(desc, "\n"),
		Example:           "  eval \"$(awstray export work)\"\n  awstray export work --format fish | source",
		Args:              profileArg("export"),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile, in.command = args[0], agent.CommandExport
			return runExport(app, in)
		},
	}
	in.addFlags(cmd, false)
	cmd.Flags().StringVarP(&in.format, "format", "f", "env", "output format: "+strings.Join(launcher.Formats, ", "))
	_ = cmd.RegisterFlagCompletionFunc("format", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		f := append([]string(nil), launcher.Formats...)
		sort.Strings(f)
		return f, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func runExport(app *App, in exportInput) error {
	if !knownFormat(in.format) {
		return fmt.Errorf("unknown export format %q (one of %s)", in.format, strings.Join(launcher.Formats, ", "))
	}
	r, err := app.resolve(in.credsInput)
	if err != nil {
		return err
	}
	out, err := launcher.Export(in.format, r.vars())
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(app.Stdout, out)
	return err
}

func knownFormat(f string) bool {
	for _, x := range launcher.Formats {
		if x == f {
			return true
		}
	}
	return false
}
