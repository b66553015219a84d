package cli

import (
	"context"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
)

type clearInput struct{ profile string }

func newClearCmd(app *App) *cobra.Command {
	var in clearInput
	return &cobra.Command{
		Use:               "clear [PROFILE]",
		Short:             "Drop cached sessions",
		Long:              "Drop the sessions cached in the keyring: all of them, or those PROFILE's\ncredentials are made from (its own and its source profiles', and its IAM Identity\nCenter sign-in, which the other profiles of that sso-session share). An IAM\nIdentity Center sign-in among them is also ended at AWS, as aws sso logout\ndoes. A running tray forgets what it holds of those profiles too.\nStored keys stay.",
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
	var names, profiles []string
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
			profiles = append(profiles, p.Name)
			if sso := credentials.SSOCacheName(cfg, p); sso != "" {
				names = append(names, sso) // signs out of the portal for the session's other profiles too
			}
		}
	}
	st, err := app.Store()
	if err != nil {
		return err
	}
	signOut(app, st, names)
	n, err := credentials.ClearSessions(st, names...)
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "cleared %d cached session%s\n", n, plural(n))
	// The tray holds sessions in memory too: those of the same profiles
	// go (every profile's, when all were cleared).
	app.forgetInTray(profiles)
	return nil
}

// signOut ends at AWS the IAM Identity Center sign-ins about to be
// cleared (those of names, or all), as `aws sso logout` does. A failure is
// said and the sign-in is dropped here all the same: it is no key, and
// signing in again replaces it.
func signOut(app *App, st *keystore.Store, names []string) {
	keys, err := st.List()
	if err != nil {
		return // ClearSessions says why
	}
	var r *credentials.Resolver
	for _, k := range keys {
		if k.Kind != keystore.KindSSOToken || (len(names) > 0 && !slices.Contains(names, k.Profile)) {
			continue
		}
		if r == nil {
			if r, err = app.Resolver(""); err != nil {
				fmt.Fprintf(app.Stderr, "not signing out at AWS: %v\n", err)
				return
			}
		}
		url, err := r.SSOSignOut(context.Background(), k.Profile)
		switch {
		case err != nil:
			fmt.Fprintf(app.Stderr, "%v; the sign-in is dropped here all the same\n", err)
		case url != "":
			fmt.Fprintf(app.Stderr, "signed out of %s\n", url)
		}
	}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
