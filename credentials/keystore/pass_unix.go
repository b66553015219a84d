//go:build !windows

package keystore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/99designs/keyring"
)

// quietPass runs pass for reads and writes itself, in the format the
// keyring package's pass backend uses (the Item as JSON, at
// <prefix>/<key>), because that backend hands gpg's own stderr to the
// process's: a CLI would print gpg's lines before its one-line error, and
// the error itself would be only "exit status 2". Keys and the existence
// checks stay the package's.
type quietPass struct {
	keyring.Keyring
	cmd, dir, prefix string
}

func newQuietPass(kr keyring.Keyring, cfg keyring.Config) keyring.Keyring {
	q := &quietPass{Keyring: kr, cmd: cfg.PassCmd, dir: cfg.PassDir, prefix: cfg.PassPrefix}
	if q.cmd == "" {
		q.cmd = "pass"
	}
	if d, err := expandTilde(q.dir); err == nil {
		q.dir = d
	}
	return q
}

func (q *quietPass) run(stdin []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(q.cmd, args...)
	if q.dir != "" {
		cmd.Env = append(os.Environ(), "PASSWORD_STORE_DIR="+q.dir)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, passError(args[0], stderr.String(), err)
	}
	return stdout.Bytes(), nil
}

func (q *quietPass) exists(key string) bool {
	_, err := os.Stat(filepath.Join(q.dir, q.prefix, key+".gpg"))
	return err == nil
}

func (q *quietPass) Get(key string) (keyring.Item, error) {
	if !q.exists(key) {
		return keyring.Item{}, keyring.ErrKeyNotFound
	}
	out, err := q.run(nil, "show", filepath.Join(q.prefix, key))
	if err != nil {
		return keyring.Item{}, err
	}
	var it keyring.Item
	if err := json.Unmarshal(out, &it); err != nil {
		return keyring.Item{}, errors.New("the item does not decode (not written by awstray?)")
	}
	return it, nil
}

func (q *quietPass) Set(it keyring.Item) error {
	b, err := json.Marshal(it)
	if err != nil {
		return err
	}
	_, err = q.run(b, "insert", "-m", "-f", filepath.Join(q.prefix, it.Key))
	return err
}

func (q *quietPass) Remove(key string) error {
	if !q.exists(key) {
		return keyring.ErrKeyNotFound
	}
	_, err := q.run(nil, "rm", "-f", filepath.Join(q.prefix, key))
	return err
}

// passError turns what pass and gpg said into one line that says what to
// do. gpg's messages name keys and files, never a secret.
func passError(verb, stderr string, err error) error {
	msg := lastLine(stderr)
	if strings.Contains(stderr, "No secret key") {
		return &KeyringError{Backend: BackendPass, Err: fmt.Errorf("pass %s: %s", verb, msg),
			Problem: "gpg has no secret key for the password store",
			Hint:    "import the GPG key its .gpg-id names (gpg --import) or insert its smartcard, then retry"}
	}
	if msg == "" {
		return fmt.Errorf("pass %s: %w", verb, err)
	}
	return fmt.Errorf("pass %s: %s: %w", verb, msg, err)
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
