//go:build linux

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// TestAutoDetectedBackendIsKept (issue 10): with no backend configured,
// the first key stored in the keyring auto-detection found makes that
// keyring the settings' backend, and awstray says so once. When GNOME
// Keyring is then gone, `add` is an error naming secret-service — never a
// quiet move to the file keyring beside the keys.
func TestAutoDetectedBackendIsKept(t *testing.T) {
	ss := testenv.StartSecretServiceControl(t)
	s := newSandbox(t, "http://127.0.0.1:1") // no AWS call is made
	s.env = onSecretServiceBus(s.env, ss)    // the file keyring's folder and passphrase stay set: were it chosen, it would be used
	setPath := filepath.Join(s.home, ".config", "awstray", "settings.toml")

	_, stderr := s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	want := "awstray: using the secret-service keyring (found on the session bus); saved as backend in " + setPath + "\n" +
		"stored key ****************MPLE for profile dev in the secret-service keyring\n"
	if !strings.HasPrefix(stderr, want) {
		t.Fatalf("add said:\n%s\nwant it to start:\n%s", stderr, want)
	}
	if b, err := os.ReadFile(setPath); err != nil || string(b) != "backend = \"secret-service\"\n" {
		t.Fatalf("settings: %q, %v", b, err)
	}
	// Said once: the backend is configured now.
	if _, stderr := s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "ops"); strings.Contains(stderr, "using the") {
		t.Fatalf("said again:\n%s", stderr)
	}

	ss.StopKeyring()
	cmd := exec.Command(binary(t), "add", "late")
	cmd.Env, cmd.Dir = s.env, s.tmp
	cmd.Stdin = strings.NewReader(testKeyID + "\n" + testSecret + "\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("add with GNOME Keyring gone: %v\n%s", err, out.String())
	}
	line := out.String()
	if strings.Count(line, "\n") != 1 || !strings.HasPrefix(line, `awstray: keyring backend "secret-service" is not available: `) ||
		!strings.Contains(line, "(chosen by backend in "+setPath+"); start it, or choose another backend there") {
		t.Fatalf("add with GNOME Keyring gone said:\n%s", line)
	}
	if _, err := os.Stat(s.keyring); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file keyring was created: %v", err)
	}
	if b, _ := os.ReadFile(setPath); string(b) != "backend = \"secret-service\"\n" {
		t.Fatalf("settings changed: %q", b)
	}
}

// onSecretServiceBus is env with no backend chosen and the session bus of
// ss, where its GNOME Keyring runs.
func onSecretServiceBus(env []string, ss *testenv.SecretService) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "AWSTRAY_BACKEND=") && !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			out = append(out, kv)
		}
	}
	for _, kv := range ss.Env {
		if strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			out = append(out, kv)
		}
	}
	return out
}
