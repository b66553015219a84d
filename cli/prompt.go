package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	"golang.org/x/term"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
)

// Terminal is the controlling terminal, for prompts that must not come from
// (or echo to) redirected streams.
type Terminal interface {
	ReadSecret(prompt string) (string, error)
	ReadLine(prompt string) (string, error)
	Close() error
}

type ttyFile struct {
	f *os.File
	// w gets what is shown (the prompts); nil: f. On Windows it is the
	// console's screen; tests look at the terminal's state at the moment
	// a prompt is written.
	w io.Writer
	// closeW is w when Close must close it too.
	closeW io.Closer
}

func (t *ttyFile) out() io.Writer {
	if t.w != nil {
		return t.w
	}
	return t.f
}

func openTTY() (Terminal, error) {
	name := "/dev/tty"
	if runtime.GOOS == "windows" {
		name = "CONIN$"
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if !term.IsTerminal(int(f.Fd())) {
		f.Close()
		return nil, errors.New("not a terminal")
	}
	t := &ttyFile{f: f}
	if runtime.GOOS == "windows" {
		// CONIN$ is the console's input: a prompt written there is
		// not shown. The console's screen is CONOUT$.
		out, err := os.OpenFile("CONOUT$", os.O_RDWR, 0)
		if err != nil {
			f.Close()
			return nil, err
		}
		t.w, t.closeW = out, out
	}
	return t, nil
}

func (t *ttyFile) ReadSecret(prompt string) (string, error) {
	fd := int(t.f.Fd())
	restore := echoOff(fd)
	fmt.Fprint(t.out(), prompt)
	b, err := term.ReadPassword(fd)
	restore()
	fmt.Fprintln(t.out())
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (t *ttyFile) ReadLine(prompt string) (string, error) {
	fmt.Fprint(t.out(), prompt)
	line, err := bufio.NewReader(t.f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func (t *ttyFile) Close() error {
	if t.closeW != nil {
		t.closeW.Close()
	}
	return t.f.Close()
}

// mfaFunc returns the MFA code source of this run: --mfa-token, then the
// profile's mfa_process, then a hidden prompt on the terminal.
func (a *App) mfaFunc(cfg *awsconfig.Config, flagCode string) credentials.MFAFunc {
	return func(ctx context.Context, profile, serial string) (string, error) {
		if flagCode != "" {
			code := flagCode
			flagCode = "" // a one-time code serves once
			return code, nil
		}
		if proc := credentials.MFAProcess(cfg, profile); proc != "" {
			return credentials.RunMFAProcess(ctx, profile, proc)
		}
		tty, err := a.openTTY()
		if err != nil {
			return "", fmt.Errorf("profile %q needs an MFA code: pass --mfa-token, set mfa_process, or run in a terminal", profile)
		}
		defer tty.Close()
		return tty.ReadSecret(fmt.Sprintf("MFA code for %s (%s): ", profile, serial))
	}
}
