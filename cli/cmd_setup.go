package cli

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials/awsconfig"
)

type setupInput struct {
	profiles []string
	suffix   string
}

func newSetupCmd(app *App) *cobra.Command {
	setup := &cobra.Command{
		Use:   "setup",
		Short: "Write profiles into the AWS config: awstray for other tools, IAM Identity Center accounts",
	}
	var in setupInput
	cp := &cobra.Command{
		Use:   "credential-process PROFILE...",
		Short: "Add profiles whose credential_process is awstray",
		Long: `For each PROFILE, add a profile PROFILE-awstray (see --suffix) to the AWS
config whose credential_process is "awstray credential-process PROFILE", so
any SDK or tool that reads the config gets awstray's credentials — from the
tray in milliseconds while it runs:

  AWS_PROFILE=work-awstray terraform plan

Nothing else in the config changes; a profile that is there already is left
as it is.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{err: errors.New("setup credential-process needs a profile name"), cmd: cmd.CommandPath()}
			}
			return nil
		},
		ValidArgsFunction: completeProfiles(app),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profiles = args
			return runSetupCredentialProcess(app, in)
		},
	}
	cp.Flags().StringVar(&in.suffix, "suffix", "-awstray", "appended to each PROFILE to name the new profile")
	setup.AddCommand(cp, newSetupSSOCmd(app))
	return setup
}

func runSetupCredentialProcess(app *App, in setupInput) error {
	if in.suffix == "" {
		return errors.New("--suffix must not be empty: the new profile cannot have the name of the one it reads")
	}
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	for _, name := range in.profiles {
		p, err := cfg.Profile(name)
		if err != nil {
			return err
		}
		keys := [][2]string{{"credential_process", selfCommand() + " credential-process " + quotePOSIXArg(name)}}
		if p.Region != "" {
			keys = append(keys, [2]string{"region", p.Region})
		}
		added, err := awsconfig.AppendProfile(cfg.Path, name+in.suffix, keys)
		if err != nil {
			return fmt.Errorf("adding profile %s%s: %w", name, in.suffix, err)
		}
		if added {
			fmt.Fprintf(app.Stderr, "added [profile %s%s] to %s\n", name, in.suffix, cfg.Path)
		} else {
			fmt.Fprintf(app.Stderr, "profile %s%s is in %s already; left as it is\n", name, in.suffix, cfg.Path)
		}
	}
	return nil
}

// selfCommand is how the config should name this program: "awstray" when
// that is what PATH finds, else the absolute path (quoted for a shell).
func selfCommand() string {
	exe, err := os.Executable()
	if err != nil {
		return "awstray"
	}
	exe, _ = filepath.EvalSymlinks(exe)
	if onPath, err := exec.LookPath("awstray"); err == nil {
		if p, err := filepath.EvalSymlinks(onPath); err == nil && p == exe {
			return "awstray"
		}
	}
	return quotePOSIXArg(exe)
}

// quotePOSIXArg quotes s for the shell-like splitting SDKs apply to
// credential_process.
func quotePOSIXArg(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
