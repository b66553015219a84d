package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/desktop/dialog"
	"github.com/awstray/awstray/settings"
	"github.com/awstray/awstray/tray"
	"github.com/spf13/cobra"
)

func newTrayCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "tray",
		Short: "Start the tray (what awstray without a command does)",
		Long: `Start the tray icon: it holds unlocked profiles, renews their sessions in the
background, tells you before an MFA session ends, and opens terminals or copies
export lines for a profile. Only one tray runs per user.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runTray(app) },
	}
}

func runTray(app *App) error {
	if err := tray.CheckDesktop(app.Getenv); err != nil {
		return err
	}
	release, err := tray.Lock()
	if err != nil {
		return err
	}
	defer release()
	o, err := trayOptions(app)
	if err != nil {
		// Started from a desktop's autostart nobody reads stderr: say it
		// once where the person looks.
		tray.NotifyCannotStart(err)
		return err
	}
	return tray.Run(o)
}

// trayOptions loads what the tray starts from: the settings — with a bad
// value the tray shows the error and keeps every other setting, above all
// the keyring backend — and the keyring they name.
func trayOptions(app *App) (tray.RunOptions, error) {
	setPath, err := settings.Path(app.Getenv)
	if err != nil {
		return tray.RunOptions{}, err
	}
	s, err := app.Settings()
	if err != nil {
		return tray.RunOptions{}, err
	}
	var setErr error
	if app.settingsErr != nil {
		setErr = app.settingsErr
	}
	cfgPath, err := awsconfig.DefaultPath(app.Getenv)
	if err != nil {
		return tray.RunOptions{}, err
	}
	// The file keyring's passphrase comes from a dialog: a tray has no
	// terminal.
	ask := func(text string) func() (string, error) {
		return func() (string, error) {
			p := &dialog.Prompter{Tool: s.WithDefaults().Dialogs}
			pw, err := p.Passphrase(context.Background(), "awstray", text)
			if errors.Is(err, dialog.ErrCancelled) {
				return "", errors.New("no passphrase given")
			}
			return pw, err
		}
	}
	app.passphrase = ask("Passphrase of the awstray file keyring:")
	app.newPassphrase = func() (string, error) {
		return confirmPassphrase(ask("New passphrase for the awstray file keyring:"), ask("The same passphrase again:"))
	}
	st, err := app.Store()
	if err != nil {
		return tray.RunOptions{}, err
	}
	exe, err := os.Executable()
	if err != nil {
		return tray.RunOptions{}, fmt.Errorf("finding this program's path: %w", err)
	}
	timeout, err := app.awsTimeout()
	if err != nil {
		return tray.RunOptions{}, err
	}
	return tray.RunOptions{
		Store:        st,
		ConfigPath:   cfgPath,
		SettingsPath: setPath,
		Settings:     s,
		SettingsErr:  setErr,
		Getenv:       app.Getenv,
		Exe:          exe,
		AWSTimeout:   timeout,
	}, nil
}
