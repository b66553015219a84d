package cli

import (
	"context"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
)

type setupSSOInput struct {
	session string
	region  string
	prefix  string
	dryRun  bool
}

func newSetupSSOCmd(app *App) *cobra.Command {
	var in setupSSOInput
	cmd := &cobra.Command{
		Use:   "sso SESSION",
		Short: "Add a profile for every account and role of an IAM Identity Center session",
		Long: `Sign in to the [sso-session SESSION] of the AWS config (when not signed in
already), list every account and role the portal lets you use, and add a
profile for each one the config does not have yet, named
PREFIX<account name>/<role name>:

  [sso-session corp]
  sso_start_url = https://corp.awsapps.com/start
  sso_region = eu-west-1

  $ awstray setup sso corp
  added 42 profiles to ~/.aws/config (3 there already)
  $ awstray exec prod/AdministratorAccess -- aws s3 ls

Profiles already in the config for an account and role of the session are
left as they are, under their own names. Nothing else in the file changes.`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeSSOSessions(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.session = args[0]
			return runSetupSSO(app, in)
		},
	}
	cmd.Flags().StringVar(&in.region, "region", "", "region of the new profiles (default: the session's sso_region)")
	cmd.Flags().StringVar(&in.prefix, "prefix", "", "put before each new profile's name")
	cmd.Flags().BoolVarP(&in.dryRun, "dry-run", "n", false, "print the profiles that would be added, change nothing")
	return cmd
}

func runSetupSSO(app *App, in setupSSOInput) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	r, err := app.Resolver("")
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	list, err := r.SSOAssignments(ctx, in.session)
	if err != nil {
		return err
	}
	region := in.region
	if region == "" {
		region = cfg.SSOSessions[in.session].Region
	}
	sections, there := ssoSections(cfg, in.session, in.prefix, region, list)
	if in.dryRun {
		for _, s := range sections {
			fmt.Fprintln(app.Stdout, s.Name)
		}
		fmt.Fprintf(app.Stderr, "would add %d profile%s to %s (%d there already)\n", len(sections), plural(len(sections)), cfg.Path, there)
		return nil
	}
	added, err := awsconfig.AppendProfiles(cfg.Path, sections)
	if err != nil {
		return err
	}
	there += len(sections) - len(added) // a name taken by another profile
	fmt.Fprintf(app.Stderr, "added %d profile%s to %s (%d there already)\n", len(added), plural(len(added)), cfg.Path, there)
	return nil
}

// ssoSections are the profiles to add for the assignments the config has
// no profile of the session for, and how many it has.
func ssoSections(cfg *awsconfig.Config, session, prefix, region string, list []credentials.SSOAssignment) ([]awsconfig.Section, int) {
	have := map[[2]string]bool{}
	for _, p := range cfg.Profiles {
		if p.SSOSession == session {
			have[[2]string{p.SSOAccountID, p.SSORoleName}] = true
		}
	}
	// Accounts of one name (a copy of an account per stage, say) are told
	// apart by their IDs.
	ids := map[string][]string{}
	for _, a := range list {
		slug := accountSlug(a)
		if !slices.Contains(ids[slug], a.AccountID) {
			ids[slug] = append(ids[slug], a.AccountID)
		}
	}
	var out []awsconfig.Section
	there := 0
	for _, a := range list {
		if have[[2]string{a.AccountID, a.RoleName}] {
			there++
			continue
		}
		slug := accountSlug(a)
		if len(ids[slug]) > 1 {
			slug += "-" + a.AccountID
		}
		keys := [][2]string{{"sso_session", session}, {"sso_account_id", a.AccountID}, {"sso_role_name", a.RoleName}}
		if region != "" {
			keys = append(keys, [2]string{"region", region})
		}
		out = append(out, awsconfig.Section{Name: prefix + slug + "/" + a.RoleName, Keys: keys})
	}
	return out, there
}

// accountSlug is the account's name as a profile name takes it: lower
// case, runs of other characters than letters, digits, ".", "_" and "-"
// made one "-"; the ID when it has no name.
func accountSlug(a credentials.SSOAssignment) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(a.AccountName) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if s == "" {
		return a.AccountID
	}
	return s
}

// completeSSOSessions completes the names of the config's sso-sessions.
func completeSSOSessions(app *App) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return completeFirst(app, func(cfg *awsconfig.Config) []string {
		names := slices.Collect(maps.Keys(cfg.SSOSessions))
		slices.Sort(names)
		return names
	})
}
