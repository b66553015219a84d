package credentials

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testfake"
)

// The trust guarantees of the Manager (issue 7): each test here failed on
// the code before its fix.

// hookedSTS runs hook before each call of the fake STS; the hook may block
// (a slow AWS) or fail the call (an outage).
type hookedSTS struct {
	inner STSAPI
	hook  func(ctx context.Context, op string) error
}

func (h *hookedSTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, o ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if err := h.hook(ctx, "GetSessionToken"); err != nil {
		return nil, err
	}
	return h.inner.GetSessionToken(ctx, in, o...)
}

func (h *hookedSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, o ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	role := aws.ToString(in.RoleArn)
	if err := h.hook(ctx, "AssumeRole "+role[strings.LastIndex(role, "/")+1:]); err != nil {
		return nil, err
	}
	return h.inner.AssumeRole(ctx, in, o...)
}

// hookSTS puts hook in front of the harness's fake STS.
func (mh *mgrHarness) hookSTS(hook func(ctx context.Context, op string) error) {
	mh.m.c.NewSTS = func(region, endpoint string, creds Credentials) STSAPI {
		return &hookedSTS{inner: mh.sts.factory(region, endpoint, creds), hook: hook}
	}
}

// gate blocks the first call whose op is op until release is closed, and
// closes entered when that call arrives.
type gate struct {
	op       string
	once     sync.Once
	entered  chan struct{}
	released chan struct{}
}

func newGate(op string) *gate {
	return &gate{op: op, entered: make(chan struct{}), released: make(chan struct{})}
}

func (g *gate) hook(ctx context.Context, op string) error {
	if op != g.op {
		return nil
	}
	first := false
	g.once.Do(func() { first = true })
	if !first {
		return nil
	}
	close(g.entered)
	select {
	case <-g.released:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newFaultMgr is newMgr on a keyring that fails when the test says so.
func newFaultMgr(t *testing.T, config string) (*mgrHarness, *testfake.FaultKeyring) {
	t.Helper()
	fk := testfake.NewFaultKeyring(nil)
	store := keystore.NewWith("fault", fk, 0)
	mh := newMgr(t, config)
	mh.store, mh.r.Store, mh.m.c.Store = store, store, store
	for _, p := range []string{"user", "plain", "self"} {
		if err := SaveKey(store, p, "AKIA"+strings.ToUpper(p)+"KEY000000000", NewSecret("secret-of-"+p+"-0123456789")); err != nil {
			t.Fatal(err)
		}
	}
	return mh, fk
}

// cachedKeys lists the session, role and sign-in items in the keyring.
func cachedKeys(t *testing.T, s *keystore.Store) []string {
	t.Helper()
	keys, err := s.List()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if k.Kind != keystore.KindKey {
			out = append(out, k.String())
		}
	}
	return out
}

func wantCached(t *testing.T, s *keystore.Store, want ...string) {
	t.Helper()
	got := cachedKeys(t, s)
	slices.Sort(want)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("cached items:\n got: %q\nwant: %q", got, want)
	}
}

func wantLocked(t *testing.T, mh *mgrHarness, name string) {
	t.Helper()
	var le *LockedError
	if c, err := mh.m.Credentials(context.Background(), name, false); !errors.As(err, &le) {
		t.Fatalf("locked profile %s served: %v, %v", name, c.AccessKeyID, err)
	}
	for _, p := range mh.m.Snapshot().Profiles {
		if p.Name == name && p.Held() {
			t.Fatalf("profile %s is %s, want locked", name, p.State)
		}
	}
}

// waitParked waits until n goroutines are blocked in a frame containing
// frame (such as "(*Manager).Credentials("): the event a concurrent test
// needs before it goes on, without a sleep that hopes for it.
func waitParked(t *testing.T, frame string, n int) {
	t.Helper()
	if err := awaitParked(frame, n, 20*time.Second); err != nil {
		t.Fatal(err)
	}
}

func awaitParked(frame string, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1<<20)
	for {
		k := runtime.Stack(buf, true)
		if k == len(buf) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		count := 0
		for _, g := range strings.Split(string(buf[:k]), "\n\n") {
			header, _, _ := strings.Cut(g, "\n")
			if strings.Contains(g, frame) && !strings.Contains(header, "[running]") && !strings.Contains(header, "[runnable]") {
				count++
			}
		}
		if count >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d goroutines blocked in %s, want %d:\n%s", count, frame, n, buf[:k])
		}
		time.Sleep(time.Millisecond)
	}
}

// Item 1: Lock drops every cached session of the chain that no other held
// profile needs.
func TestManagerLockDropsTheWholeChain(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	if err := mh.m.Lock("r2"); err != nil {
		t.Fatal(err)
	}
	wantCached(t, mh.store)
	wantLocked(t, mh, "r2")
	// Unlocking again needs the person again: nothing of the chain stayed.
	if err := mh.m.Unlock(ctx, "r2"); err != nil {
		t.Fatal(err)
	}
	if len(mh.prompts) != 2 {
		t.Fatalf("asked %d times for a code, want 2 (the lock kept r1's role or the base session)", len(mh.prompts))
	}

	// Another held profile keeps what it needs, and only that: "long" is
	// assumed straight from the key, so the base session goes.
	if err := mh.m.Unlock(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	if err := mh.m.Lock("r2"); err != nil {
		t.Fatal(err)
	}
	wantCached(t, mh.store, "v1/role/long")
	// r1 held: Lock(r2) keeps r1's role and the base session.
	for _, p := range []string{"r1", "r2"} {
		if err := mh.m.Unlock(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := mh.m.Lock("r2"); err != nil {
		t.Fatal(err)
	}
	wantCached(t, mh.store, "v1/role/long", "v1/role/r1", "v1/session/user")
	if _, err := StoredAccessKeyID(mh.store, "user"); err != nil {
		t.Fatalf("Lock removed the key: %v", err)
	}
}

// Item 1, IAM Identity Center: the sign-in goes with the last held profile
// of its session, locally (no portal logout).
func TestManagerLockDropsTheSignInLocally(t *testing.T) {
	mh := newMgr(t, ssoConfig)
	idc := newFakeIdC(func() time.Time { return mh.clock })
	mh.m.c.NewSSOOIDC = func(string, string) SSOOIDCAPI { return idc }
	mh.m.c.NewSSO = func(string, string) SSOAPI { return idc }
	mh.m.c.SSOLogin = func(context.Context, DeviceAuth) error { return nil }
	ctx := context.Background()
	for _, p := range []string{"deploy", "prod"} {
		if err := mh.m.Unlock(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	wantCached(t, mh.store, "v1/role/deploy", "v1/role/dev", "v1/role/prod", "v1/sso-token/session:corp")
	if err := mh.m.Lock("deploy"); err != nil {
		t.Fatal(err)
	}
	wantCached(t, mh.store, "v1/role/prod", "v1/sso-token/session:corp")
	if err := mh.m.Lock("prod"); err != nil {
		t.Fatal(err)
	}
	wantCached(t, mh.store)
	for _, c := range idc.take() {
		if strings.HasPrefix(c, "Logout") {
			t.Fatalf("Lock signed out at the portal: %q", c)
		}
	}
}

// Item 2: a renewal in flight when Lock is clicked neither brings the
// profile back nor leaves its sessions in the keyring.
func TestManagerLockSticksDuringRenewal(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	g := newGate("AssumeRole r1")
	mh.hookSTS(g.hook)
	mh.clock = mh.clock.Add(56 * time.Minute)
	checked := make(chan struct{})
	go func() { mh.m.Check(ctx); close(checked) }()
	<-g.entered
	if err := mh.m.Lock("r1"); err != nil {
		t.Fatal(err)
	}
	close(g.released)
	<-checked
	wantLocked(t, mh, "r1")
	wantCached(t, mh.store)
}

// Item 2: an unlock waiting for its MFA code when Lock (or Lock all) is
// clicked ends locked, with nothing cached.
func TestManagerLockSticksDuringUnlock(t *testing.T) {
	for _, lockAll := range []bool{false, true} {
		t.Run(fmt.Sprintf("lockAll=%v", lockAll), func(t *testing.T) {
			mh := newMgr(t, "")
			asked := make(chan struct{})
			release := make(chan struct{})
			mh.m.c.Prompt = func(ctx context.Context, _, _, _ string) (string, error) {
				close(asked)
				select {
				case <-release:
				case <-ctx.Done():
				}
				return "123456", nil // typed in even if the dialog was meant to close
			}
			done := make(chan error, 1)
			go func() { done <- mh.m.Unlock(context.Background(), "r1") }()
			<-asked
			var err error
			if lockAll {
				err = mh.m.LockAll()
			} else {
				err = mh.m.Lock("r1")
			}
			if err != nil {
				t.Fatal(err)
			}
			close(release)
			if err := <-done; err == nil {
				t.Fatal("Unlock reported success for a profile locked meanwhile")
			}
			wantLocked(t, mh, "r1")
			wantCached(t, mh.store)
		})
	}
}

// Item 2: a renewal in flight when a config reload removes the profile.
func TestManagerConfigRemovalSticksDuringRenewal(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "long"); err != nil {
		t.Fatal(err)
	}
	g := newGate("AssumeRole long")
	mh.hookSTS(g.hook)
	mh.clock = mh.clock.Add(4*time.Hour - 4*time.Minute)
	mh.m.c.Prompt = func(context.Context, string, string, string) (string, error) { return "654321", nil }
	got := make(chan error, 1)
	go func() { _, err := mh.m.Credentials(ctx, "long", true); got <- err }()
	<-g.entered
	cfg := mustParse(t, strings.Replace(chainConfig, "[profile long]", "[profile longer]", 1))
	mh.m.SetConfig(cfg, nil)
	close(g.released)
	if err := <-got; err == nil {
		t.Fatal("a renewal of a removed profile was served")
	}
	mh.m.Check(ctx) // drops what the reload left to drop
	wantLocked(t, mh, "long")
	wantCached(t, mh.store)
}

// Item 3: a publish between Subscribe registering its channel and sending
// the first snapshot must not block Subscribe for ever.
func TestManagerSubscribeRacingAPublish(t *testing.T) {
	mh := newMgr(t, "")
	mh.m.hookSubscribed = func() { mh.m.SetConfig(nil, errors.New("config:1: broken")) }
	done := make(chan struct{})
	var ch <-chan Snapshot
	go func() {
		var stop func()
		ch, stop = mh.m.Subscribe()
		defer stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Subscribe blocked: a publish filled its channel first")
	}
	if s := <-ch; s.ConfigErr == "" {
		t.Fatalf("the channel holds a stale snapshot: %+v", s)
	}
}

// Item 4: a failed cache write after a successful STS call keeps the new
// credentials (the MFA code is not burnt) and says so.
func TestCacheWriteFailureKeepsTheCredentials(t *testing.T) {
	for _, landed := range []bool{false, true} {
		t.Run(fmt.Sprintf("landed=%v", landed), func(t *testing.T) {
			mh, fk := newFaultMgr(t, "")
			fail := func(op, key string) error {
				if op == "set" && testfake.KeyHas(key, "session") {
					return errors.New("the keyring is locked")
				}
				return nil
			}
			if landed {
				fk.SetHooks(nil, fail)
			} else {
				fk.SetHooks(fail, nil)
			}
			c, err := mh.r.Retrieve(context.Background(), Request{Profile: "r1"})
			if err != nil {
				t.Fatalf("Retrieve: %v", err)
			}
			if !strings.HasPrefix(c.AccessKeyID, "ASIATEMP") || mh.codes != 1 {
				t.Fatalf("got %q with %d codes", c.AccessKeyID, mh.codes)
			}
			eq(t, mh.sts.take(),
				"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
				"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600")
		})
	}
}

// Item 4 in the tray: the credentials are held and served; the failed
// write is the profile's error line.
func TestManagerCacheWriteFailureServes(t *testing.T) {
	mh, fk := newFaultMgr(t, "")
	fk.SetHooks(func(op, key string) error {
		if op == "set" && testfake.KeyHas(key, "role") {
			return errors.New("the keyring is locked")
		}
		return nil
	}, nil)
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	st := mh.status(t, "r1")
	if st.State != StateActive || !strings.Contains(st.Err, `caching the role session of profile "r1"`) {
		t.Fatalf("after unlock: %+v", st)
	}
	if _, err := mh.m.Credentials(ctx, "r1", false); err != nil {
		t.Fatal(err)
	}
	if len(mh.prompts) != 1 {
		t.Fatalf("asked %d times for a code", len(mh.prompts))
	}
}

// Item 4 for IAM Identity Center: a sign-in (or a rotated refresh token)
// the keyring does not take is used, not thrown away.
func TestManagerSSOTokenWriteFailureServes(t *testing.T) {
	mh, fk := newFaultMgr(t, ssoConfig)
	idc := newFakeIdC(func() time.Time { return mh.clock })
	mh.m.c.NewSSOOIDC = func(string, string) SSOOIDCAPI { return idc }
	mh.m.c.NewSSO = func(string, string) SSOAPI { return idc }
	logins := 0
	mh.m.c.SSOLogin = func(context.Context, DeviceAuth) error { logins++; return nil }
	fk.SetHooks(func(op, key string) error {
		if op == "set" && testfake.KeyHas(key, "sso-token") {
			return errors.New("the keyring is locked")
		}
		return nil
	}, nil)
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "dev"); err != nil {
		t.Fatalf("Unlock: %v", err)
	}
	st := mh.status(t, "dev")
	if st.State != StateActive || !strings.Contains(st.Err, "caching the IAM Identity Center sign-in") || logins != 1 {
		t.Fatalf("after unlock: %+v, %d sign-ins", st, logins)
	}
	if _, err := mh.m.Credentials(ctx, "dev", false); err != nil {
		t.Fatal(err)
	}
}

// Item 5: an interactive request that arrives while a silent renewal runs
// is not answered "MFA required" by it.
func TestManagerInteractiveNotAnsweredBySilentRenewal(t *testing.T) {
	mh, fk := newFaultMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.clock = mh.clock.Add(9 * time.Hour) // the base session is gone: renewing needs a code
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	fk.SetHooks(func(op, key string) error {
		if op == "get" && testfake.KeyHas(key, "session") {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}, nil)
	checked := make(chan struct{})
	go func() { mh.m.Check(ctx); close(checked) }() // the silent renewal, stuck reading the keyring
	<-entered
	got := make(chan error, 1)
	go func() { _, err := mh.m.Credentials(ctx, "r1", true); got <- err }()
	waitParked(t, "(*Manager).Credentials(", 1)
	close(release)
	<-checked
	if err := <-got; err != nil {
		t.Fatalf("interactive request: %v", err)
	}
	if len(mh.prompts) != 2 {
		t.Fatalf("asked %d times for a code, want 2", len(mh.prompts))
	}
}

// Item 5: one caller hanging up (an SDK gives up after 2 s) does not tear
// down the dialog the person is answering for another caller.
func TestManagerCallerHangingUpKeepsTheDialog(t *testing.T) {
	mh := newMgr(t, "")
	ctx := context.Background()
	if err := mh.m.Unlock(ctx, "r1"); err != nil {
		t.Fatal(err)
	}
	mh.clock = mh.clock.Add(9 * time.Hour)
	asked, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	mh.m.c.Prompt = func(ctx context.Context, _, _, _ string) (string, error) {
		once.Do(func() { close(asked) })
		select {
		case <-release:
			return "777777", nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	sdkCtx, hangUp := context.WithCancel(ctx)
	sdk := make(chan error, 1)
	go func() { _, err := mh.m.Credentials(sdkCtx, "r1", true); sdk <- err }()
	<-asked
	person := make(chan error, 1)
	go func() { _, err := mh.m.Credentials(ctx, "r1", true); person <- err }()
	waitParked(t, "(*Manager).Credentials(", 2)
	hangUp()
	if err := <-sdk; !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller that hung up got %v", err)
	}
	close(release)
	if err := <-person; err != nil {
		t.Fatalf("the caller still waiting got %v", err)
	}
	if st := mh.status(t, "r1"); st.State != StateActive {
		t.Fatalf("state %s", st.State)
	}
}

func mustParse(t *testing.T, config string) *awsconfig.Config {
	t.Helper()
	cfg, err := awsconfig.Parse("config", []byte(config))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
