package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/keystore"
)

const prevID, prevSecret = "AKIAPREVIOUSKEY00042", "previousSecretpreviousSecretpreviousSe"

// keepAside stores, in env's file keyring, the item an unfinished rotate of
// profile leaves: the previous key and the key IDs IAM held then.
func keepAside(t *testing.T, env map[string]string, profile, data string) {
	t.Helper()
	st, err := keystore.Open(keystore.Options{
		Backend:        keystore.BackendFile,
		FileDir:        env["AWSTRAY_FILE_DIR"],
		FilePassphrase: func() (string, error) { return env["AWSTRAY_FILE_PASSPHRASE"], nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Set(keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile}, []byte(data), ""); err != nil {
		t.Fatal(err)
	}
}

func backupOf(id, secret string) string {
	b, _ := json.Marshal(map[string]any{"v": 1, "a": id, "s": secret, "iam": []string{id}})
	return string(b)
}

// runTTY runs the CLI with a terminal that answers every prompt with
// answer; it returns the exit code, stderr and the prompts shown.
func runTTY(t *testing.T, env map[string]string, answer string, args ...string) (int, string, []string) {
	t.Helper()
	var out, errb bytes.Buffer
	var prompts []string
	app := &App{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
		Now:     time.Now,
		TTY:     func() (Terminal, error) { return fakeTerminal{answer, &prompts}, nil },
	}
	return Main(app, args), errb.String(), prompts
}

// TestListUnfinishedRotation: list tells a profile whose rotate did not
// finish, in a note on stderr (the table is unchanged) and in --json.
func TestListUnfinishedRotation(t *testing.T) {
	env := baseEnv(t, "[profile dev]\nregion = us-east-1\n\n[profile other]\nregion = us-east-1\n")
	keepAside(t, env, "dev", backupOf(prevID, prevSecret))

	code, stdout, stderr := run(t, env, "", "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, stderr)
	}
	if want := "PROFILE  KIND      REGION     KEY      SESSION\ndev      iam-user  us-east-1  stored   -\nother    iam-user  us-east-1  missing  -\n"; stdout != want {
		t.Errorf("list printed:\n%s\nwant:\n%s", stdout, want)
	}
	if want := "note: a rotate of dev did not finish and keeps the previous key aside: run awstray rotate dev to finish it\n"; stderr != want {
		t.Errorf("list said on stderr %q, want %q", stderr, want)
	}

	code, stdout, stderr = run(t, env, "", "list", "--json")
	if code != 0 || stderr != "" {
		t.Fatalf("list --json: %d %q", code, stderr)
	}
	var entries []map[string]any
	if err := json.Unmarshal([]byte(stdout), &entries); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if got, want := e["unfinished_rotation"], e["name"] == "dev"; got != want {
			t.Errorf("%v: unfinished_rotation = %v, want %v", e["name"], got, want)
		}
	}
}

// TestRemoveSaysItRemovesTheKeptKey: remove deletes the key an unfinished
// rotate kept aside too, and its question and its report say so — also
// when only that key is left.
func TestRemoveSaysItRemovesTheKeptKey(t *testing.T) {
	t.Run("stored key only", func(t *testing.T) {
		env := baseEnv(t, "[profile dev]\n")
		code, stderr, prompts := runTTY(t, env, "n", "remove", "dev")
		if code == 0 || strings.Join(prompts, "|") != "Delete the key ****************MPLE of profile dev and its sessions? [y/N] " {
			t.Errorf("remove: %d %q, prompts %q", code, stderr, prompts)
		}
	})
	t.Run("stored key and the key kept aside", func(t *testing.T) {
		env := baseEnv(t, "[profile dev]\n")
		keepAside(t, env, "dev", backupOf(prevID, prevSecret))
		code, stderr, prompts := runTTY(t, env, "n", "remove", "dev")
		if code == 0 || strings.Join(prompts, "|") != "Delete the key ****************MPLE of profile dev, the previous key ****************0042 that an unfinished rotate kept aside, and its sessions? [y/N] " {
			t.Errorf("remove: %d %q, prompts %q", code, stderr, prompts)
		}
		code, stderr, _ = runTTY(t, env, "", "remove", "-f", "dev")
		if code != 0 || stderr != "removed the key ****************MPLE of profile dev and the previous key ****************0042 that an unfinished rotate kept aside\n" {
			t.Errorf("remove -f: %d %q", code, stderr)
		}
		wantGone(t, env, "dev")
	})
	t.Run("only the key kept aside", func(t *testing.T) {
		env := baseEnv(t, "[profile dev]\n")
		keepAside(t, env, "gone", backupOf(prevID, prevSecret))
		code, stderr, prompts := runTTY(t, env, "y", "remove", "gone")
		if code != 0 || strings.Join(prompts, "|") != "Delete the previous key ****************0042 of profile gone that an unfinished rotate kept aside and its sessions? [y/N] " ||
			stderr != "removed the previous key ****************0042 of profile gone that an unfinished rotate kept aside\n" {
			t.Errorf("remove: %d %q, prompts %q", code, stderr, prompts)
		}
		wantGone(t, env, "gone")
	})
	t.Run("an unreadable key kept aside", func(t *testing.T) {
		env := baseEnv(t, "[profile dev]\n")
		keepAside(t, env, "dev", "{torn")
		code, stderr, _ := runTTY(t, env, "", "remove", "-f", "dev")
		if code != 0 || stderr != "removed the key ****************MPLE of profile dev and the unreadable previous key that an unfinished rotate kept aside\n" {
			t.Errorf("remove -f: %d %q", code, stderr)
		}
		wantGone(t, env, "dev")
	})
}

// wantGone checks that the keyring holds nothing of profile any more.
func wantGone(t *testing.T, env map[string]string, profile string) {
	t.Helper()
	st, err := keystore.Open(keystore.Options{
		Backend:        keystore.BackendFile,
		FileDir:        env["AWSTRAY_FILE_DIR"],
		FilePassphrase: func() (string, error) { return env["AWSTRAY_FILE_PASSPHRASE"], nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Profile == profile {
			t.Errorf("%s is still in the keyring", k)
		}
	}
	if _, err := st.Get(keystore.Key{Kind: keystore.KindKeyBackup, Profile: profile}); !errors.Is(err, keystore.ErrNotFound) {
		t.Errorf("the key kept aside: %v", err)
	}
}
