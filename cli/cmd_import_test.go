package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"
)

// fakeTerminal answers every prompt with answer and records the prompts.
type fakeTerminal struct {
	answer  string
	prompts *[]string
}

func (f fakeTerminal) ReadSecret(p string) (string, error) {
	*f.prompts = append(*f.prompts, p)
	return f.answer, nil
}
func (f fakeTerminal) ReadLine(p string) (string, error) { return f.ReadSecret(p) }
func (f fakeTerminal) Close() error                      { return nil }

// TestImportAWSVault runs `import aws-vault` on an aws-vault file keyring
// made with 99designs/keyring and aws-vault's settings: a long-term key and
// a cached session, of which only the key comes over.
func TestImportAWSVault(t *testing.T) {
	env := baseEnv(t, "[profile dev]\nregion = us-east-1\n")
	vaultDir := filepath.Join(env["HOME"], ".awsvault", "keys")
	kr, err := keyring.Open(keyring.Config{
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		ServiceName:      "aws-vault",
		FileDir:          vaultDir,
		FilePasswordFunc: func(string) (string, error) { return "vault pw", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	const workID, workSecret = "AKIAWORKWORKWORK0001", "workSecretworkSecretworkSecretworkSecret"
	for key, v := range map[string]any{
		"work":                                   map[string]any{"AccessKeyID": workID, "SecretAccessKey": workSecret, "SessionToken": "", "Source": "", "CanExpire": false, "Expires": time.Time{}},
		"sts.GetSessionToken,d29yaw,,4102444800": map[string]any{"AccessKeyId": "ASIASESSIONSESSION01", "SecretAccessKey": "s", "SessionToken": "t"},
	} {
		b, _ := json.Marshal(v)
		if err := kr.Set(keyring.Item{Key: key, Data: b, Label: "aws-vault (" + key + ")"}); err != nil {
			t.Fatal(err)
		}
	}
	env["AWS_VAULT_BACKEND"] = "file"

	// No passphrase and no terminal: a clear error, nothing imported.
	code, _, stderr := run(t, env, "", "import", "aws-vault")
	if code == 0 || stderr != "awstray: reading the passphrase of aws-vault's file keyring in "+vaultDir+": no terminal to ask on; set AWS_VAULT_FILE_PASSPHRASE or run in a terminal\n" {
		t.Fatalf("without a passphrase: %d %q", code, stderr)
	}

	// The passphrase from the terminal.
	var prompts []string
	var out, errb bytes.Buffer
	app := &App{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
		Now:     time.Now,
		TTY:     func() (Terminal, error) { return fakeTerminal{"vault pw", &prompts}, nil },
	}
	if code := Main(app, []string{"import", "aws-vault"}); code != 0 {
		t.Fatalf("import: %s", errb.String())
	}
	if len(prompts) != 1 || !strings.Contains(prompts[0], "aws-vault") {
		t.Errorf("prompts: %q", prompts)
	}
	want := regexp.MustCompile(`^imported key \*{16}0001 for profile work from aws-vault's file keyring in ` + regexp.QuoteMeta(vaultDir) + ` into the file keyring
added \[profile work\] to .*/config
$`)
	if !want.MatchString(errb.String()) {
		t.Fatalf("stderr:\n%s", errb.String())
	}
	if strings.Contains(errb.String(), workSecret) || strings.Contains(out.String(), workSecret) {
		t.Fatal("a secret was printed")
	}
	if code, stdout, stderr := run(t, env, "", "export", "work", "--no-session"); code != 0 || !strings.Contains(stdout, workSecret) {
		t.Fatalf("export of the imported key: %s", stderr)
	}

	// Again, with the passphrase in the environment: skipped.
	env["AWS_VAULT_FILE_PASSPHRASE"] = "vault pw"
	code, _, stderr = run(t, env, "", "import", "aws-vault", "work")
	if code != 0 || stderr != "skipped profile work: awstray already holds this key\n" {
		t.Fatalf("second import: %d %q", code, stderr)
	}
	// A profile aws-vault does not have: an error before anything is read.
	code, _, stderr = run(t, env, "", "import", "aws-vault", "work", "prod")
	if code == 0 || stderr != `awstray: profile "prod" not found in aws-vault's file keyring in `+vaultDir+"\n" {
		t.Fatalf("missing profile: %d %q", code, stderr)
	}
	// aws-vault's store still holds both items.
	keys, err := kr.Keys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("aws-vault's keys: %v, %v", keys, err)
	}
	if _, err := os.Stat(filepath.Join(env["HOME"], "credentials")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a credentials file appeared")
	}
}
