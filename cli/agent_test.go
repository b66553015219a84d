//go:build unix

package cli

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testfake"
	"github.com/awstray/awstray/settings"
)

// trayBackend is a tray's agent backend as one from before the
// federation_token op: no agent.Federator. It holds the profiles of
// states and records what it was asked.
type trayBackend struct {
	states map[string]string // profile → state; others are unknown
	failOn string            // Lock of this profile fails

	mu     sync.Mutex // protects asked and locked
	asked  []string
	locked []string
}

func (b *trayBackend) Credentials(_ context.Context, req agent.Request) (credentials.Credentials, error) {
	b.mu.Lock()
	b.asked = append(b.asked, req.Profile)
	b.mu.Unlock()
	return credentials.Credentials{}, &awsconfig.UnknownProfileError{Name: req.Profile}
}

func (b *trayBackend) Unlock(context.Context, string) error { return errors.New("not in this test") }

func (b *trayBackend) Lock(profile string) error {
	if profile == b.failOn {
		return errors.New("dropping a cached session of profile \"" + profile + "\": the keyring is locked")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.locked = append(b.locked, profile)
	return nil
}

func (b *trayBackend) Profiles() []agent.ProfileInfo {
	var out []agent.ProfileInfo
	for name, state := range b.states {
		out = append(out, agent.ProfileInfo{Name: name, State: state})
	}
	slices.SortFunc(out, func(a, b agent.ProfileInfo) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// serveTray serves b on a socket of its own until the test ends and
// returns the socket's path.
func serveTray(t *testing.T, b agent.Backend) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agent.sock")
	l, err := agent.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- agent.Serve(ctx, l, b, nil) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return path
}

// TestLoginOlderTray: a tray from before the federation_token op answers
// it as unknown; login of a guarded IAM user then works on its own, and
// with no terminal refuses before the keyring is read.
func TestLoginOlderTray(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile w1]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	b := &trayBackend{}
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "HOME": dir, "AWSTRAY_AGENT_SOCKET": serveTray(t, b)}
	fk := testfake.NewFaultKeyring(nil)
	var keyringOps []string
	fk.SetHooks(func(op, key string) error {
		keyringOps = append(keyringOps, op+" "+key)
		return nil
	}, nil)
	s := settings.Settings{GuardedProfiles: []string{"w1"}}
	app := &App{Getenv: func(k string) string { return env[k] }, store: keystore.NewWith("memory", fk, 0), settings: &s}
	err := runLogin(app, loginInput{credsInput: credsInput{profile: "w1"}, stdout: true})
	if err == nil || err.Error() != `profile "w1" is guarded: allowing it needs the tray or a terminal to confirm on` {
		t.Fatalf("login of a guarded user with an older tray and no terminal: %v", err)
	}
	if len(keyringOps) != 0 || len(b.asked) != 0 {
		t.Fatalf("the keyring saw %q and the tray was asked for %q", keyringOps, b.asked)
	}
}

// TestForgetInTray: clear and remove lock in the tray the profiles it
// holds among those they changed (all when none is named); no tray is no
// word, a failure one warning line.
func TestForgetInTray(t *testing.T) {
	b := &trayBackend{states: map[string]string{"dev": "active", "admin": "unlocking", "w1": "locked", "other": "needs MFA"}}
	path := serveTray(t, b)
	var stderr strings.Builder
	app := &App{Stderr: &stderr, Getenv: func(k string) string { return map[string]string{"AWSTRAY_AGENT_SOCKET": path}[k] }}
	check := func(name string, profiles, want []string, wantStderr string) {
		t.Helper()
		b.mu.Lock()
		b.locked = nil
		b.mu.Unlock()
		stderr.Reset()
		app.forgetInTray(profiles)
		b.mu.Lock()
		defer b.mu.Unlock()
		if !slices.Equal(b.locked, want) || stderr.String() != wantStderr {
			t.Errorf("%s: locked %q, said %q; want %q, %q", name, b.locked, stderr.String(), want, wantStderr)
		}
	}
	check("a chain", []string{"admin", "dev", "w1", "gone"}, []string{"admin", "dev"}, "")
	check("all", nil, []string{"admin", "dev", "other"}, "")
	b.failOn = "dev"
	check("a failing lock", []string{"dev"}, nil,
		`awstray: warning: could not tell the running tray to forget profile "dev" (lock it there): locking dev: dropping a cached session of profile "dev": the keyring is locked`+"\n")
	// One profile the tray cannot lock does not keep the others held.
	check("a failing lock among others", nil, []string{"admin", "other"},
		`awstray: warning: could not tell the running tray to forget its profiles (Lock all there): locking dev: dropping a cached session of profile "dev": the keyring is locked`+"\n")
	b.failOn = ""
	// AWSTRAY_NO_AGENT: the tray is not asked.
	app.Getenv = func(k string) string {
		return map[string]string{"AWSTRAY_AGENT_SOCKET": path, "AWSTRAY_NO_AGENT": "1"}[k]
	}
	check("AWSTRAY_NO_AGENT", nil, nil, "")
	app.Getenv = func(k string) string { return map[string]string{"AWSTRAY_AGENT_SOCKET": path}[k] }

	path = filepath.Join(t.TempDir(), "agent.sock") // nobody there
	check("no tray", nil, nil, "")
}

// TestRelativeAgentSocket: an AWSTRAY_AGENT_SOCKET the agent refuses is
// said, not taken as "no tray": getting credentials fails with it, and
// clear's word to the tray is a warning.
func TestRelativeAgentSocket(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config")
	if err := os.WriteFile(cfg, []byte("[profile dev]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_CONFIG_FILE": cfg, "HOME": dir, "AWSTRAY_AGENT_SOCKET": "run/agent.sock"}
	var stderr strings.Builder
	app := &App{Stderr: &stderr, Getenv: func(k string) string { return env[k] }, store: keystore.NewWith("memory", testfake.NewFaultKeyring(nil), 0)}
	const msg = "AWSTRAY_AGENT_SOCKET: the socket path must be absolute (or set AWSTRAY_NO_AGENT=1 to work without the tray)"
	if _, err := app.resolve(credsInput{profile: "dev"}); err == nil || err.Error() != msg {
		t.Fatalf("resolve: %v, want %q", err, msg)
	}
	if _, ok, err := app.federationFromAgent(context.Background(), "dev", 0); !ok || err == nil || err.Error() != msg {
		t.Fatalf("federationFromAgent: %v %v", ok, err)
	}
	if _, err := app.usageRecords(); err == nil || err.Error() != msg {
		t.Fatalf("usageRecords: %v, want %q (not the record file)", err, msg)
	}
	app.forgetInTray(nil)
	if want := "awstray: warning: could not tell the running tray to forget its profiles (Lock all there): " + msg + "\n"; stderr.String() != want {
		t.Fatalf("forgetInTray said %q, want %q", stderr.String(), want)
	}
	// Without the tray, as asked, the variable is not read.
	env["AWSTRAY_NO_AGENT"] = "1"
	if _, err := app.resolve(credsInput{profile: "dev"}); !errors.Is(err, credentials.ErrNoKey) {
		t.Fatalf("resolve with AWSTRAY_NO_AGENT: %v, want the no-key error", err)
	}
	if _, err := app.usageRecords(); err != nil {
		t.Fatalf("usageRecords with AWSTRAY_NO_AGENT: %v, want the record file's (none yet)", err)
	}
	stderr.Reset()
	if app.forgetInTray(nil); stderr.String() != "" {
		t.Fatalf("forgetInTray with AWSTRAY_NO_AGENT said %q", stderr.String())
	}
}
