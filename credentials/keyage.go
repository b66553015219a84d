package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// storedKey is the keyring encoding of a long-term key: the session
// encoding plus when the key was created. Items written before the field
// existed have none, and read as "unknown".
type storedKey struct {
	stored
	Created string `json:"c,omitempty"`
}

func encodeKey(c Credentials, created time.Time) []byte {
	s := storedKey{stored: stored{V: 1, AKID: c.AccessKeyID, Secret: c.SecretAccessKey.Reveal()}}
	if !created.IsZero() {
		s.Created = created.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(s) // a struct of strings always marshals
	return b
}

// decodeKey reads a key item. A creation time that does not parse is
// unknown, not an error: the key itself is what matters.
func decodeKey(b []byte) (Credentials, time.Time, error) {
	c, _, err := decode(b)
	if err != nil {
		return Credentials{}, time.Time{}, err
	}
	var s struct {
		Created string `json:"c"`
	}
	_ = json.Unmarshal(b, &s) // decode parsed the same bytes
	t, err := time.Parse(time.RFC3339, s.Created)
	if err != nil {
		return c, time.Time{}, nil
	}
	return c, t, nil
}

// SaveKeyCreated is SaveKey for a key created at created (zero: unknown).
func SaveKeyCreated(s *keystore.Store, profile string, accessKeyID string, secret Secret, created time.Time) error {
	if err := ValidateKey(accessKeyID, secret); err != nil {
		return err
	}
	if err := writeKey(s, profile, Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secret}, created); err != nil {
		return fmt.Errorf("storing the key of profile %q: %w", profile, err)
	}
	if _, err := ClearSessions(s, profile); err != nil {
		return fmt.Errorf("the key of profile %q is stored, but its cached sessions were not dropped: %w", profile, err)
	}
	return nil
}

// StoredKeyCreated returns the access key ID stored for profile and when
// that key was created; the zero time when that is not known (a key stored
// before awstray kept the time). ErrNoKey when no key is stored.
func StoredKeyCreated(s *keystore.Store, profile string) (accessKeyID string, created time.Time, err error) {
	c, created, err := readKeyCreated(s, profile)
	if err != nil {
		return "", time.Time{}, err
	}
	return c.AccessKeyID, created, nil
}

// KeyAge is how long ago created was, in whole days; ok is false when
// created is unknown.
func KeyAge(created, now time.Time) (days int, ok bool) {
	if created.IsZero() {
		return 0, false
	}
	d := now.Sub(created)
	if d < 0 {
		return 0, true // a clock behind IAM's: the key is new
	}
	return int(d / (24 * time.Hour)), true
}

// LearnKeyCreated asks IAM when the stored key of the IAM user profile was
// created (ListAccessKeys, signed with that key) and stores the answer with
// the key. It changes nothing when the stored key is not the one it asked
// about any more, or a rotation of the profile is running. Without MFA:
// a policy that requires MFA for IAM calls answers AccessDenied, and the
// creation time stays unknown.
func (r *Resolver) LearnKeyCreated(ctx context.Context, profile string) (time.Time, error) {
	p, err := r.Config.Profile(profile)
	if err != nil {
		return time.Time{}, err
	}
	if p.Kind() != awsconfig.KindUser {
		return time.Time{}, fmt.Errorf("profile %q is a %s profile; only IAM user profiles have a key", profile, p.Kind())
	}
	key, _, err := readKeyCreated(r.Store, profile)
	if err != nil {
		return time.Time{}, err
	}
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	out, err := r.iamClient(p, key).ListAccessKeys(cctx, &iam.ListAccessKeysInput{})
	cancel()
	if err != nil {
		return time.Time{}, fmt.Errorf("asking IAM when the key of profile %q was created: %w", profile, describeAWSError(err, o.Timeout))
	}
	var created time.Time
	for _, k := range out.AccessKeyMetadata {
		if k.AccessKeyId != nil && *k.AccessKeyId == key.AccessKeyID && k.CreateDate != nil {
			created = *k.CreateDate
		}
	}
	if created.IsZero() {
		return time.Time{}, fmt.Errorf("asking IAM when the key of profile %q was created: IAM does not list the stored key %s", profile, mask(key.AccessKeyID))
	}
	unlock, err := lockRotation(profile)
	if err != nil {
		return time.Time{}, err
	}
	defer unlock()
	// Rewritten only if it is still the key IAM was asked about: a rotate
	// or an add may have replaced it meanwhile.
	now, _, err := readKeyCreated(r.Store, profile)
	if err != nil {
		return time.Time{}, err
	}
	if !sameKey(now, key) {
		return time.Time{}, fmt.Errorf("storing when the key of profile %q was created: the stored key changed meanwhile", profile)
	}
	if err := writeKey(r.Store, profile, key, created); err != nil {
		return time.Time{}, fmt.Errorf("storing when the key of profile %q was created: %w", profile, err)
	}
	return created, nil
}

// readKeyCreated is readKey with the key's creation time (zero: unknown).
func readKeyCreated(s *keystore.Store, profile string) (Credentials, time.Time, error) {
	b, err := s.Get(keystore.Key{Kind: keystore.KindKey, Profile: profile})
	if errors.Is(err, keystore.ErrNotFound) {
		return Credentials{}, time.Time{}, &NoKeyError{Profile: profile}
	}
	if err != nil {
		return Credentials{}, time.Time{}, err
	}
	c, created, err := decodeKey(b)
	if err != nil {
		return Credentials{}, time.Time{}, fmt.Errorf("reading the key of profile %q: %w", profile, err)
	}
	return c, created, nil
}
