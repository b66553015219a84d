package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/awstray/awstray/credentials/keystore"
)

// ValidateKey checks a long-term key pair before it is stored. Messages
// never contain the key's text.
func ValidateKey(accessKeyID string, secret Secret) error {
	switch {
	case accessKeyID == "":
		return errors.New("the access key ID is empty")
	case secret.IsZero():
		return errors.New("the secret access key is empty")
	case len(accessKeyID) < 16 || len(accessKeyID) > 128:
		return fmt.Errorf("the access key ID has %d characters; AWS access key IDs have 16 to 128", len(accessKeyID))
	case !isAlnum(accessKeyID):
		return errors.New("the access key ID may only hold letters and digits")
	case len(accessKeyID) >= 4 && accessKeyID[:4] == "ASIA":
		return errors.New("the access key ID is a temporary one (ASIA…); store a long-term key (AKIA…)")
	case len(secret.Reveal()) < 16 || len(secret.Reveal()) > 512:
		return errors.New("the secret access key does not have the length of an AWS secret key")
	}
	for _, r := range secret.Reveal() {
		if r > unicode.MaxASCII || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return errors.New("the secret access key holds spaces or characters an AWS secret key never has")
		}
	}
	return nil
}

func isAlnum(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// SaveKey stores the long-term key of profile, created now, and drops the
// profile's cached sessions, which the previous key made. An error after
// the key was stored says so.
func SaveKey(s *keystore.Store, profile string, accessKeyID string, secret Secret) error {
	return SaveKeyCreated(s, profile, accessKeyID, secret, time.Now())
}

// writeKey stores c, created at created (zero: unknown), as the long-term
// key of profile, sessions untouched. Its error is the store's, which
// names the item.
func writeKey(s *keystore.Store, profile string, c Credentials, created time.Time) error {
	return s.Set(keystore.Key{Kind: keystore.KindKey, Profile: profile}, encodeKey(c, created), "awstray key for profile "+profile)
}

// readKey returns the stored key of profile: a *NoKeyError when there is
// none, an error matching keystore.ErrTimeout when the keyring does not
// answer, and another error when the item is there but unreadable.
func readKey(s *keystore.Store, profile string) (Credentials, error) {
	c, _, err := readKeyCreated(s, profile)
	return c, err
}

// keyBackup is the keyring encoding of a rotation's backup item: the key
// that was stored when the rotation began, and the access key IDs IAM held
// then, so that a later run can tell the key the rotation created from
// keys that were there before.
type keyBackup struct {
	V      int      `json:"v"`
	AKID   string   `json:"a"`
	Secret string   `json:"s"`
	Before []string `json:"iam"`
	// Created is when the key was created, RFC 3339; absent when unknown.
	Created string `json:"c,omitempty"`
}

// rotationBackup is a decoded backup item.
type rotationBackup struct {
	key     Credentials
	created time.Time // zero: unknown
	before  []string
}

func writeBackup(s *keystore.Store, profile string, b rotationBackup) error {
	kb := keyBackup{V: 1, AKID: b.key.AccessKeyID, Secret: b.key.SecretAccessKey.Reveal(), Before: b.before}
	if !b.created.IsZero() {
		kb.Created = b.created.UTC().Format(time.RFC3339)
	}
	data, _ := json.Marshal(kb) // strings always marshal
	k := keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile}
	if err := s.Set(k, data, "awstray previous key for profile "+profile+" (an unfinished rotate)"); err != nil {
		return fmt.Errorf("keeping the old key of profile %q aside: %w", profile, err)
	}
	return nil
}

// errNoBackup is readBackup's error when there is no backup item.
var errNoBackup = errors.New("no backup item")

// readBackup returns the backup item of profile: errNoBackup when there is
// none, an error matching keystore.ErrTimeout when the keyring does not
// answer, another error when the item is there but unreadable.
func readBackup(s *keystore.Store, profile string) (rotationBackup, error) {
	data, err := s.Get(keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile})
	if errors.Is(err, keystore.ErrNotFound) {
		return rotationBackup{}, errNoBackup
	}
	if err != nil {
		return rotationBackup{}, err
	}
	var b keyBackup
	if err := json.Unmarshal(data, &b); err != nil {
		return rotationBackup{}, fmt.Errorf("reading the previous key of profile %q: stored item is not valid: %w", profile, errNoValues(err))
	}
	if b.V != 1 || b.AKID == "" || b.Secret == "" {
		return rotationBackup{}, fmt.Errorf("reading the previous key of profile %q: stored item has no key", profile)
	}
	created, _ := time.Parse(time.RFC3339, b.Created) // unparsable: unknown
	return rotationBackup{key: Credentials{AccessKeyID: b.AKID, SecretAccessKey: NewSecret(b.Secret)}, created: created, before: b.Before}, nil
}

func removeBackup(s *keystore.Store, profile string) error {
	if err := s.Remove(keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile}); err != nil {
		return fmt.Errorf("dropping the previous key of profile %q: %w", profile, err)
	}
	return nil
}

// RotationBackup returns the key an unfinished `rotate` of profile kept
// aside: the key that was stored when it began. ErrNoKey when there is
// none. `awstray rotate PROFILE` finishes the rotation and drops it.
func RotationBackup(s *keystore.Store, profile string) (accessKeyID string, secret Secret, err error) {
	b, err := readBackup(s, profile)
	if errors.Is(err, errNoBackup) {
		return "", Secret{}, fmt.Errorf("no unfinished rotation of profile %q: %w", profile, ErrNoKey)
	}
	if err != nil {
		return "", Secret{}, err
	}
	return b.key.AccessKeyID, b.key.SecretAccessKey, nil
}

// MaskAccessKeyID shows an access key ID as ****************ABCD: enough to
// tell keys apart, as AWS's console does.
func MaskAccessKeyID(id string) string {
	if len(id) <= 4 {
		return strings.Repeat("*", len(id))
	}
	return strings.Repeat("*", len(id)-4) + id[len(id)-4:]
}

// StoredAccessKeyID returns the access key ID stored for profile, for
// display; ErrNoKey when none is.
func StoredAccessKeyID(s *keystore.Store, profile string) (string, error) {
	b, err := s.Get(keystore.Key{Kind: keystore.KindKey, Profile: profile})
	if errors.Is(err, keystore.ErrNotFound) {
		return "", &NoKeyError{Profile: profile}
	}
	if err != nil {
		return "", err
	}
	c, _, err := decode(b)
	if err != nil {
		return "", fmt.Errorf("reading the key of profile %q: %w", profile, err)
	}
	return c.AccessKeyID, nil
}

// StoredKey returns the long-term key stored for profile; ErrNoKey when
// none is. Callers that only show the key use StoredAccessKeyID.
func StoredKey(s *keystore.Store, profile string) (accessKeyID string, secret Secret, err error) {
	c, err := readKey(s, profile)
	if err != nil {
		return "", Secret{}, err
	}
	return c.AccessKeyID, c.SecretAccessKey, nil
}

// RemoveKey deletes the stored key of profile, the key an unfinished
// rotation kept aside, and the profile's cached sessions. It reports
// ErrNoKey when there was neither key.
func RemoveKey(s *keystore.Store, profile string) error {
	k := keystore.Key{Kind: keystore.KindKey, Profile: profile}
	_, err := s.Get(k)
	switch {
	case errors.Is(err, keystore.ErrNotFound):
		if _, err := s.Get(keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile}); errors.Is(err, keystore.ErrNotFound) {
			return &NoKeyError{Profile: profile}
		} else if err != nil {
			return err
		}
	case err != nil:
		return err
	}
	if _, err := ClearSessions(s, profile); err != nil {
		return err
	}
	if err := s.Remove(k); err != nil {
		return fmt.Errorf("removing the key of profile %q: %w", profile, err)
	}
	return removeBackup(s, profile)
}

// ClearSessions drops the cached sessions of the named profiles, or of every
// profile when none is named, and says how many it dropped. IAM Identity
// Center sign-ins are sessions too: name them by SSOCacheName. Long-term
// keys are never touched.
func ClearSessions(s *keystore.Store, profiles ...string) (int, error) {
	keys, err := s.List()
	if err != nil {
		return 0, fmt.Errorf("listing the keyring: %w", err)
	}
	want := make(map[string]bool, len(profiles))
	for _, p := range profiles {
		want[p] = true
	}
	n := 0
	for _, k := range keys {
		if k.Kind != keystore.KindSession && k.Kind != keystore.KindRole && k.Kind != keystore.KindSSOToken {
			continue
		}
		if len(profiles) > 0 && !want[k.Profile] {
			continue
		}
		if err := s.Remove(k); err != nil {
			return n, fmt.Errorf("removing a cached session of profile %q: %w", k.Profile, err)
		}
		n++
	}
	return n, nil
}

// KeyringState is what the keyring holds for one profile.
type KeyringState struct {
	StoredKey bool
	// UnfinishedRotation: a `rotate` stopped before it finished and kept
	// the previous key aside; `awstray rotate PROFILE` finishes it.
	UnfinishedRotation bool
	// KeyCreated is when the stored key was created; zero when unknown
	// (a key stored before awstray kept the time) or when none is stored.
	KeyCreated time.Time
	// SessionExpires is the expiry of the profile's valid cached session
	// (its role session, or its base session); zero when there is none.
	SessionExpires time.Time
}

// ReadKeyringState reports, per profile name, what the keyring holds.
func ReadKeyringState(s *keystore.Store, now time.Time) (map[string]KeyringState, error) {
	keys, err := s.List()
	if err != nil {
		return nil, fmt.Errorf("listing the keyring: %w", err)
	}
	out := make(map[string]KeyringState)
	for _, k := range keys {
		st := out[k.Profile]
		switch k.Kind {
		case keystore.KindKey:
			st.StoredKey = true
			if b, err := s.Get(k); err == nil {
				if _, created, err := decodeKey(b); err == nil {
					st.KeyCreated = created
				}
			}
		case keystore.KindKeyBackup:
			st.UnfinishedRotation = true
		case keystore.KindSession, keystore.KindRole:
			b, err := s.Get(k)
			if err != nil {
				continue
			}
			c, _, err := decode(b)
			if err != nil || !c.ValidAt(now, 0) {
				continue
			}
			if k.Kind == keystore.KindRole || st.SessionExpires.IsZero() {
				st.SessionExpires = c.Expires
			}
		}
		out[k.Profile] = st
	}
	return out, nil
}
