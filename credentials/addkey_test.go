package credentials

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

func TestAddKey(t *testing.T) {
	const existing = "[profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = dev\n\n[profile dev]\nregion = eu-west-1\n"
	key := NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		k         NewKey
		wantErr   string
		wantAdded bool
		wantTail  string // what the config file ends with afterwards
	}{
		{name: "a new profile gets a section with its settings",
			k:         NewKey{Profile: "newbie", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: key, Created: created, Region: "us-east-1", MFASerial: "arn:aws:iam::123456789012:mfa/newbie"},
			wantAdded: true, wantTail: "[profile newbie]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/newbie\n"},
		{name: "an existing IAM user profile keeps its section",
			k:        NewKey{Profile: "dev", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: key, Created: created, Region: "us-east-1"},
			wantTail: existing},
		{name: "a role profile takes no key",
			k:       NewKey{Profile: "admin", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: key},
			wantErr: `profile "admin" is a role profile; only IAM user profiles have a stored key`, wantTail: existing},
		{name: "a name the file cannot hold",
			k:       NewKey{Profile: "a b", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: key},
			wantErr: "whitespace", wantTail: existing},
		{name: "a temporary key",
			k:       NewKey{Profile: "newbie", AccessKeyID: "ASIAIOSFODNN7EXAMPLE", Secret: key},
			wantErr: "temporary", wantTail: existing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			if err := os.WriteFile(path, []byte(existing), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg, err := awsconfig.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			s := keystore.NewMemory()
			added, err := AddKey(s, cfg, tc.k)
			b, _ := os.ReadFile(path)
			if !strings.HasSuffix(string(b), tc.wantTail) {
				t.Errorf("config:\n%s\nwant it to end with:\n%s", b, tc.wantTail)
			}
			id, at, kerr := StoredKeyCreated(s, tc.k.Profile)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("AddKey = %v, want an error with %q", err, tc.wantErr)
				}
				if !errors.Is(kerr, ErrNoKey) {
					t.Fatalf("a refused key was stored: %v", kerr)
				}
				return
			}
			if err != nil || added != tc.wantAdded {
				t.Fatalf("AddKey = %v, %v; want %v", added, err, tc.wantAdded)
			}
			if kerr != nil || id != tc.k.AccessKeyID || !at.Equal(created) {
				t.Fatalf("stored %s created %s (%v)", id, at, kerr)
			}
		})
	}
}

func TestAddKeyConfigNotChanged(t *testing.T) {
	dir := t.TempDir()
	// A folder where the file should be: the key is stored, the file is not.
	path := filepath.Join(dir, "config")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	s := keystore.NewMemory()
	_, err := AddKey(s, &awsconfig.Config{Path: path}, NewKey{Profile: "dev", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", Secret: NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")})
	var nc *ConfigNotChangedError
	if !errors.As(err, &nc) || nc.Path != path {
		t.Fatalf("AddKey = %v, want a *ConfigNotChangedError", err)
	}
	if !strings.HasPrefix(err.Error(), "the key is stored, but adding the profile to "+path+" failed: ") {
		t.Errorf("message %q", err)
	}
	if id, _ := StoredAccessKeyID(s, "dev"); id != "AKIAIOSFODNN7EXAMPLE" {
		t.Fatalf("stored %q", id)
	}
}
