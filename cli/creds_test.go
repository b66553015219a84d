package cli

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// TestCacheWriteFailureWarns: STS answers but the keyring refuses to cache
// the session. The command still gets the fresh credentials (an MFA code is
// not burnt for nothing) and the person reads one warning line.
func TestCacheWriteFailureWarns(t *testing.T) {
	moto := testenv.StartMoto(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile dev]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "AWS_ENDPOINT_URL": moto.URL, "AWSTRAY_NO_AGENT": "1", "HOME": dir}
	fk := testfake.NewFaultKeyring(nil)
	st := keystore.NewWith("memory", fk, 0)
	if err := credentials.SaveKey(st, "dev", goodID, credentials.NewSecret(goodSecret)); err != nil {
		t.Fatal(err)
	}
	fk.SetHooks(func(op, key string) error {
		if op == "set" && testfake.KeyHas(key, "session") {
			return errors.New("the disk is full")
		}
		return nil
	}, nil)
	var stderr strings.Builder
	app := &App{Stderr: &stderr, Getenv: func(k string) string { return env[k] }, store: st}
	r, err := app.resolve(credsInput{profile: "dev"})
	if err != nil {
		t.Fatalf("resolve with a failing cache: %v", err)
	}
	if r.creds.AccessKeyID == "" || r.creds.SessionToken.IsZero() {
		t.Fatalf("no session credentials: %+v", r.creds)
	}
	got := stderr.String()
	if strings.Count(got, "\n") != 1 || !strings.HasPrefix(got, "awstray: warning: ") || !strings.Contains(got, "the disk is full") {
		t.Fatalf("stderr = %q, want one warning line naming the failure", got)
	}
	if strings.Contains(got, r.creds.SecretAccessKey.Reveal()) || strings.Contains(got, r.creds.SessionToken.Reveal()) {
		t.Fatal("the warning holds a secret")
	}
}
