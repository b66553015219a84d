// Package credentials is awstray's core: it turns a profile of the AWS config
// into working credentials — a long-term key from the keyring, a
// GetSessionToken base session (with MFA), AssumeRole chained through
// source_profile, or a credential_process — caching every session in the
// keyring. It has no UI: prompts come in as functions.
package credentials

import (
	"encoding/json"
	"fmt"
	"time"
)

// Credentials is a set of AWS credentials. The zero Expires means the
// credentials do not expire (a long-term key).
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey Secret
	SessionToken    Secret
	Expires         time.Time
}

// CanExpire reports whether the credentials have an expiry.
func (c Credentials) CanExpire() bool { return !c.Expires.IsZero() }

// ValidAt reports whether the credentials are usable at now with at least
// window left before they expire.
func (c Credentials) ValidAt(now time.Time, window time.Duration) bool {
	return !c.CanExpire() || c.Expires.Add(-window).After(now)
}

// stored is the keyring encoding of Credentials: compact JSON (Windows
// Credential Manager caps an item at 2560 bytes), versioned.
type stored struct {
	V       int    `json:"v"`
	AKID    string `json:"a"`
	Secret  string `json:"s"`
	Token   string `json:"t,omitempty"`
	Expires string `json:"e,omitempty"`
	Params  string `json:"p,omitempty"` // fingerprint of what made the session
}

func encode(c Credentials, params string) []byte {
	s := stored{V: 1, AKID: c.AccessKeyID, Secret: c.SecretAccessKey.Reveal(), Token: c.SessionToken.Reveal(), Params: params}
	if c.CanExpire() {
		s.Expires = c.Expires.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(s) // a struct of strings always marshals
	return b
}

func decode(b []byte) (Credentials, string, error) {
	var s stored
	if err := json.Unmarshal(b, &s); err != nil {
		return Credentials{}, "", fmt.Errorf("stored item is not valid: %w", errNoValues(err))
	}
	if s.V != 1 {
		return Credentials{}, "", fmt.Errorf("stored item has unknown version %d", s.V)
	}
	if s.AKID == "" || s.Secret == "" {
		return Credentials{}, "", fmt.Errorf("stored item has no key")
	}
	c := Credentials{AccessKeyID: s.AKID, SecretAccessKey: NewSecret(s.Secret), SessionToken: NewSecret(s.Token)}
	if s.Expires != "" {
		t, err := time.Parse(time.RFC3339, s.Expires)
		if err != nil {
			return Credentials{}, "", fmt.Errorf("stored item has a bad expiry")
		}
		c.Expires = t
	}
	return c, s.Params, nil
}

// errNoValues strips what a JSON error quotes of the input: only its kind
// survives, so a damaged item never prints a secret.
func errNoValues(err error) error {
	switch err.(type) {
	case *json.SyntaxError:
		return fmt.Errorf("malformed JSON")
	case *json.UnmarshalTypeError:
		return fmt.Errorf("unexpected JSON type")
	default:
		return fmt.Errorf("undecodable")
	}
}
