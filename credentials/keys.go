package credentials

import (
	"errors"
	"fmt"
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

// SaveKey stores the long-term key of profile and drops the profile's cached
// sessions, which the previous key made.
func SaveKey(s *keystore.Store, profile string, accessKeyID string, secret Secret) error {
	if err := ValidateKey(accessKeyID, secret); err != nil {
		return err
	}
	c := Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}
	if err := s.Set(keystore.Key{Kind: keystore.KindKey, Profile: profile}, encode(c, ""), "awstray key for profile "+profile); err != nil {
		return fmt.Errorf("storing the key of profile %q: %w", profile, err)
	}
	_, err := ClearSessions(s, profile)
	return err
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
	b, err := s.Get(keystore.Key{Kind: keystore.KindKey, Profile: profile})
	if errors.Is(err, keystore.ErrNotFound) {
		return "", Secret{}, &NoKeyError{Profile: profile}
	}
	if err != nil {
		return "", Secret{}, err
	}
	c, _, err := decode(b)
	if err != nil {
		return "", Secret{}, fmt.Errorf("reading the key of profile %q: %w", profile, err)
	}
	return c.AccessKeyID, c.SecretAccessKey, nil
}

// RemoveKey deletes the stored key of profile and its cached sessions.
// It reports ErrNoKey when there was no key.
func RemoveKey(s *keystore.Store, profile string) error {
	k := keystore.Key{Kind: keystore.KindKey, Profile: profile}
	if _, err := s.Get(k); errors.Is(err, keystore.ErrNotFound) {
		return &NoKeyError{Profile: profile}
	} else if err != nil {
		return err
	}
	if _, err := ClearSessions(s, profile); err != nil {
		return err
	}
	if err := s.Remove(k); err != nil {
		return fmt.Errorf("removing the key of profile %q: %w", profile, err)
	}
	return nil
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
