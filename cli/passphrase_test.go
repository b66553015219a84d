package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// scriptedTTY answers ReadSecret with the next answer and records the
// prompts; ReadLine reads the same answers.
type scriptedTTY struct {
	answers []string
	prompts *[]string
}

func (s *scriptedTTY) ReadSecret(prompt string) (string, error) {
	*s.prompts = append(*s.prompts, prompt)
	if len(s.answers) == 0 {
		return "", errors.New("no more answers")
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	return a, nil
}
func (s *scriptedTTY) ReadLine(prompt string) (string, error) { return s.ReadSecret(prompt) }
func (s *scriptedTTY) Close() error                           { return nil }

// TestNewFileKeyringAsksTwice: the first key stored in a file keyring that
// does not exist yet asks for its passphrase twice; two different answers
// store nothing and say so in one line; a keyring that exists is asked
// for once.
func TestNewFileKeyringAsksTwice(t *testing.T) {
	dir := t.TempDir()
	keyring := filepath.Join(dir, "keyring")
	env := map[string]string{
		"HOME": dir, "AWS_CONFIG_FILE": filepath.Join(dir, "config"), "XDG_CONFIG_HOME": filepath.Join(dir, "xdg"),
		"AWSTRAY_BACKEND": "file", "AWSTRAY_FILE_DIR": keyring, "AWSTRAY_NO_AGENT": "1",
	}
	if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte("[profile dev]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addWith := func(answers ...string) (int, string, []string) {
		var prompts []string
		var out, errb bytes.Buffer
		app := &App{
			Stdin: strings.NewReader(goodID + "\n" + goodSecret + "\n"), Stdout: &out, Stderr: &errb,
			Getenv: func(k string) string { return env[k] }, Environ: func() []string { return nil }, Now: time.Now,
			TTY: func() (Terminal, error) { return &scriptedTTY{answers: answers, prompts: &prompts}, nil },
		}
		return Main(app, []string{"add", "dev"}), errb.String(), prompts
	}

	code, stderr, prompts := addWith("correct horse", "correct hrose")
	if code == 0 || strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, "the two passphrases differ; nothing was stored") {
		t.Fatalf("mismatch: exit %d, stderr %q", code, stderr)
	}
	if len(prompts) != 2 {
		t.Fatalf("prompts %q, want the passphrase and its repetition", prompts)
	}
	if entries, _ := os.ReadDir(keyring); len(entries) != 0 {
		t.Fatalf("a mismatch wrote %d entries to the keyring folder", len(entries))
	}

	if code, stderr, prompts := addWith("correct horse", "correct horse"); code != 0 || len(prompts) != 2 {
		t.Fatalf("match: exit %d, prompts %q, stderr %q", code, prompts, stderr)
	}
	// The keyring exists now: one prompt, and the wrong passphrase is
	// refused by the canary, not taken as a new one.
	if code, _, prompts := addWith("correct horse"); code != 0 || len(prompts) != 1 {
		t.Fatalf("existing keyring: exit %d, prompts %q", code, prompts)
	}
	if code, stderr, prompts := addWith("wrong", "wrong"); code == 0 || len(prompts) != 1 || !strings.Contains(stderr, "wrong passphrase") {
		t.Fatalf("existing keyring, wrong passphrase: exit %d, prompts %q, stderr %q", code, prompts, stderr)
	}
}
