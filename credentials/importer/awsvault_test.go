package importer

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/godbus/dbus/v5"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
)

// awsVaultConfig is the keyring.Config aws-vault v7 opens (cli/global.go's
// keyringConfigDefaults with its flag defaults), written out here apart
// from the code under test so that a slip there shows.
func awsVaultConfig(backend keyring.BackendType) keyring.Config {
	return keyring.Config{
		AllowedBackends:          []keyring.BackendType{backend},
		ServiceName:              "aws-vault",
		LibSecretCollectionName:  "awsvault",
		KWalletAppID:             "aws-vault",
		KWalletFolder:            "aws-vault",
		KeychainTrustApplication: true,
		KeychainName:             "aws-vault",
		WinCredPrefix:            "aws-vault",
		FileDir:                  "~/.awsvault/keys/",
	}
}

// The long-term keys the tests put in aws-vault's store.
var (
	workID, workSecret = "AKIAWORKWORKWORK0001", "workSecretworkSecretworkSecretworkSecret"
	oldID, oldSecret   = "AKIAOLDOLDOLDOLD0002", "oldSecretoldSecretoldSecretoldSecret1234"
)

// fillAWSVault writes items as aws-vault does: two long-term keys (one in
// v7's aws.Credentials JSON, one in the aws-sdk-go v1 credentials.Value
// JSON of older versions), a temporary key someone stored, a cached
// GetSessionToken session, an old-style session and an SSO token.
func fillAWSVault(t *testing.T, kr keyring.Keyring) {
	t.Helper()
	set := func(key, label, desc string, v any) {
		t.Helper()
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := kr.Set(keyring.Item{Key: key, Label: label, Description: desc, Data: b, KeychainNotTrustApplication: desc == ""}); err != nil {
			t.Fatalf("writing %s: %v", key, err)
		}
	}
	set("work", "aws-vault (work)", "", aws.Credentials{AccessKeyID: workID, SecretAccessKey: workSecret})
	set("old", "aws-vault (old)", "", map[string]string{"AccessKeyID": oldID, "SecretAccessKey": oldSecret, "SessionToken": "", "ProviderName": "StaticProvider"})
	set("temp", "aws-vault (temp)", "", aws.Credentials{AccessKeyID: "ASIATEMPTEMPTEMP0003", SecretAccessKey: workSecret, SessionToken: "tok", CanExpire: true, Expires: time.Now().Add(time.Hour)})

	b64 := func(s string) string {
		return base64.URLEncoding.WithPadding(base64.NoPadding).EncodeToString([]byte(s))
	}
	exp := time.Now().Add(time.Hour)
	session := map[string]any{"AccessKeyId": "ASIASESSIONSESSION04", "SecretAccessKey": "sessionsecret", "SessionToken": "tok", "Expiration": exp}
	set(fmt.Sprintf("sts.GetSessionToken,%s,%s,%d", b64("work"), b64("arn:aws:iam::123456789012:mfa/me"), exp.Unix()),
		"aws-vault session for work", "aws-vault session", session)
	set("work session (1700000000)", "aws-vault session for work", "aws-vault session", session)
	set("oidc:https://example.awsapps.com/start", "aws-vault oidc token", "aws-vault oidc token",
		map[string]any{"Token": map[string]any{"AccessToken": "at"}, "Expiration": exp})
}

// contents is every item of kr: key, label and data.
func contents(t *testing.T, kr keyring.Keyring) string {
	t.Helper()
	keys, err := kr.Keys()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		it, err := kr.Get(k)
		if err != nil {
			t.Fatalf("reading %s: %v", k, err)
		}
		fmt.Fprintf(&b, "%s %q %q %x\n", k, it.Label, it.Description, it.Data)
	}
	return b.String()
}

// checkImport imports everything from av into st and checks that st holds
// exactly the two long-term keys and that aws-vault's store is unchanged.
func checkImport(t *testing.T, av *AWSVault, avKR keyring.Keyring, st *keystore.Store) {
	t.Helper()
	before := contents(t, avKR)

	keys, err := av.Keys(nil)
	if err != nil {
		t.Fatal(err)
	}
	results, err := Save(st, keys, false)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, fmt.Sprintf("%s imported=%v skip=%q", r.Profile, r.Imported, r.Skip))
	}
	want := []string{
		`old imported=true skip=""`,
		`temp imported=false skip="it holds temporary credentials; only long-term keys are imported"`,
		`work imported=true skip=""`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("results:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	stored, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range stored {
		names = append(names, k.String())
	}
	if !slices.Equal(names, []string{"v1/key/old", "v1/key/work"}) {
		t.Fatalf("awstray's keyring holds %v", names)
	}
	for _, k := range [][3]string{{"work", workID, workSecret}, {"old", oldID, oldSecret}} {
		id, secret, err := credentials.StoredKey(st, k[0])
		if err != nil || id != k[1] || secret.Reveal() != k[2] {
			t.Errorf("stored key of %s: %s, %v", k[0], id, err)
		}
	}
	if after := contents(t, avKR); after != before {
		t.Fatalf("aws-vault's store changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// Again: nothing to do.
	results, err = Save(st, keys, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if r.Imported {
			t.Errorf("second import wrote %s", r.Profile)
		}
	}
}

func newFileStore(t *testing.T) *keystore.Store {
	t.Helper()
	st, err := keystore.Open(keystore.Options{
		Backend:        keystore.BackendFile,
		FileDir:        filepath.Join(t.TempDir(), "awstray"),
		FilePassphrase: func() (string, error) { return "awstray pw", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAWSVaultFile(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".awsvault", "keys")
	cfg := awsVaultConfig(keyring.FileBackend)
	cfg.FileDir = dir
	cfg.FilePasswordFunc = func(string) (string, error) { return "vault pw", nil }
	kr, err := keyring.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	fillAWSVault(t, kr)
	files := testenv.DirSnapshot(t, dir)

	// aws-vault's default folder, found through HOME.
	opts := AWSVaultOptionsFromEnv(func(k string) string {
		return map[string]string{"AWS_VAULT_BACKEND": "file", "HOME": home, "AWS_VAULT_FILE_PASSPHRASE": "vault pw"}[k]
	})
	av, err := OpenAWSVault(opts)
	if err != nil {
		t.Fatal(err)
	}
	if got := av.String(); got != "aws-vault's file keyring in "+dir {
		t.Errorf("String() = %q", got)
	}
	checkImport(t, av, kr, newFileStore(t))
	if testenv.DirSnapshot(t, dir) != files {
		t.Fatal("aws-vault's files changed")
	}

	t.Run("named", func(t *testing.T) {
		keys, err := av.Keys([]string{"work", "temp"})
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0].Profile != "work" || keys[0].AccessKeyID != workID || keys[1].Skip == "" {
			t.Fatalf("keys: %v", got(keys))
		}
	})

	t.Run("named but missing", func(t *testing.T) {
		asked := false
		o := opts
		o.FilePassphrase = func() (string, error) { asked = true; return "vault pw", nil }
		av, err := OpenAWSVault(o)
		if err != nil {
			t.Fatal(err)
		}
		// A session item is not a profile.
		_, err = av.Keys([]string{"work", "nope", "work session (1700000000)"})
		want := `profiles "nope" and "work session (1700000000)" not found in aws-vault's file keyring in ` + dir
		if err == nil || err.Error() != want {
			t.Fatalf("error %v, want %q", err, want)
		}
		if asked {
			t.Error("the passphrase was asked for before the names were checked")
		}
	})

	t.Run("wrong passphrase", func(t *testing.T) {
		o := opts
		o.FilePassphrase = func() (string, error) { return "wrong", nil }
		av, err := OpenAWSVault(o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = av.Keys(nil)
		if err == nil || !strings.Contains(err.Error(), "(wrong passphrase?)") {
			t.Fatalf("error %v", err)
		}
	})

	t.Run("no passphrase", func(t *testing.T) {
		o := opts
		o.FilePassphrase = nil
		av, err := OpenAWSVault(o)
		if err != nil {
			t.Fatal(err)
		}
		_, err = av.Keys(nil)
		if err == nil || !strings.Contains(err.Error(), "needs a passphrase: set AWS_VAULT_FILE_PASSPHRASE") {
			t.Fatalf("error %v", err)
		}
	})

	t.Run("no store", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nothing")
		o := opts
		o.FileDir = missing
		if _, err := OpenAWSVault(o); err == nil || !strings.Contains(err.Error(), "no aws-vault file keyring in "+missing) {
			t.Fatalf("error %v", err)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatal("the folder was made")
		}
	})
	if testenv.DirSnapshot(t, dir) != files {
		t.Fatal("aws-vault's files changed")
	}
}

func TestAWSVaultSecretService(t *testing.T) {
	testenv.RequireSecretService(t)
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	createCollection(t, "awsvault")

	kr, err := keyring.Open(awsVaultConfig(keyring.SecretServiceBackend))
	if err != nil {
		t.Fatal(err)
	}
	fillAWSVault(t, kr)

	av, err := OpenAWSVault(AWSVaultOptionsFromEnv(func(k string) string {
		return map[string]string{"AWS_VAULT_BACKEND": "secret-service"}[k]
	}))
	if err != nil {
		t.Fatal(err)
	}
	st, err := keystore.Open(keystore.Options{Backend: keystore.BackendSecretService, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, p := range []string{"work", "old"} {
			_ = st.Remove(keystore.Key{Kind: keystore.KindKey, Profile: p})
		}
	})
	checkImport(t, av, kr, st)

	t.Run("default backend", func(t *testing.T) {
		// With a Secret Service on the bus, aws-vault uses it.
		av, err := OpenAWSVault(AWSVaultOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if av.Backend() != "secret-service" {
			t.Errorf("backend %q", av.Backend())
		}
	})
}

// createCollection makes a Secret Service collection without the
// "choose a password" prompt aws-vault's first run shows: through GNOME
// Keyring's interface for creating a collection with a given password.
func createCollection(t *testing.T, name string) {
	t.Helper()
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	var out dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session); err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	secret := struct {
		Session     dbus.ObjectPath
		Params      []byte
		Value       []byte
		ContentType string
	}{session, []byte{}, []byte("pw"), "text/plain"}
	props := map[string]dbus.Variant{"org.freedesktop.Secret.Collection.Label": dbus.MakeVariant(name)}
	var coll dbus.ObjectPath
	if err := svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.CreateWithMasterPassword", 0, props, secret).Store(&coll); err != nil {
		t.Fatalf("creating collection %s: %v", name, err)
	}
	// Gone at the end of the test, so that a second run makes it anew
	// under the same path.
	t.Cleanup(func() {
		conn, err := dbus.ConnectSessionBus()
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		var prompt dbus.ObjectPath
		if err := conn.Object("org.freedesktop.secrets", coll).Call("org.freedesktop.Secret.Collection.Delete", 0).Store(&prompt); err != nil {
			t.Errorf("deleting collection %s: %v", name, err)
		}
	})
	if want := dbus.ObjectPath("/org/freedesktop/secrets/collection/" + name); coll != want {
		t.Fatalf("collection %s, want %s", coll, want)
	}
}

func TestAWSVaultPass(t *testing.T) {
	var storeDir string
	for _, kv := range testenv.InitPass(t) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
		if k == "PASSWORD_STORE_DIR" {
			storeDir = v
		}
	}
	for _, prefix := range []string{"", "aws-vault"} {
		t.Run("prefix="+prefix, func(t *testing.T) {
			cfg := awsVaultConfig(keyring.PassBackend)
			cfg.PassDir, cfg.PassPrefix = storeDir, prefix
			kr, err := keyring.Open(cfg)
			if err != nil {
				t.Fatal(err)
			}
			fillAWSVault(t, kr)
			t.Cleanup(func() {
				keys, _ := kr.Keys()
				for _, k := range keys {
					_ = kr.Remove(k)
				}
			})
			av, err := OpenAWSVault(AWSVaultOptionsFromEnv(func(k string) string {
				return map[string]string{"AWS_VAULT_BACKEND": "pass", "AWS_VAULT_PASS_PASSWORD_STORE_DIR": storeDir, "AWS_VAULT_PASS_PREFIX": prefix}[k]
			}))
			if err != nil {
				t.Fatal(err)
			}
			checkImport(t, av, kr, newFileStore(t))
		})
	}
}

func TestAWSVaultKeyNames(t *testing.T) {
	cases := []struct {
		name    string
		session bool
	}{
		{"work", false},
		{"team/prod", false},
		{"a,b", false},
		{"sts.GetSessionToken,d29yaw,,1700000000", true},
		{"sts.AssumeRole,d29yaw,YXJu,1700000000", true},
		{"session,d29yaw,,1700000000", true},
		{"session:work:arn:1700000000", true},
		{"work session (1700000000)", true},
		{"work session (soon)", false},
	}
	for _, tc := range cases {
		if got := isAWSVaultSessionKey(tc.name); got != tc.session {
			t.Errorf("isAWSVaultSessionKey(%q) = %v", tc.name, got)
		}
	}
	if !isAWSVaultOIDCKey("oidc:https://x.awsapps.com/start") || isAWSVaultOIDCKey("work") {
		t.Error("isAWSVaultOIDCKey")
	}
}

func TestDecodeAWSVaultKey(t *testing.T) {
	cases := []struct {
		name, data string
		want       string
	}{
		{"v7", `{"AccessKeyID":"AKIA1","SecretAccessKey":"s","SessionToken":"","Source":"","CanExpire":false,"Expires":"0001-01-01T00:00:00Z"}`, "p|AKIA1|s|"},
		{"v5", `{"AccessKeyID":"AKIA1","SecretAccessKey":"s","SessionToken":"","ProviderName":""}`, "p|AKIA1|s|"},
		{"temporary", `{"AccessKeyID":"ASIA1","SecretAccessKey":"s","SessionToken":"t"}`, "p|||it holds temporary credentials; only long-term keys are imported"},
		{"expiring", `{"AccessKeyID":"AKIA1","SecretAccessKey":"s","CanExpire":true}`, "p|||it holds temporary credentials; only long-term keys are imported"},
		{"not JSON", `secret-looking text`, "p|||it is not an aws-vault access key"},
		{"other JSON", `{"Token":{}}`, "p|||it is not an aws-vault access key"},
	}
	for _, tc := range cases {
		if g := got([]Key{decodeAWSVaultKey("p", []byte(tc.data))}); g[0] != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, g[0], tc.want)
		}
	}
}
