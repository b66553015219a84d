package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
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
		Long:              "Delete the long-term key stored for PROFILE and every session cached from it.\nThe AWS config file is left as it is. Asks first unless -f is given.",
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
	id, err := credentials.StoredAccessKeyID(st, in.profile)
	if err != nil {
		return err
	}
	if !in.force {
		tty, err := app.openTTY()
		if err != nil {
			return errors.New("remove asks for confirmation on a terminal; pass -f to remove without asking")
		}
		answer, err := tty.ReadLine(fmt.Sprintf("Delete the key %s of profile %s and its sessions? [y/N] ", credentials.MaskAccessKeyID(id), in.profile))
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
	fmt.Fprintf(app.Stderr, "removed the key %s of profile %s\n", credentials.MaskAccessKeyID(id), in.profile)
	return nil
}
