package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
)

type addInput struct {
	profile string
	fromEnv bool
}

func newAddCmd(app *App) *cobra.Command {
	var in addInput
	cmd := &cobra.Command{
		Use:   "add PROFILE",
		Short: "Store a long-term access key in the keyring",
		Long: `Store the long-term access key of an IAM user in the OS keyring.

The key is read with a hidden prompt on a terminal, as two lines (access key
ID, then secret access key) from standard input otherwise, or with --env
from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. A [profile PROFILE] section
is added to the AWS config file when it has none; nothing else in the file
changes.`,
		Example: "  awstray add work\n  printf '%s\\n%s\\n' \"$ID\" \"$SECRET\" | awstray add work\n  awstray add work --env",
		Args:    profileArg("add"),
		RunE: func(_ *cobra.Command, args []string) error {
			in.profile = args[0]
			return runAdd(app, in)
		},
	}
	cmd.Flags().BoolVar(&in.fromEnv, "env", false, "read the key from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	return cmd
}

func runAdd(app *App, in addInput) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	// Refused before the key is asked for, not after.
	if err := credentials.CheckKeyProfile(cfg, in.profile); err != nil {
		return err
	}
	id, secret, err := readKey(app, in)
	if err != nil {
		return err
	}
	if err := credentials.ValidateKey(id, secret); err != nil {
		return err
	}
	st, err := app.Store()
	if err != nil {
		return err
	}
	added, err := credentials.AddKey(st, cfg, credentials.NewKey{Profile: in.profile, AccessKeyID: id, Secret: secret, Created: app.Now()})
	if err != nil {
		return err
	}
	fmt.Fprintf(app.Stderr, "stored key %s for profile %s in the %s keyring\n", credentials.MaskAccessKeyID(id), in.profile, st.Backend())
	if added {
		fmt.Fprintf(app.Stderr, "added [%s] to %s\n", sectionName(in.profile), cfg.Path)
	}
	return nil
}

func sectionName(profile string) string {
	if profile == "default" {
		return "default"
	}
	return "profile " + profile
}

// readKey gets the key pair from the environment, the terminal, or two
// lines of standard input.
func readKey(app *App, in addInput) (string, credentials.Secret, error) {
	if in.fromEnv {
		id, secret := app.Getenv("AWS_ACCESS_KEY_ID"), app.Getenv("AWS_SECRET_ACCESS_KEY")
		if id == "" || secret == "" {
			return "", credentials.Secret{}, errors.New("--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set")
		}
		return id, credentials.NewSecret(secret), nil
	}
	if isTerminal(app.Stdin) {
		tty, err := app.openTTY()
		if err != nil {
			return "", credentials.Secret{}, err
		}
		defer tty.Close()
		id, err := tty.ReadLine("Access Key ID: ")
		if err != nil {
			return "", credentials.Secret{}, err
		}
		secret, err := tty.ReadSecret("Secret Access Key: ")
		if err != nil {
			return "", credentials.Secret{}, err
		}
		return id, credentials.NewSecret(secret), nil
	}
	sc := bufio.NewScanner(app.Stdin)
	sc.Buffer(make([]byte, 0, 1024), 64*1024)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, strings.TrimSpace(sc.Text()))
	}
	if err := sc.Err(); err != nil {
		return "", credentials.Secret{}, fmt.Errorf("reading the key from standard input: %w", err)
	}
	if len(lines) < 2 {
		return "", credentials.Secret{}, errors.New("standard input must hold two lines: the access key ID, then the secret access key")
	}
	return lines[0], credentials.NewSecret(lines[1]), nil
}
