// Package cli is awstray's command line: one file per command, each parsing
// its flags into an input struct and calling the core. It alone formats
// errors for people.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/desktop/browser"
	"github.com/awstray/awstray/internal/busenv"
	"github.com/awstray/awstray/settings"
)

// App is what every command runs with: the process's streams and
// environment, and the config, settings and keyring, loaded on first use.
type App struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
	Now            func() time.Time
	// TTY opens the controlling terminal for prompts; nil or an error means
	// there is none.
	TTY func() (Terminal, error)

	cfg      *awsconfig.Config
	settings *settings.Settings
	// settingsErr says what in the settings file could not be used (the
	// rest is in settings); warned is set once that was said.
	settingsErr *settings.FileError
	warned      bool
	store       *keystore.Store
	// passphrase asks for the file keyring's passphrase, newPassphrase
	// for a new file keyring's (twice); nil: on the terminal.
	passphrase, newPassphrase func() (string, error)
}

// NewApp returns an App on the process's own streams and environment.
func NewApp() *App {
	return &App{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: childEnviron, Now: time.Now,
		TTY: openTTY,
	}
}

// childEnviron is the environment children inherit: ours, less the bus
// address busenv set for awstray alone.
func childEnviron() []string {
	env := os.Environ()
	if !busenv.Disabled {
		return env
	}
	out := env[:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			out = append(out, kv)
		}
	}
	return out
}

// Config loads the AWS config file once.
func (a *App) Config() (*awsconfig.Config, error) {
	if a.cfg != nil {
		return a.cfg, nil
	}
	path, err := awsconfig.DefaultPath(a.Getenv)
	if err != nil {
		return nil, err
	}
	cfg, err := awsconfig.Load(path)
	if err != nil {
		return nil, err
	}
	a.cfg = cfg
	return cfg, nil
}

// Settings loads awstray's settings once. A file with bad values gives
// every value that is good, and stderr says once what was wrong: a typo in
// one setting does not stop the commands. The exception is the keyring
// backend: when its setting cannot be read (and AWSTRAY_BACKEND does not
// name one), Settings fails, since any backend chosen in its place could be
// the wrong keyring. A file that cannot be read at all is an error too.
func (a *App) Settings() (settings.Settings, error) {
	if a.settings == nil {
		path, err := settings.Path(a.Getenv)
		if err != nil {
			return settings.Settings{}, err
		}
		s, err := settings.Load(path)
		var fe *settings.FileError
		if err != nil && !errors.As(err, &fe) {
			return settings.Settings{}, err
		}
		a.settings, a.settingsErr = &s, fe
	}
	if fe := a.settingsErr; fe != nil {
		if fe.Bad("backend") && a.Getenv("AWSTRAY_BACKEND") == "" {
			return *a.settings, fmt.Errorf("%w; awstray does not guess the keyring backend: fix the file or set AWSTRAY_BACKEND", fe)
		}
		if !a.warned {
			a.warned = true
			fmt.Fprintf(a.Stderr, "awstray: warning: %s; the other settings apply\n", oneLine(fe.Error()))
		}
	}
	return *a.settings, nil
}

// Store opens the keyring once: AWSTRAY_BACKEND, else the settings' backend,
// else the best reachable one — which is then written into the settings
// when the first key is stored in it, so that the keys are looked for
// there from then on.
func (a *App) Store() (*keystore.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	opts := keystore.OptionsFromEnv(a.Getenv)
	chosenBy := "AWSTRAY_BACKEND"
	if opts.Backend == "" {
		s, err := a.Settings()
		if err != nil {
			return nil, err
		}
		opts.Backend = s.Backend
		path, _ := settings.Path(a.Getenv)
		chosenBy = "backend in " + path
	}
	if opts.Backend == "" {
		opts.Remember = a.rememberBackend
	}
	if opts.FilePassphrase == nil {
		opts.FilePassphrase, opts.NewFilePassphrase = a.askPassphrase, a.askNewPassphrase
		if a.passphrase != nil {
			opts.FilePassphrase, opts.NewFilePassphrase = a.passphrase, a.newPassphrase
		}
	}
	st, err := keystore.Open(opts)
	var ue *keystore.UnavailableError
	if errors.As(err, &ue) {
		return nil, fmt.Errorf("%w (chosen by %s); start it, or choose another backend there: awstray does not switch keyrings by itself", err, chosenBy)
	}
	if err != nil {
		return nil, err
	}
	a.store = st
	return st, nil
}

// rememberBackend writes the backend auto-detection chose into the
// settings, once the first key is stored in it, and says so.
func (a *App) rememberBackend(backend, why string) {
	path, err := settings.Path(a.Getenv)
	if err == nil {
		err = settings.Set(path, "backend", settings.Quote(backend))
	}
	if err != nil {
		fmt.Fprintf(a.Stderr, "awstray: using the %s keyring (%s); saving it as the backend failed: %s\n", backend, why, oneLine(err.Error()))
		return
	}
	fmt.Fprintf(a.Stderr, "awstray: using the %s keyring (%s); saved as backend in %s\n", backend, why, path)
}

func (a *App) askPassphrase() (string, error) {
	tty, err := a.openTTY()
	if err != nil {
		return "", errors.New("the file keyring needs a passphrase: set AWSTRAY_FILE_PASSPHRASE or run in a terminal")
	}
	defer tty.Close()
	return tty.ReadSecret("Passphrase of the awstray file keyring: ")
}

func (a *App) openTTY() (Terminal, error) {
	if a.TTY == nil {
		return nil, errors.New("no terminal")
	}
	return a.TTY()
}

// Resolver builds the credential chain for this run.
func (a *App) Resolver(mfaToken string) (*credentials.Resolver, error) {
	cfg, err := a.Config()
	if err != nil {
		return nil, err
	}
	st, err := a.Store()
	if err != nil {
		return nil, err
	}
	s, err := a.Settings()
	if err != nil {
		return nil, err
	}
	timeout, err := a.awsTimeout()
	if err != nil {
		return nil, err
	}
	opts := credentials.Options{SessionDuration: s.SessionDuration.Duration, RoleDuration: s.RoleDuration.Duration, Timeout: timeout}
	return &credentials.Resolver{
		Config:   cfg,
		Store:    st,
		MFA:      a.mfaFunc(cfg, mfaToken),
		SSOLogin: a.ssoLogin,
		Getenv:   a.Getenv,
		Now:      a.Now,
		Options:  opts,
	}, nil
}

// ssoLogin shows an IAM Identity Center sign-in: the browser opens the
// page with the code, and stderr says what to check and where to go when
// no browser opens (a remote shell).
func (a *App) ssoLogin(ctx context.Context, d credentials.DeviceAuth) error {
	who := fmt.Sprintf("profile %q", d.Profile)
	if d.Profile == "" {
		who = fmt.Sprintf("sso-session %q", d.Session)
	}
	fmt.Fprintf(a.Stderr, "Signing in to %s for %s: approve the code %s in the browser.\n", d.StartURL, who, d.UserCode)
	fmt.Fprintf(a.Stderr, "If no browser opens, open: %s\n", d.URL)
	if err := browser.OpenURL(ctx, d.URL); err != nil {
		fmt.Fprintf(a.Stderr, "(%v)\n", err)
	}
	return nil
}
