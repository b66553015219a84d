package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
)

type removeInput struct {
	profile string
	force   bool
}

func newRemoveCmd(app *App) *cobra.Command {
	var in removeInput
	cmd := &cobra.Command{
		Use:               "remove PROFILE",
		Aliases:           []string{"rm"},
		Short:             "Delete a stored key and its cached sessions",
		Long:              "Delete the long-term key stored for PROFILE, the previous key an unfinished\nrotate keeps aside, and every session cached from them. The AWS config file\nand the keys in IAM are left as they are; a running tray forgets the profile.\nAsks first unless -f is given.",
		Args:              profileArg("remove"),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile = args[0]
			return runRemove(app, in)
		},
	}
	cmd.Flags().BoolVarP(&in.force, "force", "f", false, "do not ask for confirmation")
	return cmd
}

func runRemove(app *App, in removeInput) error {
	st, err := app.Store()
	if err != nil {
		return err
	}
	what, err := removal(st, in.profile)
	if err != nil {
		return err
	}
	if !in.force {
		tty, err := app.openTTY()
		if err != nil {
			return errors.New("remove asks for confirmation on a terminal; pass -f to remove without asking")
		}
		prompt := "Delete " + what[0] + " and its sessions? [y/N] "
		if len(what) == 2 {
			prompt = "Delete " + what[0] + ", " + what[1] + ", and its sessions? [y/N] "
		}
		answer, err := tty.ReadLine(prompt)
		tty.Close()
		if err != nil {
			return err
		}
		if a := strings.ToLower(answer); a != "y" && a != "yes" {
			return errors.New("nothing removed")
		}
	}
	if err := credentials.RemoveKey(st, in.profile); err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "removed %s\n", strings.Join(what, " and "))
	// Sessions made from the key reach further than the profile's own: a
	// role with it as source_profile holds one too.
	made := dependents(app, in.profile)
	if len(made) > 0 {
		n, err := credentials.ClearSessions(st, made...)
		if err != nil {
			fmt.Fprintf(app.Stderr, "awstray: warning: clearing the sessions of the profiles made from %s (%s): %s\n", in.profile, strings.Join(made, ", "), oneLine(err.Error()))
		} else if n > 0 {
			fmt.Fprintf(app.Stderr, "cleared %d cached session%s of %s\n", n, plural(n), strings.Join(made, ", "))
		}
	}
	// The tray would go on serving what it made with the key.
	app.forgetInTray(append([]string{in.profile}, made...))
	return nil
}

// dependents are the profiles of the config whose chain goes through
// profile (profile itself aside). A config that cannot be read gives none:
// the key is removed all the same.
func dependents(app *App, profile string) []string {
	cfg, err := app.Config()
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range cfg.Profiles {
		name := p.Name
		if name == profile {
			continue
		}
		chain, err := cfg.Chain(name)
		if err != nil {
			continue
		}
		for _, p := range chain[1:] {
			if p.Name == profile {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// removal names the keys `remove` deletes: the stored key, and the
// previous key when an unfinished rotate keeps one aside — which the
// person may not know is there.
func removal(st *keystore.Store, profile string) ([]string, error) {
	id, keyErr := credentials.StoredAccessKeyID(st, profile)
	if keyErr != nil && !errors.Is(keyErr, credentials.ErrNoKey) {
		return nil, keyErr
	}
	prev, _, err := credentials.RotationBackup(st, profile)
	switch {
	case errors.Is(err, credentials.ErrNoKey):
		if keyErr != nil {
			return nil, keyErr // neither: "no key stored for profile …"
		}
		return []string{fmt.Sprintf("the key %s of profile %s", credentials.MaskAccessKeyID(id), profile)}, nil
	case errors.Is(err, keystore.ErrTimeout):
		return nil, err
	}
	prevKey := "the previous key " + credentials.MaskAccessKeyID(prev)
	if err != nil {
		prevKey = "the unreadable previous key" // there, but torn or foreign
	}
	if keyErr != nil {
		return []string{fmt.Sprintf("%s of profile %s that an unfinished rotate kept aside", prevKey, profile)}, nil
	}
	return []string{
		fmt.Sprintf("the key %s of profile %s", credentials.MaskAccessKeyID(id), profile),
		prevKey + " that an unfinished rotate kept aside",
	}, nil
}
