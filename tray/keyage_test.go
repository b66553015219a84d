package tray

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

func TestKeyAgeInTheMenu(t *testing.T) {
	created := now.Add(-97*24*time.Hour - time.Hour)
	user := credentials.ProfileStatus{Name: "dev", Kind: awsconfig.KindUser}
	role := credentials.ProfileStatus{Name: "admin", Kind: awsconfig.KindRole}
	for _, c := range []struct {
		name         string
		p            credentials.ProfileStatus
		key          KeyInfo
		age, rotate  string // "" when hidden
		ageTip       string
		rotateActive bool
	}{
		{"97 days, past key_max_age", user, KeyInfo{Stored: true, Created: created}, "key 97 days old", "Rotate key…", "older than key_max_age (90 days)", true},
		{"one day", user, KeyInfo{Stored: true, Created: now.Add(-25 * time.Hour)}, "key 1 day old", "Rotate key…", "", true},
		{"age unknown: rotate still offered", user, KeyInfo{Stored: true}, "", "Rotate key…", "", true},
		{"rotating", user, KeyInfo{Stored: true, Created: created, Rotating: true}, "key 97 days old", "Rotating key…", "", false},
		{"no stored key", user, KeyInfo{}, "", "", "", false},
		{"a role has no key of its own", role, KeyInfo{Stored: true, Created: created}, "", "", "", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := BuildMenu(snap(c.p), UI{Now: now, Keys: map[string]KeyInfo{c.p.Name: c.key}, KeyMaxAge: 90 * 24 * time.Hour})
			age, rotate := mustFind(t, m, "p/"+c.p.Name+"/keyage"), mustFind(t, m, "p/"+c.p.Name+"/rotate")
			if got := shown(age); got != c.age || (!age.Hidden && !age.Disabled) {
				t.Errorf("age item %q (disabled %v), want %q", got, age.Disabled, c.age)
			}
			if !strings.Contains(age.Tooltip, c.ageTip) {
				t.Errorf("age tooltip %q, want %q in it", age.Tooltip, c.ageTip)
			}
			if got := shown(rotate); got != c.rotate || (!rotate.Hidden && rotate.Disabled == c.rotateActive) {
				t.Errorf("rotate item %q (disabled %v), want %q", got, rotate.Disabled, c.rotate)
			}
			if c.rotateActive && rotate.Intent != (Intent{Kind: IntentRotateKey, Profile: c.p.Name}) {
				t.Errorf("rotate intent %+v", rotate.Intent)
			}
		})
	}
	t.Run("the shape does not change when a key's age is learnt", func(t *testing.T) {
		before := BuildMenu(snap(user), UI{Now: now})
		after := BuildMenu(snap(user), UI{Now: now, Keys: map[string]KeyInfo{"dev": {Stored: true, Created: created}}})
		if Shape(before.Items) != Shape(after.Items) {
			t.Fatalf("shape changed:\n%s\n%s", Shape(before.Items), Shape(after.Items))
		}
	})
}

func shown(it Item) string {
	if it.Hidden {
		return ""
	}
	return it.Title
}

const userConfig = `[profile dev]
region = us-east-1
`

// clock is an injected clock tests move.
type clock struct {
	mu sync.Mutex // protects t
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// startKeyApp runs an App on userConfig whose key dev was created at
// created, with its state in dir, until the test ends or stop is called.
func startKeyApp(t *testing.T, dir string, store *keystore.Store, clk *clock, f *fakes) (a *App, stop func()) {
	t.Helper()
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(userConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	m := credentials.NewManager(credentials.ManagerConfig{Config: cfg, Store: store})
	a = NewApp(Options{
		Manager: m, Store: store, ConfigPath: cfgPath,
		SettingsPath: filepath.Join(dir, "settings.toml"), StatePath: filepath.Join(dir, "state.json"),
		Getenv: func(string) string { return "" }, Now: clk.now, PollEvery: time.Hour,
		Deps: f.deps(),
	})
	ctx, cancel := context.WithCancel(context.Background())
	a.Render()
	stopped := make(chan struct{})
	go func() { a.Run(ctx); close(stopped) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-stopped }) }
	t.Cleanup(stop)
	return a, stop
}

func waitTitle(t *testing.T, a *App, id, want string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-a.Menus():
			if it, ok := find(m.Items, id); ok && !it.Hidden && it.Title == want {
				return
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s to show %q", id, want)
		}
	}
}

func keyNotes(f *fakes) []string {
	notes, _, _ := f.snapshot()
	var out []string
	for _, n := range notes {
		if strings.HasPrefix(n, "keyage/") {
			out = append(out, n)
		}
	}
	return out
}

// TestKeyAgeNotifiesOncePerCrossing drives an injected clock past
// key_max_age: one notification, none after a restart (the state file
// remembers), none while the clock runs on; a new key that crosses is told
// about again.
func TestKeyAgeNotifiesOncePerCrossing(t *testing.T) {
	dir := t.TempDir()
	store := keystore.NewMemory()
	created := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	if err := credentials.SaveKeyCreated(store, "dev", "AKIADEVKEY0000000000", credentials.NewSecret("secret-of-dev-0123456789"), created); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: created.Add(89 * 24 * time.Hour)}
	f := &fakes{}
	a, stop := startKeyApp(t, dir, store, clk, f)
	waitTitle(t, a, "p/dev/keyage", "key 89 days old")
	if n := keyNotes(f); len(n) != 0 {
		t.Fatalf("told before key_max_age: %q", n)
	}

	// The loop's own checks (a turned minute, a settings reload) run on
	// the loop; the test runs them there through the done channel.
	onLoop := func(fn func()) {
		ran := make(chan struct{})
		a.done <- func() { fn(); close(ran) }
		<-ran
	}
	clk.set(created.Add(90*24*time.Hour + time.Minute))
	onLoop(a.checkKeyAges)
	onLoop(a.checkKeyAges)
	clk.set(created.Add(97 * 24 * time.Hour))
	onLoop(a.checkKeyAges)
	n := keyNotes(f)
	if len(n) != 1 || n[0] != "keyage/dev|The AWS key of dev is 90 days old|It is older than key_max_age (90 days). Choose Rotate key… in the dev menu of awstray to replace it." {
		t.Fatalf("notifications: %q", n)
	}
	stop()

	// A restart reads the key again and does not say it again.
	f2 := &fakes{}
	a, stop = startKeyApp(t, dir, store, clk, f2)
	waitTitle(t, a, "p/dev/keyage", "key 97 days old")
	if n := keyNotes(f2); len(n) != 0 {
		t.Fatalf("told again after a restart: %q", n)
	}
	stop()

	// A new key (rotated elsewhere) that crosses too is told about.
	if err := credentials.SaveKeyCreated(store, "dev", "AKIADEVKEY0000000001", credentials.NewSecret("secret-of-dev-9876543210"), created.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	f3 := &fakes{}
	a, _ = startKeyApp(t, dir, store, clk, f3)
	waitTitle(t, a, "p/dev/keyage", "key 96 days old")
	if n := keyNotes(f3); len(n) != 1 || !strings.HasPrefix(n[0], "keyage/dev|The AWS key of dev is 96 days old|") {
		t.Fatalf("a new key past key_max_age: %q", n)
	}
}
