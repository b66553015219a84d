package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

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

type ttyFile struct{ f *os.File }

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
	return &ttyFile{f: f}, nil
}

func (t *ttyFile) ReadSecret(prompt string) (string, error) {
	fmt.Fprint(t.f, prompt)
	b, err := term.ReadPassword(int(t.f.Fd()))
	fmt.Fprintln(t.f)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (t *ttyFile) ReadLine(prompt string) (string, error) {
	fmt.Fprint(t.f, prompt)
	line, err := bufio.NewReader(t.f).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(line), nil
}

func (t *ttyFile) Close() error { return t.f.Close() }

const mfaProcessTimeout = 2 * time.Minute

// mfaFunc returns the MFA code source of this run: --mfa-token, then the
// profile's mfa_process, then a hidden prompt on the terminal.
func (a *App) mfaFunc(cfg *awsconfig.Config, flagCode string) credentials.MFAFunc {
	return func(ctx context.Context, profile, serial string) (string, error) {
		if flagCode != "" {
			code := flagCode
			flagCode = "" // a one-time code serves once
			return code, nil
		}
		if proc := mfaProcess(cfg, profile); proc != "" {
			return runMFAProcess(ctx, profile, proc)
		}
		tty, err := a.openTTY()
		if err != nil {
			return "", fmt.Errorf("profile %q needs an MFA code: pass --mfa-token, set mfa_process, or run in a terminal", profile)
		}
		defer tty.Close()
		return tty.ReadSecret(fmt.Sprintf("MFA code for %s (%s): ", profile, serial))
	}
}

// mfaProcess is the nearest mfa_process along the profile's chain.
func mfaProcess(cfg *awsconfig.Config, profile string) string {
	chain, err := cfg.Chain(profile)
	if err != nil {
		return ""
	}
	for _, p := range chain {
		if p.MFAProcess != "" {
			return p.MFAProcess
		}
	}
	return ""
}

func runMFAProcess(ctx context.Context, profile, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, mfaProcessTimeout)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd.exe", "/C", command)
	} else {
		cmd = exec.CommandContext(ctx, "/bin/sh", "-c", command)
	}
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("mfa_process of profile %q failed: %w", profile, err)
	}
	code := strings.TrimSpace(string(out))
	if code == "" {
		return "", fmt.Errorf("mfa_process of profile %q printed no code", profile)
	}
	return code, nil
}
