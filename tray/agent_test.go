package tray

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// TestAgentServerFetchOfLockedProfile: the fetches of an `exec --server`
// endpoint never unlock (no dialog); a locked profile is told once however
// often they ask, and again after it was unlocked and locked once more —
// also when no fetch came in between. Other requests tell nothing.
func TestAgentServerFetchOfLockedProfile(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(processConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m := credentials.NewManager(credentials.ManagerConfig{Config: cfg, Store: keystore.NewMemory()})
	var (
		mu    sync.Mutex
		notes []string
	)
	notify := func(key, title, body string) {
		mu.Lock()
		notes = append(notes, key+"|"+title+"|"+body)
		mu.Unlock()
	}
	told := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(notes)
	}
	n := newLockedNotices(notify)
	b := agentBackend{m: m, locked: n}
	ctx := t.Context()
	// The snapshots reach seen in order, as the watching goroutine of
	// newAgentBackend hands them on.
	seen := func() { n.seen(m.Snapshot()) }
	seen()

	fetch := func(wantLocked bool) {
		t.Helper()
		// Interactive is ignored for a server fetch by the agent's
		// decoder; here the backend gets what the decoder lets through.
		c, err := b.Credentials(ctx, agent.Request{Op: agent.OpCredentials, Profile: "tool", Purpose: agent.PurposeServer})
		var le *credentials.LockedError
		switch {
		case wantLocked && !errors.As(err, &le):
			t.Fatalf("server fetch of a locked profile = %v, want a LockedError", err)
		case !wantLocked && (err != nil || c.AccessKeyID == ""):
			t.Fatalf("server fetch of an unlocked profile: %v", err)
		}
	}
	const note = "tool|tool is locked|Unlock it to let the programs in that terminal continue."

	for range 5 {
		fetch(true)
	}
	if got := told(); !slices.Equal(got, []string{note}) {
		t.Fatalf("after five fetches of a locked profile: %q, want one notice", got)
	}
	if st := m.Snapshot().Profiles[0]; st.Name != "tool" || st.Held() {
		t.Fatalf("a server fetch unlocked the profile: %+v", st)
	}
	// Requests that are not server fetches tell nothing.
	if _, err := b.Credentials(ctx, agent.Request{Op: agent.OpCredentials, Profile: "static"}); err == nil {
		t.Fatal("a non-interactive request unlocked a profile")
	}

	// Unlocked, fetched, locked: told again, once.
	if err := m.Unlock(ctx, "tool"); err != nil {
		t.Fatal(err)
	}
	seen()
	fetch(false)
	if err := m.Lock("tool"); err != nil {
		t.Fatal(err)
	}
	seen()
	fetch(true)
	fetch(true)
	if got := told(); len(got) != 2 {
		t.Fatalf("after a second lock: %q, want two notices", got)
	}

	// Unlocked and locked with no fetch in between: the snapshots tell.
	if err := m.Unlock(ctx, "tool"); err != nil {
		t.Fatal(err)
	}
	unlocked := m.Snapshot()
	n.seen(unlocked)
	if err := m.Lock("tool"); err != nil {
		t.Fatal(err)
	}
	seen()
	fetch(true)
	if got := told(); len(got) != 3 {
		t.Fatalf("after an unlock and a lock without fetches: %q, want three notices", got)
	}

	// A snapshot from before the lock, handled late, unlocks nothing.
	n.seen(unlocked)
	fetch(true)
	if got := told(); len(got) != 3 {
		t.Fatalf("a late snapshot counted as an unlock: %q", got)
	}
	if got := told(); got[0] != note || got[1] != note || got[2] != note {
		t.Errorf("notices: %q", got)
	}
}
