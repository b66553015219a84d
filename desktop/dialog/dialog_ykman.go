package dialog

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ykmanArgs asks ykman for the current code of one OATH account. An
// account name that starts with "-" follows "--".
func ykmanArgs(account string) []string {
	argv := []string{"ykman", "oath", "accounts", "code", "--single"}
	if strings.HasPrefix(account, "-") {
		argv = append(argv, "--")
	}
	return append(argv, account)
}

// ykmanCode reads the code of the MFA device from a YubiKey with ykman (a
// touch may be needed: ykman asks on stderr and waits up to the timeout).
// The account is YkmanAccount, else the MFA serial (as aws-vault names it).
func (p *Prompter) ykmanCode(ctx context.Context, serial string) (string, error) {
	account := p.YkmanAccount
	if account == "" {
		account = serial
	}
	if account == "" {
		return "", errors.New("ykman: no OATH account (set the ykman account or the profile's mfa_serial)")
	}
	path, err := p.look("ykman")
	if err != nil {
		return "", fmt.Errorf("ykman: %w (install yubikey-manager)", err)
	}
	out, code, stderr, err := p.run(ctx, path, invocation{argv: ykmanArgs(account)})
	if err != nil {
		return "", fmt.Errorf("ykman: %w", err)
	}
	if code != 0 {
		return "", fmt.Errorf("ykman: %w", exitError(code, stderr))
	}
	return parseYkmanCode(out)
}

// parseYkmanCode takes the code from ykman's output: with --single, the
// code alone on a line (older versions print "ACCOUNT  CODE").
func parseYkmanCode(out string) (string, error) {
	fields := strings.Fields(out)
	if len(fields) == 0 {
		return "", errors.New("ykman printed no code")
	}
	code := fields[len(fields)-1]
	if !mfaCode.MatchString(code) {
		return "", errors.New("ykman printed something that is not a 6 to 8 digit code")
	}
	return code, nil
}
