package cli

import (
	"errors"
	"fmt"
)

// errPassphraseMismatch is the error of a new file keyring whose two
// passphrases differ: nothing is stored.
var errPassphraseMismatch = errors.New("the two passphrases differ; nothing was stored: run the command again")

// askNewPassphrase asks for the passphrase of a file keyring that does not
// exist yet, twice: a typo here would lock the person out of the key they
// are about to store.
func (a *App) askNewPassphrase() (string, error) {
	tty, err := a.openTTY()
	if err != nil {
		return "", errors.New("the file keyring needs a passphrase: set AWSTRAY_FILE_PASSPHRASE or run in a terminal")
	}
	defer tty.Close()
	return confirmPassphrase(
		func() (string, error) {
			return tty.ReadSecret("New passphrase for the awstray file keyring: ")
		},
		func() (string, error) { return tty.ReadSecret("The same passphrase again: ") })
}

// confirmPassphrase returns the first answer when the second is the same.
func confirmPassphrase(first, again func() (string, error)) (string, error) {
	pw, err := first()
	if err != nil || pw == "" {
		return pw, err
	}
	pw2, err := again()
	if err != nil {
		return "", fmt.Errorf("reading the passphrase again: %w", err)
	}
	if pw2 != pw {
		return "", errPassphraseMismatch
	}
	return pw, nil
}
