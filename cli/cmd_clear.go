package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
)

type clearInput struct{ profile string }

func newClearCmd(app *App) *cobra.Command {
	var in clearInput
	return &cobra.Command{
		Use:               "clear [PROFILE]",
		Short:             "Drop cached sessions",
		Long:              "Drop the sessions cached in the keyring: all of them, or those PROFILE's\ncredentials are made from (its own and its source profiles', and its IAM Identity\nCenter sign-in, which the other profiles of that sso-session share). Stored keys stay.",
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				in.profile = args[0]
			}
			return runClear(app, in)
		},
	}
}

func runClear(app *App, in clearInput) error {
	var names []string
	if in.profile != "" {
		cfg, err := app.Config()
		if err != nil {
			return err
		}
		chain, err := cfg.Chain(in.profile)
		if err != nil {
			return err
		}
		for _, p := range chain {
			names = append(names, p.Name)
			if sso := credentials.SSOCacheName(cfg, p); sso != "" {
				names = append(names, sso) // signs out of the portal for the session's other profiles too
			}
		}
	}
	st, err := app.Store()
	if err != nil {
		return err
	}
	n, err := credentials.ClearSessions(st, names...)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "cleared %d cached session%s\n", n, plural(n))
	return nil
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
