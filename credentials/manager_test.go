package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// mgrHarness is a Manager on the fake STS with a clock the test moves.
type mgrHarness struct {
	*harness
	m       *Manager
	mu      sync.Mutex
	events  []Event
	prompts []string // previousErr of each prompt
	answer  func(n int) (string, error)
}

func newMgr(t *testing.T, config string) *mgrHarness {
	t.Helper()
	h := newHarness(t)
	if config != "" {
		cfg, err := awsconfig.Parse("config", []byte(config))
		if err != nil {
			t.Fatal(err)
		}
		h.r.Config = cfg
	}
	mh := &mgrHarness{harness: h}
	mh.answer = func(n int) (string, error) { return fmt.Sprintf("%06d", n), nil }
	mh.m = NewManager(ManagerConfig{
		Config: h.r.Config,
		Store:  h.store,
		NewSTS: h.sts.factory,
		Now:    func() time.Time { return h.clock },
		Prompt: func(_ context.Context, profile, serial, prev string) (string, error) {
			mh.mu.Lock()
			mh.prompts = append(mh.prompts, prev)
			n := len(mh.prompts)
			mh.mu.Unlock()
			return mh.answer(n)
		},
		OnEvent: func(e Event) {
			mh.mu.Lock()
			mh.events = append(mh.events, e)
			mh.mu.Unlock()
		},
	})
	return mh
}

func (mh *mgrHarness) status(t *testing.T, name string) ProfileStatus {
	t.Helper()
	for _, p := range mh.m.Snapshot().Profiles {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no profile %s in the snapshot", name)
	return ProfileStatus{}
}

func (mh *mgrHarness) eventKinds() []string {
	mh.mu.Lock()
	defer mh.mu.Unlock()
	var out []string
	for _, e := range mh.events {
		out = append(out, fmt.Sprintf("%s:%s", []string{"expiring", "expired", "failing"}[e.Kind], e.Profile))
	}
	return out
}

func TestManagerRefreshesRolesSilently(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	eq(t, mh.sts.take(),
		"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
		"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
	if st := mh.status(t, "r1"); st.State != StateActive || !st.Expires.Equal(mh.clock.Add(time.Hour)) || !st.PersonNeededAt.Equal(mh.clock.Add(8*time.Hour)) {
		t.Fatalf("after unlock: %+v", st)
	}
	// Nothing to do 50 minutes in.
	mh.clock = mh.clock.Add(50 * time.Minute)
	mh.m.Check(ctx)
	eq(t, mh.sts.take())
	// Inside the 5-minute window: the role is renewed from the base
	// session, no code asked.
	mh.clock = mh.clock.Add(6 * time.Minute)
	mh.m.Check(ctx)
	eq(t, mh.sts.take(), "AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
	if len(mh.prompts) != 1 {
		t.Fatalf("asked %d times for a code, want 1", len(mh.prompts))
	}
	if st := mh.status(t, "r1"); !st.Expires.Equal(mh.clock.Add(time.Hour)) {
		t.Fatalf("renewed credentials expire at %s", st.Expires)
	}
}

func TestManagerNotifiesOnceBeforeAndAtExpiry(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "user"); err != nil {
		t.Fatal(err)
	}
	start := mh.clock
	for _, step := range []struct {
		at    time.Duration
		state State
		want  []string
	}{
		{7*time.Hour + 49*time.Minute, StateActive, nil},
		{7*time.Hour + 50*time.Minute, StateExpiring, []string{"expiring:user"}},
		{7*time.Hour + 55*time.Minute, StateExpiring, []string{"expiring:user"}},
		{8 * time.Hour, StateNeedsMFA, []string{"expiring:user", "expired:user"}},
		{9 * time.Hour, StateNeedsMFA, []string{"expiring:user", "expired:user"}},
	} {
		mh.clock = start.Add(step.at)
		mh.m.Check(ctx)
		mh.m.Check(ctx)
		if got := mh.eventKinds(); strings.Join(got, ",") != strings.Join(step.want, ",") {
			t.Fatalf("at +%s: events %v, want %v", step.at, got, step.want)
		}
		if st := mh.status(t, "user"); st.State != step.state {
			t.Fatalf("at +%s: state %s, want %s", step.at, st.State, step.state)
		}
	}
	// The renewal at expiry needed the person: no STS call without a code.
	calls := mh.sts.take()
	if len(calls) != 1 {
		t.Fatalf("STS calls: %q", calls)
	}
	// Unlocking again resets the cycle.
	if err := mh.m.Unlock(ctx, "user"); err != nil {
		t.Fatal(err)
	}
	if st := mh.status(t, "user"); st.State != StateActive {
		t.Fatalf("after a new unlock: %s", st.State)
	}
}

func TestManagerWallClockJump(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	// The laptop sleeps for 3 hours: the role expired meanwhile, the base
	// session did not. The next check renews at once.
	mh.clock = mh.clock.Add(3 * time.Hour)
	mh.m.Check(ctx)
	eq(t, mh.sts.take(), "AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
	if st := mh.status(t, "r1"); st.State != StateActive {
		t.Fatalf("state %s", st.State)
	}
	// Asleep overnight, past the base session: one "expired" event, not a
	// stale "expiring" first.
	mh.clock = mh.clock.Add(10 * time.Hour)
	mh.m.Check(ctx)
	if got := mh.eventKinds(); strings.Join(got, ",") != "expired:r1" {
		t.Fatalf("events %v, want only expired:r1", got)
	}
	if st := mh.status(t, "r1"); st.State != StateNeedsMFA {
		t.Fatalf("state %s, want needs MFA", st.State)
	}
}

func TestManagerSTSFailsThenRecovers(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	held, _ := mh.m.Credentials(ctx, "r1", false)
	mh.sts.fail = &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	mh.clock = mh.clock.Add(56 * time.Minute) // inside the window, still valid
	for i := 0; i < 3; i++ {
		mh.m.Check(ctx)
		mh.clock = mh.clock.Add(20 * time.Second) // past each backoff (≤ 9.6 s for the first three)
	}
	if n := len(mh.sts.take()); n != 3 {
		t.Fatalf("%d attempts, want 3 (one per check once the backoff passed)", n)
	}
	// The last good credentials keep serving until they expire.
	c, err := mh.m.Credentials(ctx, "r1", false)
	if err == nil && c.AccessKeyID != held.AccessKeyID {
		t.Fatalf("served other credentials while failing")
	}
	st := mh.status(t, "r1")
	if st.State != StateError || !strings.Contains(st.Err, "Throttling: Rate exceeded") {
		t.Fatalf("after 3 failures: %+v", st)
	}
	if got := mh.eventKinds(); strings.Join(got, ",") != "failing:r1" {
		t.Fatalf("events %v", got)
	}
	// A check inside the backoff makes no call.
	mh.sts.take()
	// STS comes back.
	mh.sts.fail = nil
	mh.clock = mh.clock.Add(time.Minute)
	mh.m.Check(ctx)
	if calls := mh.sts.take(); len(calls) != 1 {
		t.Fatalf("recovery calls: %q", calls)
	}
	if st := mh.status(t, "r1"); st.State != StateActive || st.Err != "" {
		t.Fatalf("after recovery: %+v", st)
	}
}

func TestManagerBackoffSkipsChecks(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	mh.sts.fail = errors.New("dial tcp: connection refused")
	mh.clock = mh.clock.Add(56 * time.Minute)
	mh.m.Check(ctx)
	mh.m.Check(ctx) // same instant: inside the backoff
	mh.clock = mh.clock.Add(time.Second)
	mh.m.Check(ctx) // 1 s later: the first backoff is at least 1.6 s
	if n := len(mh.sts.take()); n != 1 {
		t.Fatalf("%d attempts within the backoff, want 1", n)
	}
}

func TestManagerHundredRoles(t *testing.T) {
	var b strings.Builder
	b.WriteString("[profile base]\n")
	for i := 0; i < 100; i++ {
		fmt.Fprintf(&b, "[profile role%d]\nsource_profile = base\nrole_arn = arn:aws:iam::111111111111:role/r%d\n", i, i)
	}
	mh := newMgr(t, b.String())
	if err := SaveKey(mh.store, "base", "AKIABASEKEY000000000", NewSecret("secret-of-base-0123456789")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 100; i++ {
		if err := mh.m.Unlock(ctx, fmt.Sprintf("role%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(mh.sts.take()); n != 101 {
		t.Fatalf("unlocking: %d calls, want 1 session + 100 roles", n)
	}
	for cycle := 1; cycle <= 3; cycle++ {
		mh.clock = mh.clock.Add(56 * time.Minute)
		mh.m.Check(ctx)
		calls := mh.sts.take()
		per := map[string]int{}
		for _, c := range calls {
			per[strings.Fields(c)[1]]++
		}
		if len(calls) != 100 || len(per) != 100 {
			t.Fatalf("cycle %d: %d calls for %d roles, want one AssumeRole per role", cycle, len(calls), len(per))
		}
		mh.m.Check(ctx) // a second check in the same cycle makes none
		if n := len(mh.sts.take()); n != 0 {
			t.Fatalf("cycle %d: %d extra calls", cycle, n)
		}
	}
}

func TestManagerConcurrentRequestsOneCall(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	mh.clock = mh.clock.Add(57 * time.Minute)
	var wg sync.WaitGroup
	keys := make([]string, 50)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := mh.m.Credentials(ctx, "r1", false)
			if err != nil {
				t.Error(err)
			}
			keys[i] = c.AccessKeyID
		}(i)
	}
	wg.Wait()
	if n := len(mh.sts.take()); n != 1 {
		t.Fatalf("%d STS calls for 50 concurrent requests, want 1", n)
	}
	for _, k := range keys {
		if k != keys[0] {
			t.Fatalf("requests got different credentials: %s, %s", k, keys[0])
		}
	}
}

func TestManagerUnlockAsksAgainAfterAWrongCode(t *testing.T) {
	mh := newMgr(t, "")
	mh.sts.badCode = "000001"
	if err := mh.m.Unlock(context.Background(), "user"); err != nil {
		t.Fatal(err)
	}
	if len(mh.prompts) != 2 || mh.prompts[0] != "" || !strings.Contains(mh.prompts[1], "MultiFactorAuthentication failed") {
		t.Fatalf("prompts: %q", mh.prompts)
	}
	if st := mh.status(t, "user"); st.State != StateActive {
		t.Fatalf("state %s", st.State)
	}
}

func TestManagerUnlockCancelledLosesNothing(t *testing.T) {
	mh := newMgr(t, "")
	mh.answer = func(int) (string, error) { return "", ErrCancelled }
	if err := mh.m.Unlock(context.Background(), "r1"); !errors.Is(err, ErrCancelled) {
		t.Fatalf("got %v", err)
	}
	if st := mh.status(t, "r1"); st.State != StateLocked || st.Err != "" {
		t.Fatalf("after cancel: %+v", st)
	}
	eq(t, mh.sts.take())
	if _, err := StoredAccessKeyID(mh.store, "user"); err != nil {
		t.Fatal(err)
	}
}

func TestManagerLock(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	for _, p := range []string{"r1", "r2"} {
		if err := mh.m.Unlock(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := mh.m.Lock("r2"); err != nil {
		t.Fatal(err)
	}
	// r1 still holds the shared base session: only r2's role is dropped.
	keys, _ := mh.store.List()
	if got := fmt.Sprint(keys); strings.Contains(got, "v1/role/r2") || !strings.Contains(got, "v1/session/user") {
		t.Fatalf("after Lock(r2): %s", got)
	}
	if _, err := mh.m.Credentials(ctx, "r2", false); err == nil || err.Error() != `profile "r2" is locked` {
		t.Fatalf("locked profile served: %v", err)
	}
	if err := mh.m.Lock("r1"); err != nil {
		t.Fatal(err)
	}
	keys, _ = mh.store.List()
	if got := fmt.Sprint(keys); strings.Contains(got, "session") || strings.Contains(got, "role") {
		t.Fatalf("after locking the last user of the base session: %s", got)
	}
	if got := fmt.Sprint(keys); !strings.Contains(got, "v1/key/user") {
		t.Fatalf("Lock removed a key: %s", got)
	}
}

func TestManagerRestoreFromKeyring(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	// A new tray on the same keyring: r1 comes back without a prompt or an
	// STS call; "long" would need a new MFA code, so it stays locked.
	m2 := NewManager(ManagerConfig{Config: mh.r.Config, Store: mh.store, NewSTS: mh.sts.factory, Now: func() time.Time { return mh.clock }})
	m2.Restore(ctx, []string{"r1", "long"})
	eq(t, mh.sts.take())
	var held []string
	for _, p := range m2.Snapshot().Profiles {
		if p.Held() {
			held = append(held, p.Name)
		}
	}
	if strings.Join(held, ",") != "r1" {
		t.Fatalf("restored %v, want r1 only", held)
	}
}

func TestManagerSubscribeLatestWins(t *testing.T) {
	mh := newMgr(t, "")
	ch, stop := mh.m.Subscribe()
	defer stop()
	ctx := context.Background()
	for _, p := range []string{"user", "r1", "r2"} {
		if err := mh.m.Unlock(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	// Six publications happened; the channel holds only the newest.
	snap := <-ch
	n := 0
	for _, p := range snap.Profiles {
		if p.State == StateActive {
			n++
		}
	}
	if n != 3 {
		t.Fatalf("latest snapshot has %d active profiles, want 3", n)
	}
	select {
	case <-ch:
		t.Fatal("a stale snapshot was queued")
	default:
	}
}

func TestManagerConfigReload(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	mh.m.SetConfig(nil, errors.New("config:3: line has no \"=\" or \":\""))
	snap := mh.m.Snapshot()
	if snap.ConfigErr == "" || len(snap.Profiles) != 7 {
		t.Fatalf("a broken reload dropped the last good config: %+v", snap)
	}
	cfg, err := awsconfig.Parse("config", []byte(strings.Replace(chainConfig, "[profile r2]", "[profile r3]", 1)))
	if err != nil {
		t.Fatal(err)
	}
	mh.m.SetConfig(cfg, nil)
	snap = mh.m.Snapshot()
	for _, p := range snap.Profiles {
		if p.Name == "r2" {
			t.Fatal("a removed profile is still listed")
		}
		if p.Name == "r3" && p.Held() {
			t.Fatal("the new profile is held")
		}
	}
	if snap.ConfigErr != "" {
		t.Fatalf("error kept after a good reload: %s", snap.ConfigErr)
	}
}

func TestManagerRunStopsWithContext(t *testing.T) {
	mh := newMgr(t, "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mh.m.Run(ctx) }()
	mh.m.Kick()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop")
	}
}

var _ = keystore.ErrNotFound

func TestManagerQuietChecksPublishNothing(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	ch, stop := mh.m.Subscribe()
	defer stop()
	<-ch // the current state
	for i := 0; i < 5; i++ {
		mh.clock = mh.clock.Add(time.Minute)
		mh.m.Check(ctx)
	}
	select {
	case s := <-ch:
		t.Fatalf("checks that changed nothing published a snapshot: %+v", s.Profiles)
	default:
	}
	// A change (the role renewed) is published.
	mh.clock = mh.clock.Add(50 * time.Minute)
	mh.m.Check(ctx)
	select {
	case <-ch:
	default:
		t.Fatal("a renewal was not published")
	}
}

func TestManagerSSOSignInAndEndedPortalSession(t *testing.T) {
	mh := newMgr(t, ssoConfig)
	idc := newFakeIdC(func() time.Time { return mh.clock })
	var logins []string
	mh.m.c.NewSSOOIDC = func(string, string) SSOOIDCAPI { return idc }
	mh.m.c.NewSSO = func(string, string) SSOAPI { return idc }
	mh.m.c.SSOLogin = func(_ context.Context, a DeviceAuth) error {
		logins = append(logins, a.Profile+" "+a.UserCode)
		return nil
	}
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if st := mh.status(t, "dev"); st.State != StateActive || !st.PersonNeededAt.IsZero() || len(logins) != 1 {
		t.Fatalf("after the sign-in: %+v, sign-ins %v", st, logins)
	}
	// Within the token's life, and then with its refresh token: silent.
	for i := 0; i < 3; i++ {
		mh.clock = mh.clock.Add(58 * time.Minute)
		mh.m.Check(ctx)
	}
	if st := mh.status(t, "dev"); st.State != StateActive || len(logins) != 1 || len(mh.eventKinds()) != 0 {
		t.Fatalf("renewing: %+v, sign-ins %v, events %v", st, logins, mh.eventKinds())
	}
	// The portal session ends (the refresh token is refused): the person is
	// told once, and the next unlock signs in again.
	idc.refreshErr = &smithy.GenericAPIError{Code: "InvalidGrantException", Message: "expired"}
	mh.clock = mh.clock.Add(58 * time.Minute)
	mh.m.Check(ctx)
	mh.clock = mh.clock.Add(time.Minute)
	mh.m.Check(ctx)
	if got := mh.eventKinds(); fmt.Sprint(got) != "[expired:dev]" {
		t.Fatalf("events %v", got)
	}
	if st := mh.status(t, "dev"); st.State != StateNeedsMFA {
		t.Fatalf("state %v", st.State)
	}
	if err := mh.m.Unlock(ctx, "dev"); err != nil {
		t.Fatal(err)
	}
	if st := mh.status(t, "dev"); st.State != StateActive || len(logins) != 2 {
		t.Fatalf("after signing in again: %+v, sign-ins %v", st, logins)
	}
}

// TestManagerDialogDoesNotStopRenewals: while an unlock waits for the
// person (a dialog left open, a sign-in in the browser), the other
// profiles are still renewed.
func TestManagerDialogDoesNotStopRenewals(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.sts.take()
	release := make(chan struct{})
	asked := make(chan struct{})
	mh.answer = func(n int) (string, error) {
		close(asked)
		<-release
		return "424242", nil
	}
	mh.clock = mh.clock.Add(56 * time.Minute) // r1 inside its renewal window
	done := make(chan error)
	go func() { done <- mh.m.Unlock(ctx, "long") }()
	<-asked
	checked := make(chan struct{})
	go func() { mh.m.Check(ctx); close(checked) }()
	select {
	case <-checked:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("the renewal of r1 waited for the open dialog")
	}
	eq(t, mh.sts.take(), "AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	eq(t, mh.sts.take(), "AssumeRole long by AKIAUSERKEY000000000 mfa=424242 dur=14400")
}
