package keystore

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Defaults for Options fields left empty.
const (
	DefaultServiceName   = "awstray"
	DefaultCollection    = "login"
	DefaultKeyctlScope   = "user"
	DefaultKWalletFolder = "awstray"
	DefaultPassPrefix    = "awstray"
	DefaultTimeout       = 30 * time.Second
)

// Options chooses and configures the keyring backend. The zero value picks
// the best reachable backend for the OS with the defaults below.
type Options struct {
	// Backend is the keyring backend as 99designs/keyring names it:
	// "secret-service", "kwallet", "pass", "keyctl", "file", "wincred" or
	// "keychain". Empty picks the best reachable one (see Open).
	Backend string

	// ServiceName names awstray's items where the backend has such a name:
	// the keychain service, the keyctl keyring, the Windows credential
	// target and the namespace of items in the Secret Service collection.
	// Default "awstray".
	ServiceName string

	// FileDir is the file backend's directory; "~/" is the home directory.
	// Default: the user config dir (os.UserConfigDir) + /awstray/keyring.
	FileDir string

	// FilePassphrase returns the file backend's passphrase. Open calls it
	// once, before any keyring call and outside the Timeout, so it may prompt
	// a person. Required for the file backend.
	FilePassphrase func() (string, error)

	// NewFilePassphrase, when set, is called instead of FilePassphrase
	// for a file keyring that does not exist yet (no item in its folder):
	// a prompt asks for the passphrase twice there, since a typo would
	// lock the person out of what is stored next.
	NewFilePassphrase func() (string, error)

	// PassDir is the password store (default $PASSWORD_STORE_DIR, else
	// ~/.password-store), PassCmd the pass program (default "pass") and
	// PassPrefix the folder in the store that holds awstray's items
	// (default "awstray").
	PassDir, PassCmd, PassPrefix string

	// Collection is the Secret Service collection. Default "login": another
	// name makes a new collection, which needs a "choose a password" prompt.
	Collection string

	// KeyctlScope is the kernel keyring that holds awstray's keyring:
	// "user", "usersession", "session", "process" or "thread". Default "user".
	KeyctlScope string

	// KWalletFolder is the folder in the default KWallet wallet. Default
	// "awstray".
	KWalletFolder string

	// Timeout bounds every keyring call, opening included: a locked Secret
	// Service or KWallet waits for a person, or forever. Default 30 s.
	Timeout time.Duration

	// Remember, when set and Backend is empty, is called once with the
	// backend Open picked and why, after the store first holds a long-term
	// key (a KindKey item was written). The caller records the choice, so
	// that the next run uses the same backend even when another one is
	// reachable then (or this one is not): keys must not seem gone, nor new
	// ones land beside them in another keyring.
	Remember func(backend, why string)
}

// OptionsFromEnv reads the AWSTRAY_* variables through getenv (os.Getenv in
// production): AWSTRAY_BACKEND, AWSTRAY_FILE_DIR, AWSTRAY_FILE_PASSPHRASE,
// AWSTRAY_PASS_DIR, AWSTRAY_PASS_CMD, AWSTRAY_PASS_PREFIX,
// AWSTRAY_SECRET_SERVICE_COLLECTION and AWSTRAY_KEYCTL_SCOPE. FilePassphrase
// is set only when AWSTRAY_FILE_PASSPHRASE is; otherwise the caller supplies
// a prompt. Unset variables leave fields empty, so Open's defaults apply.
func OptionsFromEnv(getenv func(string) string) Options {
	o := Options{
		Backend:     getenv("AWSTRAY_BACKEND"),
		FileDir:     getenv("AWSTRAY_FILE_DIR"),
		PassDir:     getenv("AWSTRAY_PASS_DIR"),
		PassCmd:     getenv("AWSTRAY_PASS_CMD"),
		PassPrefix:  getenv("AWSTRAY_PASS_PREFIX"),
		Collection:  getenv("AWSTRAY_SECRET_SERVICE_COLLECTION"),
		KeyctlScope: getenv("AWSTRAY_KEYCTL_SCOPE"),
	}
	if pw := getenv("AWSTRAY_FILE_PASSPHRASE"); pw != "" {
		o.FilePassphrase = func() (string, error) { return pw, nil }
	}
	return o
}

// withDefaults fills in empty fields. It does not touch FilePassphrase.
func (o Options) withDefaults() Options {
	if o.ServiceName == "" {
		o.ServiceName = DefaultServiceName
	}
	if o.Collection == "" {
		o.Collection = DefaultCollection
	}
	if o.KeyctlScope == "" {
		o.KeyctlScope = DefaultKeyctlScope
	}
	if o.KWalletFolder == "" {
		o.KWalletFolder = DefaultKWalletFolder
	}
	if o.PassCmd == "" {
		o.PassCmd = "pass"
	}
	if o.PassPrefix == "" {
		o.PassPrefix = DefaultPassPrefix
	}
	if o.PassDir == "" {
		if d := os.Getenv("PASSWORD_STORE_DIR"); d != "" {
			o.PassDir = d
		} else if home, err := os.UserHomeDir(); err == nil {
			o.PassDir = filepath.Join(home, ".password-store")
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

// fileDir returns the file backend's directory with "~/" expanded.
func (o Options) fileDir() (string, error) {
	dir := o.FileDir
	if dir == "" {
		conf, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("finding the file keyring directory: %w", err)
		}
		return filepath.Join(conf, "awstray", "keyring"), nil
	}
	return expandTilde(dir)
}

// expandTilde expands a leading "~/" (or "~\" on Windows), as the keyring
// package does for FileDir and PassDir.
func expandTilde(dir string) (string, error) {
	if dir == "~" || (len(dir) > 1 && dir[0] == '~' && os.IsPathSeparator(dir[1])) {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("expanding %s: %w", dir, err)
		}
		return filepath.Join(home, dir[1:]), nil
	}
	return dir, nil
}
