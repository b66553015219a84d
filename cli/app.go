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
	"github.com/awstray/awstray/internal/busenv"
	"github.com/awstray/awstray/launcher"
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
	store    *keystore.Store
	// passphrase asks for the file keyring's passphrase; nil: on the
	// terminal.
	passphrase func() (string, error)
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

// Settings loads awstray's settings once.
func (a *App) Settings() (settings.Settings, error) {
	if a.settings != nil {
		return *a.settings, nil
	}
	path, err := settings.Path(a.Getenv)
	if err != nil {
		return settings.Settings{}, err
	}
	s, err := settings.Load(path)
	if err != nil {
		return settings.Settings{}, err
	}
	a.settings = &s
	return s, nil
}

// Store opens the keyring once: AWSTRAY_BACKEND, else the settings' backend,
// else the best reachable one.
func (a *App) Store() (*keystore.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	opts := keystore.OptionsFromEnv(a.Getenv)
	if opts.Backend == "" {
		s, err := a.Settings()
		if err != nil {
			return nil, err
		}
		opts.Backend = s.Backend
	}
	if opts.FilePassphrase == nil {
		opts.FilePassphrase = a.askPassphrase
		if a.passphrase != nil {
			opts.FilePassphrase = a.passphrase
		}
	}
	st, err := keystore.Open(opts)
	if err != nil {
		return nil, err
	}
	a.store = st
	return st, nil
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
	if err := launcher.OpenURL(ctx, d.URL); err != nil {
		fmt.Fprintf(a.Stderr, "(%v)\n", err)
	}
	return nil
}

// MaskKey shows an access key ID as aws-vault does: ****************ABCD.
func MaskKey(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}
