// Package importer moves long-term AWS keys into awstray's keyring from
// where other tools keep them: aws-vault's keyring (read through the same
// 99designs/keyring library, with aws-vault's own configuration) and the
// AWS CLI's plaintext shared credentials file. It reads foreign stores and
// never writes to them, except that it removes key lines from a
// credentials file when asked to, and only once the keys read back equal
// from awstray's keyring.
package importer

import (
	"errors"
	"fmt"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
)

// Key is a long-term key found in a foreign store, or the reason an item
// found there is not imported.
type Key struct {
	Profile     string
	AccessKeyID string
	Secret      credentials.Secret
	// Skip, when set, says why the item is not imported (temporary
	// credentials, a missing secret, …); it never quotes a value.
	Skip string
}

// Result is what Save did with one Key.
type Result struct {
	Profile     string
	AccessKeyID string
	// Imported: the key was stored and read back equal.
	Imported bool
	// Same: awstray already held exactly this key (read back equal), so
	// nothing was written; the foreign copy is as replaceable as an
	// imported one.
	Same bool
	// Skip says why the key was not imported, when it was not.
	Skip string
}

// Verified reports whether awstray's keyring now holds the key, read back
// equal: a plaintext copy of it may go.
func (r Result) Verified() bool { return r.Imported || r.Same }

// Save stores each key that has no Skip in st, unless st already holds a
// key for the profile and replace is false, and reads every stored key
// back to check it. A failure to write or read back the keyring stops Save
// with an error; the results so far are returned with it.
func Save(st *keystore.Store, keys []Key, replace bool) ([]Result, error) {
	out := make([]Result, 0, len(keys))
	for _, k := range keys {
		r := Result{Profile: k.Profile, AccessKeyID: k.AccessKeyID, Skip: k.Skip}
		if r.Skip == "" {
			r.Skip = credentialsProblem(k)
		}
		if r.Skip != "" {
			out = append(out, r)
			continue
		}
		id, secret, err := credentials.StoredKey(st, k.Profile)
		switch {
		case err == nil && id == k.AccessKeyID && secret.Reveal() == k.Secret.Reveal():
			r.Same, r.Skip = true, "awstray already holds this key"
			out = append(out, r)
			continue
		case err == nil && !replace:
			r.Skip = "awstray already holds another key for it (--replace overwrites it)"
			out = append(out, r)
			continue
		case err != nil && !errors.Is(err, credentials.ErrNoKey) && !replace:
			return out, err
		}
		if err := credentials.SaveKey(st, k.Profile, k.AccessKeyID, k.Secret); err != nil {
			return out, err
		}
		id, secret, err = credentials.StoredKey(st, k.Profile)
		if err != nil {
			return out, fmt.Errorf("reading back the key of profile %q: %w", k.Profile, err)
		}
		if id != k.AccessKeyID || secret.Reveal() != k.Secret.Reveal() {
			return out, fmt.Errorf("the key of profile %q did not read back equal from the %s keyring", k.Profile, st.Backend())
		}
		r.Imported = true
		out = append(out, r)
	}
	return out, nil
}

// credentialsProblem says why k cannot be stored, or "".
func credentialsProblem(k Key) string {
	if err := (keystore.Key{Kind: keystore.KindKey, Profile: k.Profile}).Validate(); err != nil {
		return err.Error()
	}
	if err := credentials.ValidateKey(k.AccessKeyID, k.Secret); err != nil {
		return err.Error()
	}
	return ""
}

// Select returns the keys of the named profiles, in the order named, or
// every key when none is named. A named profile with no key is an error
// naming all such profiles.
func Select(keys []Key, profiles []string, where string) ([]Key, error) {
	if len(profiles) == 0 {
		return keys, nil
	}
	byName := make(map[string]Key, len(keys))
	for _, k := range keys {
		byName[k.Profile] = k
	}
	var out []Key
	var missing []string
	seen := map[string]bool{}
	for _, p := range profiles {
		if seen[p] {
			continue
		}
		seen[p] = true
		k, ok := byName[p]
		if !ok {
			missing = append(missing, fmt.Sprintf("%q", p))
			continue
		}
		out = append(out, k)
	}
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return nil, fmt.Errorf("profile %s not found in %s", missing[0], where)
	}
	return nil, fmt.Errorf("profiles %s not found in %s", joinList(missing), where)
}

func joinList(s []string) string {
	if len(s) < 2 {
		return fmt.Sprint(s[0])
	}
	out := ""
	for i, v := range s {
		switch {
		case i == 0:
		case i == len(s)-1:
			out += " and "
		default:
			out += ", "
		}
		out += v
	}
	return out
}
