package cli

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
)

type rotateInput struct {
	profile  string
	mfaToken string
}

func newRotateCmd(app *App) *cobra.Command {
	var in rotateInput
	cmd := &cobra.Command{
		Use:   "rotate PROFILE",
		Short: "Replace the stored access key with a new one",
		Long: `Create a new access key for the IAM user of PROFILE, store it in the keyring,
check that it works, then delete the old key from IAM. Cached sessions made
with the old key are dropped. Until the end the old key is kept aside in the
keyring, so no step can lose the only working key. If a step fails (or the
process is killed), nothing is deleted that was not replaced, the message says
which key is where, and running rotate again finishes the rotation: the key
that is stored and works stays, the other goes. When that is not certain,
rotate names every key and deletes none.

IAM allows two keys per user: rotate needs one free slot.`,
		Args:              profileArg("rotate"),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile = args[0]
			return runRotate(app, in)
		},
	}
	cmd.Flags().StringVarP(&in.mfaToken, "mfa-token", "t", "", "the MFA code to use, instead of mfa_process or a prompt")
	return cmd
}

func runRotate(app *App, in rotateInput) error {
	r, err := app.Resolver(in.mfaToken)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rot, err := r.Rotate(ctx, in.profile)
	if res := rot.Resumed; res != nil {
		fmt.Fprintf(app.Stderr, "finished an earlier rotate of %s: kept %s%s\n", in.profile, credentials.MaskAccessKeyID(res.Kept), deletedFromIAM(res.Deleted))
	}
	if err != nil {
		return err
	}
	if rot.NewAccessKeyID != "" {
		fmt.Fprintf(app.Stderr, "rotated the key of %s: %s replaced by %s\n", in.profile, credentials.MaskAccessKeyID(rot.OldAccessKeyID), credentials.MaskAccessKeyID(rot.NewAccessKeyID))
	}
	return nil
}

func deletedFromIAM(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	m := make([]string, len(ids))
	for i, id := range ids {
		m[i] = credentials.MaskAccessKeyID(id)
	}
	return ", deleted " + strings.Join(m, ", ") + " from IAM"
}
