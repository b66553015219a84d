package importer

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/99designs/keyring"

	"github.com/awstray/awstray/credentials"
	_ "github.com/awstray/awstray/internal/busenv" // settles the bus address before keyring's init dials it
)

// aws-vault's keyring settings (99designs/aws-vault v7, cli/global.go):
// the values it gives keyring.Config, and its defaults for the ones a flag
// or variable can change.
const (
	awsVaultServiceName    = "aws-vault"
	awsVaultCollection     = "awsvault"
	awsVaultKWalletAppID   = "aws-vault"
	awsVaultKWalletFolder  = "aws-vault"
	awsVaultWinCredPrefix  = "aws-vault"
	awsVaultKeychainName   = "aws-vault"
	awsVaultFileDir        = "~/.awsvault/keys/"
	awsVaultDefaultTimeout = 30 * time.Second
)

// AWSVaultOptions locates aws-vault's keyring. The zero value is aws-vault's
// default: its first usable backend with its default names.
type AWSVaultOptions struct {
	// Backend is AWS_VAULT_BACKEND; empty picks the backend aws-vault would
	// use by default (see OpenAWSVault).
	Backend string
	// FileDir is AWS_VAULT_FILE_DIR (default ~/.awsvault/keys/); Home
	// expands a leading "~".
	FileDir, Home string
	// FilePassphrase returns the file backend's passphrase; it is called
	// once, when the first item is read.
	FilePassphrase func() (string, error)
	// PassDir, PassCmd and PassPrefix are AWS_VAULT_PASS_PASSWORD_STORE_DIR,
	// AWS_VAULT_PASS_CMD and AWS_VAULT_PASS_PREFIX.
	PassDir, PassCmd, PassPrefix string
	// Collection is AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME (default
	// "awsvault").
	Collection string
	// KeychainName is AWS_VAULT_KEYCHAIN_NAME (default "aws-vault").
	KeychainName string
	// Timeout bounds each keyring call (default 30 s): a locked keyring
	// waits for a person.
	Timeout time.Duration
}

// AWSVaultOptionsFromEnv reads the variables aws-vault reads through getenv.
// FilePassphrase is set only when AWS_VAULT_FILE_PASSPHRASE is; otherwise
// the caller supplies a prompt.
func AWSVaultOptionsFromEnv(getenv func(string) string) AWSVaultOptions {
	o := AWSVaultOptions{
		Backend:      getenv("AWS_VAULT_BACKEND"),
		FileDir:      getenv("AWS_VAULT_FILE_DIR"),
		Home:         getenv("HOME"),
		PassDir:      getenv("AWS_VAULT_PASS_PASSWORD_STORE_DIR"),
		PassCmd:      getenv("AWS_VAULT_PASS_CMD"),
		PassPrefix:   getenv("AWS_VAULT_PASS_PREFIX"),
		Collection:   getenv("AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME"),
		KeychainName: getenv("AWS_VAULT_KEYCHAIN_NAME"),
	}
	if pw := getenv("AWS_VAULT_FILE_PASSPHRASE"); pw != "" {
		o.FilePassphrase = func() (string, error) { return pw, nil }
	}
	return o
}

// keyringConfig is the keyring.Config aws-vault opens backend with.
func (o AWSVaultOptions) keyringConfig(backend string) keyring.Config {
	cfg := keyring.Config{
		AllowedBackends:          []keyring.BackendType{keyring.BackendType(backend)},
		ServiceName:              awsVaultServiceName,
		LibSecretCollectionName:  orDefault(o.Collection, awsVaultCollection),
		KWalletAppID:             awsVaultKWalletAppID,
		KWalletFolder:            awsVaultKWalletFolder,
		KeychainTrustApplication: true,
		KeychainName:             orDefault(o.KeychainName, awsVaultKeychainName),
		WinCredPrefix:            awsVaultWinCredPrefix,
		FileDir:                  o.fileDir(),
		PassDir:                  o.PassDir,
		PassCmd:                  o.PassCmd,
		PassPrefix:               o.PassPrefix,
	}
	cfg.FilePasswordFunc = func(string) (string, error) {
		return "", errors.New("no passphrase") // OpenAWSVault sets the real one
	}
	return cfg
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// fileDir is the file backend's folder with a leading "~" expanded.
func (o AWSVaultOptions) fileDir() string {
	dir := orDefault(o.FileDir, awsVaultFileDir)
	if o.Home != "" && (dir == "~" || strings.HasPrefix(dir, "~/") || strings.HasPrefix(dir, "~"+string(filepath.Separator))) {
		return filepath.Join(o.Home, dir[1:])
	}
	return dir
}

// defaultAWSVaultBackend is the backend aws-vault uses when none is named:
// the first one in the keyring package's order that is compiled in and can
// be opened with aws-vault's settings. keyctl is never one: aws-vault sets
// no keyctl scope, without which the backend does not open.
func defaultAWSVaultBackend(o AWSVaultOptions) string {
	for _, b := range keyring.AvailableBackends() {
		switch b {
		case keyring.KeyCtlBackend:
			continue
		case keyring.PassBackend:
			if _, err := exec.LookPath(orDefault(o.PassCmd, "pass")); err != nil {
				continue
			}
		}
		return string(b)
	}
	return string(keyring.FileBackend)
}

// AWSVault is aws-vault's keyring, opened for reading. Its methods never
// write to it.
type AWSVault struct {
	backend string
	where   string // for messages: "aws-vault's file keyring in DIR"
	kr      keyring.Keyring
	timeout time.Duration
	// passphrase asks for the file backend's passphrase into filePass,
	// once; nil for the other backends.
	passphrase func() error
	filePass   string
}

// OpenAWSVault opens aws-vault's keyring with the configuration aws-vault
// itself uses: o.Backend, else the backend aws-vault picks by default. It
// refuses to create anything: a missing file keyring folder is an error,
// not a new folder.
func OpenAWSVault(o AWSVaultOptions) (*AWSVault, error) {
	backend := o.Backend
	if backend == "" {
		backend = defaultAWSVaultBackend(o)
	}
	cfg := o.keyringConfig(backend)
	v := &AWSVault{backend: backend, timeout: o.Timeout, where: "aws-vault's " + backend + " keyring"}
	if v.timeout <= 0 {
		v.timeout = awsVaultDefaultTimeout
	}
	switch keyring.BackendType(backend) {
	case keyring.KeyCtlBackend:
		return nil, errors.New("aws-vault cannot use the keyctl backend (it sets no keyctl scope), so it holds no keys there; set AWS_VAULT_BACKEND to the backend aws-vault uses")
	case keyring.FileBackend:
		v.where += " in " + cfg.FileDir
		// The keyring package makes a missing folder; aws-vault's store
		// is read, never made.
		fi, err := os.Stat(cfg.FileDir)
		if err != nil {
			return nil, fmt.Errorf("no aws-vault file keyring in %s: %w", cfg.FileDir, errors.Unwrap(err))
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("no aws-vault file keyring in %s: not a folder", cfg.FileDir)
		}
	case keyring.SecretServiceBackend:
		v.where += " (collection " + cfg.LibSecretCollectionName + ")"
	}
	if !slices.Contains(keyring.AvailableBackends(), keyring.BackendType(backend)) {
		return nil, fmt.Errorf("cannot read %s: the backend is not available here (names: %s)", v.where, backendNames())
	}
	if backend == string(keyring.FileBackend) {
		// Asked for once, outside the call timeout (a person may be
		// typing), and only when an item is to be read.
		v.passphrase = func() error {
			if v.filePass != "" {
				return nil
			}
			if o.FilePassphrase == nil {
				return fmt.Errorf("%s needs a passphrase: set AWS_VAULT_FILE_PASSPHRASE", v.where)
			}
			pw, err := o.FilePassphrase()
			if err != nil {
				return fmt.Errorf("reading the passphrase of %s: %w", v.where, err)
			}
			if pw == "" {
				return fmt.Errorf("empty passphrase for %s", v.where)
			}
			v.filePass = pw
			return nil
		}
		cfg.FilePasswordFunc = func(string) (string, error) { return v.filePass, nil }
	}
	var kr keyring.Keyring
	err := v.do(func() error {
		var err error
		kr, err = keyring.Open(cfg)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", v.where, err)
	}
	v.kr = kr
	return v, nil
}

func backendNames() string {
	var s []string
	for _, b := range keyring.AvailableBackends() {
		s = append(s, string(b))
	}
	return strings.Join(s, ", ")
}

// Backend is the keyring backend read, as the keyring package names it.
func (v *AWSVault) Backend() string { return v.backend }

// String describes the store for messages, e.g. "aws-vault's file keyring
// in /home/me/.awsvault/keys".
func (v *AWSVault) String() string { return v.where }

// Keys returns aws-vault's long-term keys of the named profiles, in the
// order named, or of every profile it holds when none is named. Cached
// sessions and SSO tokens are left out; an item that is not a long-term
// key comes back with Skip set. A named profile aws-vault has no item for
// is an error, returned before any item is read.
func (v *AWSVault) Keys(profiles []string) ([]Key, error) {
	var names []string
	err := v.do(func() error {
		var err error
		names, err = v.kr.Keys()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", v.where, err)
	}
	var candidates []Key
	for _, n := range names {
		if !isAWSVaultSessionKey(n) && !isAWSVaultOIDCKey(n) {
			candidates = append(candidates, Key{Profile: n})
		}
	}
	slices.SortFunc(candidates, func(a, b Key) int { return strings.Compare(a.Profile, b.Profile) })
	candidates = slices.CompactFunc(candidates, func(a, b Key) bool { return a.Profile == b.Profile })
	selected, err := Select(candidates, profiles, v.where)
	if err != nil {
		return nil, err
	}
	if v.passphrase != nil && len(selected) > 0 {
		if err := v.passphrase(); err != nil {
			return nil, err
		}
	}
	out := make([]Key, 0, len(selected))
	for _, k := range selected {
		var item keyring.Item
		err := v.do(func() error {
			var err error
			item, err = v.kr.Get(k.Profile)
			return err
		})
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn) || errors.As(err, &typ):
			// The backend's envelope did not decode: not an item any
			// keyring user wrote.
			k.Skip = "it is not an aws-vault item"
		case err != nil && v.backend == string(keyring.FileBackend):
			return nil, fmt.Errorf("reading %q from %s: %w (wrong passphrase?)", k.Profile, v.where, err)
		case err != nil:
			return nil, fmt.Errorf("reading %q from %s: %w", k.Profile, v.where, err)
		default:
			k = decodeAWSVaultKey(k.Profile, item.Data)
		}
		out = append(out, k)
	}
	return out, nil
}

// awsVaultCredentials is the JSON aws-vault stores for a long-term key:
// aws-sdk-go-v2's aws.Credentials (v6 and later) or aws-sdk-go's
// credentials.Value (before); both name the fields the same way.
type awsVaultCredentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	CanExpire       bool
}

func decodeAWSVaultKey(profile string, data []byte) Key {
	k := Key{Profile: profile}
	var c awsVaultCredentials
	if err := json.Unmarshal(data, &c); err != nil {
		// The error is not shown: JSON errors quote the input.
		k.Skip = "it is not an aws-vault access key"
		return k
	}
	switch {
	case c.AccessKeyID == "" && c.SecretAccessKey == "":
		k.Skip = "it is not an aws-vault access key"
	case c.SessionToken != "" || c.CanExpire:
		k.Skip = "it holds temporary credentials; only long-term keys are imported"
	default:
		k.AccessKeyID = c.AccessKeyID
		k.Secret = credentials.NewSecret(c.SecretAccessKey)
	}
	return k
}

// isAWSVaultSessionKey reports whether name is one of aws-vault's cached
// session items: "TYPE,b64(profile),b64(mfa serial),UNIXTIME" since v6,
// and the older "session,…", "session:PROFILE:SERIAL:TIME" and
// "PROFILE session (NUMBER)".
func isAWSVaultSessionKey(name string) bool {
	if f := strings.Split(name, ","); len(f) == 4 && f[0] != "" && f[1] != "" && allDigits(f[3]) {
		return true
	}
	if rest, ok := strings.CutPrefix(name, "session:"); ok && strings.Count(rest, ":") >= 2 {
		return true
	}
	if strings.HasSuffix(name, ")") {
		if i := strings.LastIndex(name, " session ("); i > 0 && allDigits(name[i+len(" session ("):len(name)-1]) {
			return true
		}
	}
	return false
}

// isAWSVaultOIDCKey reports whether name is aws-vault's cached IAM Identity
// Center token: "oidc:START_URL".
func isAWSVaultOIDCKey(name string) bool { return strings.HasPrefix(name, "oidc:") }

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// do runs fn and gives up after the timeout: a locked keyring waits for a
// person, and a D-Bus call cannot be cancelled, so fn is left to finish.
func (v *AWSVault) do(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("keyring backend %q failed: %v", v.backend, r)
			}
		}()
		done <- fn()
	}()
	t := time.NewTimer(v.timeout)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("keyring backend %q did not answer within %s (is it locked?)", v.backend, v.timeout)
	}
}
