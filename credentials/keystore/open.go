package keystore

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/99designs/keyring"
)

// Backend names, as the keyring package spells them.
const (
	BackendSecretService = string(keyring.SecretServiceBackend)
	BackendKWallet       = string(keyring.KWalletBackend)
	BackendPass          = string(keyring.PassBackend)
	BackendKeyctl        = string(keyring.KeyCtlBackend)
	BackendFile          = string(keyring.FileBackend)
	BackendWinCred       = string(keyring.WinCredBackend)
	BackendKeychain      = string(keyring.KeychainBackend)
)

// Backends lists the names Options.Backend accepts.
func Backends() []string {
	return []string{BackendSecretService, BackendKWallet, BackendPass, BackendKeyctl, BackendFile, BackendWinCred, BackendKeychain}
}

// probeTimeout bounds each reachability check while Open picks a backend.
const probeTimeout = 3 * time.Second

// keyctlPerm gives the possessor and every process of the same user all
// rights on awstray's keys. The kernel's default (possessor all, user view)
// makes the keys unreadable from a process whose session keyring does not
// link the user keyring, such as a systemd user service started outside
// the login session.
const keyctlPerm = 0x3f3f0000

// Open opens the keyring backend opts.Backend names, or, when it is empty,
// the best reachable one for the OS:
//
//   - Linux: secret-service, if a Secret Service runs on the session bus and
//     has the collection (when the collection is locked, only if there is a
//     display to prompt on); then kwallet, if KWallet runs on the session
//     bus; then pass, if the password store is initialised (has a .gpg-id);
//     then file. keyctl is never picked by itself: its keys do not survive
//     a logout or reboot.
//   - macOS: keychain (builds with cgo only), then file.
//   - Windows: wincred, then file.
//
// Each check takes at most 3 s; none starts a daemon or shows a prompt.
// A backend named in opts is checked the same way, except that a
// D-Bus-activatable service and a locked collection count, and when it is
// not compiled in or not reachable Open returns an error rather than
// falling through to another. The file backend asks opts.FilePassphrase
// once and checks the passphrase against a canary item before anything
// else. Every backend call, opening included, is bounded by opts.Timeout.
//
// When Open picked the backend by itself and opts.Remember is set, the
// store calls it once, after it stored the first long-term key (see
// Options.Remember).
func Open(opts Options) (*Store, error) {
	o := opts.withDefaults()
	name := o.Backend
	var kwalletName string
	var err error
	if name == "" {
		name, kwalletName = detect(o)
	} else {
		if !slices.Contains(Backends(), name) {
			return nil, fmt.Errorf("unknown keyring backend %q (valid: %s)", name, strings.Join(Backends(), ", "))
		}
		kwalletName, err = reachable(name, o, false)
		if err != nil {
			return nil, &UnavailableError{Backend: name, Err: err}
		}
	}
	s, err := openBackend(name, kwalletName, o)
	if err != nil {
		return nil, err
	}
	if o.Backend == "" && o.Remember != nil {
		why := detectedBecause(name, o)
		s.remember = func() { o.Remember(name, why) }
	}
	return s, nil
}

// UnavailableError is Open's error when the backend it was told to use
// cannot be reached. Open never uses another in its place: the keys are
// in that one.
type UnavailableError struct {
	Backend string
	Err     error // why
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("keyring backend %q is not available: %v", e.Backend, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// detectedBecause says, for a person, why detect picked backend.
func detectedBecause(backend string, o Options) string {
	switch backend {
	case BackendSecretService, BackendKWallet:
		return "found on the session bus"
	case BackendPass:
		return "the password store " + o.PassDir + " is initialised"
	case BackendKeychain:
		return "the macOS keychain"
	case BackendWinCred:
		return "the Windows Credential Manager"
	}
	if runtime.GOOS == "linux" {
		return "no Secret Service, KWallet or initialised pass store was found"
	}
	return "no other keyring was found"
}

// detect returns the first reachable backend of the OS's list, and the
// KWallet wallet when that is the one.
func detect(o Options) (name, kwalletName string) {
	return detectIn(runtime.GOOS, func(b string) (string, error) { return reachable(b, o, true) })
}

func detectIn(goos string, reach func(backend string) (kwalletName string, err error)) (name, kwalletName string) {
	var order []string
	switch goos {
	case "linux":
		order = []string{BackendSecretService, BackendKWallet, BackendPass}
	case "darwin":
		order = []string{BackendKeychain}
	case "windows":
		order = []string{BackendWinCred}
	default:
		order = []string{BackendPass}
	}
	for _, b := range order {
		if w, err := reach(b); err == nil {
			return b, w
		}
	}
	return BackendFile, ""
}

// reachable reports why backend b cannot be used, or nil. auto is set while
// Open picks a backend by itself, which must not end up waiting on a
// prompt nobody can answer. For kwallet it returns the wallet to open.
func reachable(b string, o Options, auto bool) (kwalletName string, err error) {
	if !slices.Contains(keyring.AvailableBackends(), keyring.BackendType(b)) {
		return "", errors.New(notCompiledReason(b))
	}
	timeout := min(probeTimeout, o.Timeout)
	switch b {
	case BackendSecretService:
		return "", probeSecretService(o.Collection, auto, timeout)
	case BackendKWallet:
		return probeKWallet(auto, timeout)
	case BackendPass:
		return "", probePass(o)
	}
	return "", nil
}

// notCompiledReason says why the keyring package did not register b.
func notCompiledReason(b string) string {
	switch b {
	case BackendSecretService, BackendKWallet:
		if runtime.GOOS != "linux" {
			return "it exists only on Linux"
		}
		if b == BackendKWallet && os.Getenv("DISABLE_KWALLET") == "1" {
			return "DISABLE_KWALLET=1 is set"
		}
		// The keyring package registers both in init(), only if the session
		// bus answered then.
		return "no D-Bus session bus answered when the program started (DBUS_SESSION_BUS_ADDRESS)"
	case BackendKeyctl:
		return "it exists only on Linux"
	case BackendKeychain:
		if runtime.GOOS == "darwin" {
			return "this build has no cgo, which the keychain backend needs"
		}
		return "it exists only on macOS"
	case BackendWinCred:
		return "it exists only on Windows"
	case BackendPass:
		return "it does not exist on Windows"
	}
	return "it is not compiled in"
}

// probePass checks that pass is installed and the store is initialised, so
// that the first write does not fail with "you must run pass init".
func probePass(o Options) error {
	if _, err := exec.LookPath(o.PassCmd); err != nil {
		return fmt.Errorf("the pass program is not installed: %w", err)
	}
	dir, err := expandTilde(o.PassDir)
	if err != nil {
		return err
	}
	if dir == "" {
		return errors.New("no password store directory")
	}
	for _, d := range []string{filepath.Join(dir, o.PassPrefix), dir} {
		if _, err := os.Stat(filepath.Join(d, ".gpg-id")); err == nil {
			return nil
		}
	}
	return fmt.Errorf("the password store %s is not initialised (no .gpg-id; run pass init GPG-ID)", dir)
}

// openBackend opens backend name with every option spelled out and exactly
// one allowed backend: keyring.Open silently tries the next one otherwise.
func openBackend(name, kwalletName string, o Options) (*Store, error) {
	cfg := keyring.Config{
		AllowedBackends: []keyring.BackendType{keyring.BackendType(name)},
		ServiceName:     o.ServiceName,

		KeychainTrustApplication:       true,
		KeychainAccessibleWhenUnlocked: true,

		LibSecretCollectionName: o.Collection,

		KeyCtlScope: o.KeyctlScope,
		KeyCtlPerm:  keyctlPerm,

		KWalletAppID:  "awstray",
		KWalletFolder: o.KWalletFolder,

		PassDir:    o.PassDir,
		PassCmd:    o.PassCmd,
		PassPrefix: o.PassPrefix,
	}
	prefix := ""
	var fileDir string
	switch name {
	case BackendSecretService:
		prefix = o.ServiceName + "/"
	case BackendKWallet:
		// The keyring package opens the wallet named ServiceName; a name
		// that is not a wallet yet makes KWallet create one, with a prompt.
		// Use the user's default wallet and keep awstray in its folder.
		cfg.ServiceName = kwalletName
	case BackendFile:
		var err error
		if fileDir, err = o.fileDir(); err != nil {
			return nil, err
		}
		pw, err := filePassphrase(o, fileDir)
		if err != nil {
			return nil, err
		}
		cfg.FileDir = fileDir
		cfg.FilePasswordFunc = func(string) (string, error) { return pw, nil }
	}

	s := newStore(name, nil, o.Timeout, prefix)
	if name == BackendSecretService {
		collection := o.Collection
		s.explain = func(err error) error { return explainSecretService(collection, err) }
	}
	err := s.do(func(keyring.Keyring) error {
		kr, err := keyring.Open(cfg)
		if err != nil {
			return err
		}
		switch name {
		case BackendFile:
			// The passphrase is checked against the canary before the first
			// write or listing, and when an item does not decrypt — not on
			// every Open: each check is a PBKDF2 run, and `exec` with a cached
			// session needs only one read.
			s.verify = func(kr keyring.Keyring) error { return verifyCanary(kr, fileDir) }
			// The package's own Set truncates before it writes: a kill or
			// a full disk would tear the item.
			kr = &atomicFileKeyring{Keyring: kr, dir: fileDir, cfg: cfg}
		case BackendKeyctl:
			// The lock's wait ends a little before the call's own bound, so
			// that a held lock is reported as such, not as a silent backend.
			kr = &keyctlLocked{Keyring: kr, timeout: o.Timeout * 9 / 10}
		case BackendWinCred:
			kr = &chunkedKeyring{Keyring: kr, max: wincredMaxBlob}
		case BackendPass:
			kr = newQuietPass(kr, cfg)
		}
		s.kr = kr // under s's lock: later calls see it
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("opening keyring backend %q: %w", name, err)
	}
	return s, nil
}

// withTimeout runs a reachability check and gives up after d; the check
// goroutine is left to finish on its own (a D-Bus call cannot be cancelled).
func withTimeout(d time.Duration, what string, check func() error) error {
	done := make(chan error, 1)
	go func() { done <- check() }()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("%s did not answer within %s", what, d)
	}
}
