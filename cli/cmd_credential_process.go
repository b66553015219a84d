package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/launcher"
)

func newCredentialProcessCmd(app *App) *cobra.Command {
	var in credsInput
	cmd := &cobra.Command{
		Use:   "credential-process PROFILE",
		Short: "Print the credential_process JSON of a profile",
		Long: `Print the profile's credentials as the JSON the credential_process setting
of the AWS config expects, so any SDK or tool can use awstray:

  [profile work-awstray]
  credential_process = awstray credential-process work`,
		Args:              profileArg("credential-process"),
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile, in.command = args[0], agent.CommandCredentialProcess
			r, err := app.resolve(in)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(app.Stdout, launcher.ProcessJSON(r.vars()))
			return err
		},
	}
	in.addFlags(cmd, false)
	return cmd
}
