package cli

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/importer"
)

// The sources import reads.
const (
	sourceAWSVault        = "aws-vault"
	sourceCredentialsFile = "credentials-file"
)

var importSources = []string{sourceAWSVault, sourceCredentialsFile}

type importInput struct {
	source          string
	profiles        []string
	replace         bool
	removePlaintext bool
}

func newImportCmd(app *App) *cobra.Command {
	var in importInput
	cmd := &cobra.Command{
		Use:   "import aws-vault|credentials-file [PROFILE...]",
		Short: "Copy long-term keys from aws-vault or ~/.aws/credentials into the keyring",
		Long: `Copy long-term access keys into awstray's keyring from aws-vault's keyring
or from the AWS CLI's shared credentials file: those of the named profiles,
or every one found.

aws-vault: its keyring is read with the settings aws-vault uses
(AWS_VAULT_BACKEND, AWS_VAULT_FILE_DIR, AWS_VAULT_FILE_PASSPHRASE,
AWS_VAULT_PASS_PASSWORD_STORE_DIR, AWS_VAULT_PASS_CMD, AWS_VAULT_PASS_PREFIX,
AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME, AWS_VAULT_KEYCHAIN_NAME), and
never changed. Its cached sessions and SSO tokens are left alone.

credentials-file: AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials.
Sections holding aws_session_token (temporary credentials) are skipped.
With --remove-plaintext, once a key reads back equal from awstray's keyring,
its aws_access_key_id and aws_secret_access_key lines are removed from the
file; every other line stays as it was.

A profile that already has a key in awstray is skipped unless --replace is
given. A profile the AWS config has no section for gets an empty one.`,
		Example: "  awstray import aws-vault\n  awstray import credentials-file work --remove-plaintext",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageError{err: errors.New("import needs a source: aws-vault or credentials-file"), cmd: cmd.CommandPath()}
			}
			return nil
		},
		ValidArgs: importSources,
		RunE: func(_ *cobra.Command, args []string) error {
			in.source, in.profiles = args[0], args[1:]
			return runImport(app, in)
		},
	}
	cmd.Flags().BoolVar(&in.replace, "replace", false, "overwrite keys awstray already holds")
	cmd.Flags().BoolVar(&in.removePlaintext, "remove-plaintext", false, "credentials-file: remove the imported keys from the file")
	return cmd
}

func (in importInput) validate() error {
	switch in.source {
	case sourceAWSVault:
		if in.removePlaintext {
			return usageError{err: errors.New("--remove-plaintext applies to credentials-file only; aws-vault's keyring is never changed"), cmd: "awstray import"}
		}
	case sourceCredentialsFile:
	default:
		return usageError{err: fmt.Errorf("unknown import source %q (valid: %s)", in.source, strings.Join(importSources, ", ")), cmd: "awstray import"}
	}
	for _, p := range in.profiles {
		if p == "" {
			return errors.New("empty profile name")
		}
	}
	return nil
}

func runImport(app *App, in importInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	cfg, err := app.Config()
	if err != nil {
		return err
	}

	// Read everything first: a source that cannot be read, or a named
	// profile it does not have, stops the import before anything is
	// written.
	var keys []importer.Key
	var from string
	var file *importer.CredentialsFile
	switch in.source {
	case sourceAWSVault:
		v, err := openAWSVault(app)
		if err != nil {
			return err
		}
		if keys, err = v.Keys(in.profiles); err != nil {
			return err
		}
		from = v.String()
	case sourceCredentialsFile:
		if file, err = readCredentialsFile(app); err != nil {
			return err
		}
		if keys, err = importer.Select(file.Keys(), in.profiles, file.Path()); err != nil {
			return err
		}
		from = file.Path()
	}
	if len(keys) == 0 {
		hint := ""
		if in.source == sourceAWSVault && app.Getenv("AWS_VAULT_BACKEND") == "" {
			hint = " (AWS_VAULT_BACKEND names the backend aws-vault uses)"
		}
		fmt.Fprintf(app.Stderr, "found no keys in %s%s\n", from, hint)
		return nil
	}

	// A key belongs to an IAM user profile; add refuses the others too.
	for i, k := range keys {
		if k.Skip != "" {
			continue
		}
		if err := awsconfig.CheckProfileName(k.Profile); err != nil {
			keys[i].Skip = err.Error()
		} else if p, err := cfg.Profile(k.Profile); err == nil && p.Kind() != awsconfig.KindUser {
			keys[i].Skip = fmt.Sprintf("it is a %s profile in %s; only IAM user profiles have a stored key", p.Kind(), cfg.Path)
		}
	}

	st, err := app.Store()
	if err != nil {
		return err
	}
	results, saveErr := importer.Save(st, keys, in.replace)
	var verified []string
	for _, r := range results {
		switch {
		case r.Imported:
			fmt.Fprintf(app.Stderr, "imported key %s for profile %s from %s into the %s keyring\n", credentials.MaskAccessKeyID(r.AccessKeyID), r.Profile, from, st.Backend())
			added, err := awsconfig.AppendProfile(cfg.Path, r.Profile, nil)
			if err != nil {
				return fmt.Errorf("the key of profile %s is stored, but adding the profile to %s failed: %w", r.Profile, cfg.Path, err)
			}
			if added {
				fmt.Fprintf(app.Stderr, "added [%s] to %s\n", sectionName(r.Profile), cfg.Path)
			}
		default:
			fmt.Fprintf(app.Stderr, "skipped profile %s: %s\n", r.Profile, r.Skip)
		}
		if r.Verified() {
			verified = append(verified, r.Profile)
		}
	}
	if saveErr != nil {
		return saveErr
	}

	if in.removePlaintext && len(verified) > 0 {
		if err := file.RemoveKeys(verified); err != nil {
			return err
		}
		for _, p := range verified {
			fmt.Fprintf(app.Stderr, "removed the key of profile %s from %s\n", p, file.Path())
		}
	}
	return nil
}

// openAWSVault opens aws-vault's keyring; its file backend's passphrase
// comes from AWS_VAULT_FILE_PASSPHRASE, else a prompt on the terminal.
func openAWSVault(app *App) (*importer.AWSVault, error) {
	o := importer.AWSVaultOptionsFromEnv(app.Getenv)
	if o.FilePassphrase == nil {
		o.FilePassphrase = func() (string, error) {
			tty, err := app.openTTY()
			if err != nil {
				return "", errors.New("no terminal to ask on; set AWS_VAULT_FILE_PASSPHRASE or run in a terminal")
			}
			defer tty.Close()
			return tty.ReadSecret("Passphrase of aws-vault's file keyring: ")
		}
	}
	return importer.OpenAWSVault(o)
}

func readCredentialsFile(app *App) (*importer.CredentialsFile, error) {
	path, err := importer.CredentialsFilePath(app.Getenv)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no credentials file at %s (AWS_SHARED_CREDENTIALS_FILE names another)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the credentials file: %w", err)
	}
	return importer.ParseCredentialsFile(path, data)
}
