package credentials

import (
	"fmt"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// NewKey is a long-term key to store for a profile, as `awstray add` and
// the tray's "Add profile…" collect it.
type NewKey struct {
	Profile     string
	AccessKeyID string
	Secret      Secret
	// Created is when the key was made (zero: unknown).
	Created time.Time
	// MFASerial and Region go into the profile's section when AddKey adds
	// one; "" leaves them out. An existing section is never changed.
	MFASerial, Region string
}

// CheckKeyProfile refuses a profile that cannot take a stored key: a name
// the config file cannot hold, or a profile cfg has of another kind than
// an IAM user (a role, SSO or credential_process profile gets its
// credentials elsewhere, and a key stored for it would never be used). A
// profile cfg does not have yet passes: AddKey adds it.
func CheckKeyProfile(cfg *awsconfig.Config, profile string) error {
	if err := awsconfig.CheckProfileName(profile); err != nil {
		return err
	}
	if p, err := cfg.Profile(profile); err == nil && p.Kind() != awsconfig.KindUser {
		return fmt.Errorf("profile %q is a %s profile; only IAM user profiles have a stored key", profile, p.Kind())
	}
	return nil
}

// ConfigNotChangedError means AddKey stored the key but could not add the
// profile's section to the config file.
type ConfigNotChangedError struct {
	Path string
	Err  error
}

func (e *ConfigNotChangedError) Error() string {
	return fmt.Sprintf("the key is stored, but adding the profile to %s failed: %v", e.Path, e.Err)
}

func (e *ConfigNotChangedError) Unwrap() error { return e.Err }

// AddKey stores k as the long-term key of an IAM user profile and adds
// the profile's section to cfg's file when it has none. It checks the
// profile (CheckKeyProfile) and the key (ValidateKey) before anything is
// written; added reports whether a section was added. An error after the
// key was stored is a *ConfigNotChangedError.
func AddKey(s *keystore.Store, cfg *awsconfig.Config, k NewKey) (added bool, err error) {
	if err := CheckKeyProfile(cfg, k.Profile); err != nil {
		return false, err
	}
	if err := ValidateKey(k.AccessKeyID, k.Secret); err != nil {
		return false, err
	}
	if err := SaveKeyCreated(s, k.Profile, k.AccessKeyID, k.Secret, k.Created); err != nil {
		return false, err
	}
	var keys [][2]string
	if k.Region != "" {
		keys = append(keys, [2]string{"region", k.Region})
	}
	if k.MFASerial != "" {
		keys = append(keys, [2]string{"mfa_serial", k.MFASerial})
	}
	added, err = awsconfig.AppendProfile(cfg.Path, k.Profile, keys)
	if err != nil {
		return false, &ConfigNotChangedError{Path: cfg.Path, Err: err}
	}
	return added, nil
}
