package keystore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/99designs/keyring"
)

// The file backend's canary: an item of known content, written with the
// passphrase on first use. The keyring package caches whatever passphrase
// it is given and encrypts new items with it, so a mistyped passphrase would
// otherwise be noticed only when older items fail to decrypt — after new
// ones were written that the right passphrase cannot read.
const (
	canaryKey = "v1/canary" // not a Key: ParseKey rejects it, List skips it
	// canaryFile is canaryKey as the file backend names its file.
	canaryFile = "v1%2Fcanary"
)

var canaryData = []byte("awstray file keyring canary v1")

// filePassphrase asks for the passphrase once, outside the call timeout
// (it may be a person typing).
func filePassphrase(o Options, dir string) (string, error) {
	if o.FilePassphrase == nil {
		return "", fmt.Errorf("the file keyring in %s needs a passphrase (set AWSTRAY_FILE_PASSPHRASE)", dir)
	}
	ask := o.FilePassphrase
	if o.NewFilePassphrase != nil && !fileKeyringExists(dir) {
		ask = o.NewFilePassphrase
	}
	pw, err := ask()
	if err != nil {
		return "", fmt.Errorf("reading the passphrase for the file keyring in %s: %w", dir, err)
	}
	if pw == "" {
		return "", fmt.Errorf("empty passphrase for the file keyring in %s", dir)
	}
	return pw, nil
}

// fileKeyringExists reports whether dir holds a file keyring already: the
// canary or any item. A folder that cannot be read counts as existing, so
// the passphrase is asked once and checked against what is there.
func fileKeyringExists(dir string) bool {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		return true
	}
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			return true
		}
	}
	return false
}

// wrongPassphraseError is Open's error for a passphrase that does not
// decrypt the canary.
type wrongPassphraseError struct{ dir string }

func (e *wrongPassphraseError) Error() string {
	return "wrong passphrase for the file keyring in " + e.dir + "; give the passphrase it was made with (AWSTRAY_FILE_PASSPHRASE or the prompt)"
}

func (e *wrongPassphraseError) Is(target error) bool { return target == ErrWrongPassphrase }

// verifyCanary checks the passphrase kr was opened with against the canary
// and writes the canary on first use. Nothing is written when the
// passphrase is wrong.
func verifyCanary(kr keyring.Keyring, dir string) error {
	_, err := kr.Get(canaryKey)
	if err == nil {
		return nil
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("reading the passphrase canary: %w", err)
	}
	if !errors.Is(err, keyring.ErrKeyNotFound) && !emptyFile(filepath.Join(dir, canaryFile)) {
		// The canary exists and does not decrypt (an empty one is a write
		// cut short: versions before atomicFileKeyring wrote in place).
		return &wrongPassphraseError{dir: dir}
	}

	// First use of this passphrase check. If the directory already holds
	// items, one of them must decrypt before the canary is made.
	names, err := kr.Keys()
	if err != nil {
		return fmt.Errorf("listing %s: %w", dir, err)
	}
	slices.Sort(names)
	for _, name := range names {
		if _, ok := ParseKey(name); !ok {
			continue
		}
		if _, err := kr.Get(name); err != nil {
			if errors.As(err, &pathErr) {
				return fmt.Errorf("reading %s: %w", name, err)
			}
			return &wrongPassphraseError{dir: dir}
		}
		break
	}
	if err := kr.Set(keyring.Item{Key: canaryKey, Data: canaryData, Label: "awstray passphrase check"}); err != nil {
		return fmt.Errorf("writing the passphrase canary: %w", err)
	}
	return nil
}

func emptyFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Size() == 0
}
