package keystore

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Kind says what an item holds. The store does not look inside items; the
// kind only keeps one profile's items apart.
type Kind string

// The kinds of item awstray keeps.
const (
	KindKey      Kind = "key"       // a long-term IAM access key
	KindSession  Kind = "session"   // a cached GetSessionToken base session
	KindRole     Kind = "role"      // a cached AssumeRole session
	KindSSOToken Kind = "sso-token" // a cached IAM Identity Center token
	// KindKeyBackup is the previous long-term key, kept while a rotation
	// runs so that no step can lose the only working key.
	KindKeyBackup Kind = "key-backup"
)

// kinds lists the kinds ParseKey accepts.
var kinds = []Kind{KindKey, KindSession, KindRole, KindSSOToken, KindKeyBackup}

// keyVersion is the first segment of every key. A new scheme gets a new
// version; items of other versions are foreign to this one.
const keyVersion = "v1"

// Limits that keep every key storable in every backend: the file backend
// makes one file name of a key (NAME_MAX is 255 bytes) after escaping "/"
// and "%" as three characters each, and pass makes one file name of each
// segment.
const (
	maxFileNameLen = 240
	maxVariantLen  = 64
)

// Key names one item: its kind, the AWS profile it belongs to and an
// optional variant, a short fingerprint of the parameters the item was made
// with (for example the hex of a hash of a role's ARN and duration), so that
// one profile can keep several sessions apart.
type Key struct {
	Kind    Kind
	Profile string
	Variant string
}

// String returns the key as stored: v1/<kind>/<url.PathEscape(profile)>,
// followed by /<variant> when the variant is set.
func (k Key) String() string {
	s := keyVersion + "/" + string(k.Kind) + "/" + url.PathEscape(k.Profile)
	if k.Variant != "" {
		s += "/" + k.Variant
	}
	return s
}

// Validate reports why k cannot be stored, or nil. Profile names may hold
// any character (String escapes them) except that "." and ".." are refused,
// because pass would read them as path elements; the variant is 1 to 64 of
// [A-Za-z0-9_-].
func (k Key) Validate() error {
	if !knownKind(k.Kind) {
		return fmt.Errorf("unknown kind %q", string(k.Kind))
	}
	switch k.Profile {
	case "":
		return errors.New("empty profile name")
	case ".", "..":
		return fmt.Errorf("profile name %q cannot be stored", k.Profile)
	}
	if k.Variant != "" && !validVariant(k.Variant) {
		return fmt.Errorf("invalid variant %q (want 1 to %d letters, digits, - or _)", k.Variant, maxVariantLen)
	}
	if fileNameLen(k.String()) > maxFileNameLen {
		return fmt.Errorf("profile name %q is too long to store", k.Profile)
	}
	return nil
}

// ParseKey is the inverse of Key.String: it accepts exactly the strings
// String returns for valid keys and nothing else, so ParseKey(s) succeeds
// only if k.String() == s.
func ParseKey(s string) (Key, bool) {
	rest, ok := strings.CutPrefix(s, keyVersion+"/")
	if !ok {
		return Key{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 2 && len(parts) != 3 {
		return Key{}, false
	}
	profile, err := url.PathUnescape(parts[1])
	if err != nil {
		return Key{}, false
	}
	k := Key{Kind: Kind(parts[0]), Profile: profile}
	if len(parts) == 3 {
		if parts[2] == "" {
			return Key{}, false
		}
		k.Variant = parts[2]
	}
	if k.Validate() != nil || k.String() != s {
		return Key{}, false
	}
	return k, true
}

func knownKind(kind Kind) bool {
	for _, k := range kinds {
		if k == kind {
			return true
		}
	}
	return false
}

func validVariant(v string) bool {
	if len(v) == 0 || len(v) > maxVariantLen {
		return false
	}
	for _, c := range []byte(v) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}

// fileNameLen is the length of the file name the keyring's file backend
// makes of key: it writes "/" and "%" as %2F and %25.
func fileNameLen(key string) int {
	return len(key) + 2*(strings.Count(key, "/")+strings.Count(key, "%"))
}
