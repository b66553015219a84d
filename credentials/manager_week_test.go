package credentials

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/aws-sdk-go-v2/service/ssooidc"
	oidctypes "github.com/aws/aws-sdk-go-v2/service/ssooidc/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// TestManagerWeek is a week of uptime (issue 10, item 4): 20 profiles held
// and renewed by Check every Tick of an injected clock, with the laptop
// suspended and resumed, the network lost and back, MFA base sessions
// ending, and the IAM Identity Center portal session ending. A simulated
// person re-unlocks whatever they were told has expired, a while later.
//
//	go test ./credentials -run 'TestManagerWeek$' -v [-weekseed=N]
var weekSeed = flag.Uint64("weekseed", 0, "TestManagerWeek: seed of the person's delays and the suspends (0: from the clock)")

const weekConfigText = `
[profile alice]
mfa_serial = arn:aws:iam::111111111111:mfa/alice
[profile a-r1]
source_profile = alice
role_arn = arn:aws:iam::111111111111:role/a-r1
[profile a-r2]
source_profile = alice
role_arn = arn:aws:iam::111111111111:role/a-r2
[profile a-r3]
source_profile = alice
role_arn = arn:aws:iam::222222222222:role/a-r3
external_id = ext
[profile a-r4]
source_profile = alice
role_arn = arn:aws:iam::222222222222:role/a-r4
[profile a-r5]
source_profile = alice
role_arn = arn:aws:iam::222222222222:role/a-r5
role_session_name = me
[profile a-chain]
source_profile = a-r1
role_arn = arn:aws:iam::333333333333:role/a-chain
[profile a-long]
source_profile = alice
role_arn = arn:aws:iam::111111111111:role/a-long
duration_seconds = 14400
[profile bob]
mfa_serial = arn:aws:iam::111111111111:mfa/bob
[profile b-r1]
source_profile = bob
role_arn = arn:aws:iam::111111111111:role/b-r1
[profile b-r2]
source_profile = bob
role_arn = arn:aws:iam::444444444444:role/b-r2
[profile b-r3]
source_profile = bob
role_arn = arn:aws:iam::444444444444:role/b-r3
[profile plain1]
[profile plain2]
[profile p-r1]
source_profile = plain1
role_arn = arn:aws:iam::111111111111:role/p-r1
[profile proc]
credential_process = cat %s
[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1
sso_registration_scopes = sso:account:access
[profile sso-dev]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Developer
[profile sso-prod]
sso_session = corp
sso_account_id = 222222222222
sso_role_name = ReadOnly
[profile sso-admin]
sso_session = corp
sso_account_id = 111111111111
sso_role_name = Admin
[profile sso-deploy]
source_profile = sso-dev
role_arn = arn:aws:iam::555555555555:role/deploy
`

// weekRoot is what renewing a profile silently depends on, and so when it
// stops being silent: an MFA base session, a role assumed with MFA, the
// portal session, or nothing the person gives.
func weekRoot(profile string) string {
	switch {
	case profile == "a-long":
		return "a-long"
	case strings.HasPrefix(profile, "a"):
		return "alice"
	case strings.HasPrefix(profile, "b"):
		return "bob"
	case strings.HasPrefix(profile, "sso"):
		return "sso"
	}
	return ""
}

// weekAWS is STS and IAM Identity Center for the week: it mints
// credentials that expire by the injected clock, fails as a lost network
// does while down, and refuses refresh tokens once the portal session has
// ended, until the person signs in again.
type weekAWS struct {
	*fakeIdC // the OIDC service and portal logic

	// mu protects everything below.
	mu       sync.Mutex
	now      func() time.Time
	down     bool
	ended    bool // the portal session is over: refresh tokens are refused
	endedAt  time.Time
	waited   time.Duration // how long the portal session was over, in all
	n        int
	calls    map[string]int       // successful calls per action
	deadline map[string]time.Time // root -> when the session made with the person's MFA code ends
}

var errNetDown = &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: network is unreachable")}

func (w *weekAWS) netErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.down {
		return fmt.Errorf("operation error: %w", errNetDown)
	}
	return nil
}

func (w *weekAWS) count(action string) {
	w.mu.Lock()
	w.calls[action]++
	w.mu.Unlock()
}

func (w *weekAWS) sts(_, _ string, creds Credentials) STSAPI {
	return &weekSTS{w: w, signer: creds.AccessKeyID}
}

type weekSTS struct {
	w      *weekAWS
	signer string
}

func (w *weekAWS) mint(prefix string, dur int32) *ststypes.Credentials {
	w.n++
	exp := w.now().Add(time.Duration(dur) * time.Second)
	return &ststypes.Credentials{
		AccessKeyId:     aws.String(fmt.Sprintf("%s%012d", prefix, w.n)),
		SecretAccessKey: aws.String(fmt.Sprintf("week-secret-%d", w.n)),
		SessionToken:    aws.String(fmt.Sprintf("week-token-%d", w.n)),
		Expiration:      &exp,
	}
}

func (s *weekSTS) GetSessionToken(_ context.Context, in *sts.GetSessionTokenInput, _ ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if err := s.w.netErr(); err != nil {
		return nil, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.calls["GetSessionToken"]++
	c := s.w.mint("ASIASESS", aws.ToInt32(in.DurationSeconds))
	if aws.ToString(in.TokenCode) != "" {
		// The key's name says whose it is: AKIAALICE…, AKIABOB….
		root := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(s.signer, "AKIA"), "KEY000000000"))
		s.w.deadline[root] = *c.Expiration
	}
	return &sts.GetSessionTokenOutput{Credentials: c}, nil
}

func (s *weekSTS) AssumeRole(_ context.Context, in *sts.AssumeRoleInput, _ ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if err := s.w.netErr(); err != nil {
		return nil, err
	}
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	s.w.calls["AssumeRole"]++
	c := s.w.mint("ASIAROLE", aws.ToInt32(in.DurationSeconds))
	if role := aws.ToString(in.RoleArn); aws.ToString(in.TokenCode) != "" {
		s.w.deadline[role[strings.LastIndex(role, "/")+1:]] = *c.Expiration
	}
	return &sts.AssumeRoleOutput{Credentials: c}, nil
}

func (w *weekAWS) RegisterClient(ctx context.Context, in *ssooidc.RegisterClientInput, o ...func(*ssooidc.Options)) (*ssooidc.RegisterClientOutput, error) {
	if err := w.netErr(); err != nil {
		return nil, err
	}
	return w.fakeIdC.RegisterClient(ctx, in, o...)
}

func (w *weekAWS) StartDeviceAuthorization(ctx context.Context, in *ssooidc.StartDeviceAuthorizationInput, o ...func(*ssooidc.Options)) (*ssooidc.StartDeviceAuthorizationOutput, error) {
	if err := w.netErr(); err != nil {
		return nil, err
	}
	return w.fakeIdC.StartDeviceAuthorization(ctx, in, o...)
}

func (w *weekAWS) CreateToken(ctx context.Context, in *ssooidc.CreateTokenInput, o ...func(*ssooidc.Options)) (*ssooidc.CreateTokenOutput, error) {
	if err := w.netErr(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	ended := w.ended
	w.mu.Unlock()
	refresh := aws.ToString(in.GrantType) == "refresh_token"
	if refresh && ended {
		w.count("CreateToken refresh refused")
		return nil, &oidctypes.InvalidGrantException{Error_: aws.String("invalid_grant")}
	}
	out, err := w.fakeIdC.CreateToken(ctx, in, o...)
	if err == nil {
		w.mu.Lock()
		if refresh {
			w.calls["CreateToken refresh"]++
		} else {
			w.calls["CreateToken sign-in"]++
			if w.ended { // a new portal session
				w.ended = false
				w.waited += w.now().Sub(w.endedAt)
			}
		}
		w.mu.Unlock()
	}
	return out, err
}

func (w *weekAWS) GetRoleCredentials(ctx context.Context, in *sso.GetRoleCredentialsInput, o ...func(*sso.Options)) (*sso.GetRoleCredentialsOutput, error) {
	if err := w.netErr(); err != nil {
		return nil, err
	}
	out, err := w.fakeIdC.GetRoleCredentials(ctx, in, o...)
	if err == nil {
		w.count("GetRoleCredentials")
	}
	return out, err
}

// weekEvent is something that happens at a moment of the week.
type weekEvent struct {
	at   time.Time
	kind string        // suspend, netdown, netup, portalend
	d    time.Duration // suspend: how long
}

// weekSession is what a profile was told during one session of the person
// (keyed by the deadline the events name) and one network outage.
type weekSession struct {
	at     time.Time // Event.At of the person's session
	outage int       // the outage the failing count is for
	told   [3]int    // per EventKind
}

type week struct {
	t      *testing.T
	rng    *rand.Rand
	m      *Manager
	aws    *weekAWS
	clock  time.Time
	window time.Duration

	// mu protects what OnEvent and the prompts record.
	mu       sync.Mutex
	sessions map[string]*weekSession
	perKind  [3]int
	storms   []string
	toldAt   map[string]time.Time // profile -> when it was told "expired", until the person acts
	outage   int
	codes    int
	signIns  int

	netUpSince time.Time
	actAt      time.Time // when the person next re-unlocks what expired
	procFile   string
	procExp    time.Time
	procN      int
	lastExp    map[string]time.Time
	renewals   int
	unlocks    int
	served     int
}

var weekKinds = [...]string{"expiring", "expired", "renewal failing"}

func (w *week) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.clock
}

func (w *week) onEvent(e Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.perKind[e.Kind]++
	s := w.sessions[e.Profile]
	if s == nil {
		s = &weekSession{}
		w.sessions[e.Profile] = s
	}
	if e.Kind == EventRefreshFailing {
		if s.outage != w.outage {
			s.outage, s.told[EventRefreshFailing] = w.outage, 0
		}
	} else if !e.At.Equal(s.at) {
		s.at, s.told[EventExpiring], s.told[EventExpired] = e.At, 0, 0
	}
	s.told[e.Kind]++
	if s.told[e.Kind] > 1 {
		w.storms = append(w.storms, fmt.Sprintf("%s: %q told %d times for one session (deadline %s, outage %d)",
			w.clock.Format(time.DateTime), weekKinds[e.Kind], s.told[e.Kind], e.At.Format(time.DateTime), s.outage))
	}
	if e.Kind == EventExpired {
		if _, ok := w.toldAt[e.Profile]; !ok {
			w.toldAt[e.Profile] = w.clock
		}
		if w.actAt.IsZero() {
			w.actAt = w.clock.Add(w.personDelay())
		}
	}
}

// personDelay is how long the person takes to notice and act: a couple of
// minutes to two hours.
func (w *week) personDelay() time.Duration {
	return time.Duration(2+w.rng.IntN(118)) * time.Minute
}

func (w *week) prompt(context.Context, string, string, string) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.codes++
	return fmt.Sprintf("%06d", w.codes%1000000), nil
}

func (w *week) ssoLogin(context.Context, DeviceAuth) error {
	w.mu.Lock()
	w.signIns++
	w.mu.Unlock()
	return nil // the person approves in the browser: the fake answers the first poll
}

// writeProc keeps the credential_process's answer ahead of the clock, as a
// helper that fetches fresh credentials would.
func (w *week) writeProc(now time.Time) {
	if w.procExp.Sub(now) > 10*time.Minute {
		return
	}
	w.procN++
	w.procExp = now.Add(time.Hour)
	body := fmt.Sprintf(`{"Version":1,"AccessKeyId":"ASIAPROC%012d","SecretAccessKey":"proc-secret-%d","SessionToken":"proc-token-%d","Expiration":%q}`,
		w.procN, w.procN, w.procN, w.procExp.UTC().Format(time.RFC3339))
	if err := os.WriteFile(w.procFile, []byte(body), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

func TestManagerWeek(t *testing.T) {
	seed := *weekSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	base := runtime.NumGoroutine()
	t.Logf("seed %d (replay: -run 'TestManagerWeek$' -weekseed=%d)", seed, seed)
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) // a Monday morning
	w := &week{t: t, rng: rand.New(rand.NewPCG(seed, 0x3eed)), clock: start, window: DefaultExpiryWindow,
		sessions: map[string]*weekSession{}, toldAt: map[string]time.Time{}, lastExp: map[string]time.Time{},
		procFile: filepath.Join(t.TempDir(), "proc.json"), netUpSince: start.Add(-time.Hour)}
	w.aws = &weekAWS{fakeIdC: newFakeIdC(w.now), now: w.now, calls: map[string]int{}, deadline: map[string]time.Time{}}
	w.writeProc(start)
	cfg, err := awsconfig.Parse("config", fmt.Appendf(nil, weekConfigText, w.procFile))
	if err != nil {
		t.Fatal(err)
	}
	store := keystore.NewMemory()
	for _, p := range []string{"alice", "bob", "plain1", "plain2"} {
		if err := SaveKey(store, p, "AKIA"+strings.ToUpper(p)+"KEY000000000", NewSecret("secret-of-"+p+"-0123456789")); err != nil {
			t.Fatal(err)
		}
	}
	w.m = NewManager(ManagerConfig{
		Config:     cfg,
		Store:      store,
		NewSTS:     w.aws.sts,
		NewSSOOIDC: func(string, string) SSOOIDCAPI { return w.aws },
		NewSSO:     func(string, string) SSOAPI { return w.aws },
		Now:        w.now,
		Prompt:     w.prompt,
		SSOLogin:   w.ssoLogin,
		OnEvent:    w.onEvent,
	})
	names := make([]string, 0, len(cfg.Profiles))
	for _, p := range cfg.Profiles {
		names = append(names, p.Name)
	}
	if len(names) != 20 {
		t.Fatalf("%d profiles, want 20", len(names))
	}
	ctx := context.Background()
	for _, n := range names {
		if err := w.m.Unlock(ctx, n); err != nil {
			t.Fatalf("unlocking %s: %v", n, err)
		}
	}

	plan := w.plan(start)
	for _, e := range plan {
		t.Logf("plan: %s %s %s", e.at.Format("Mon 15:04"), e.kind, e.d)
	}
	tick := w.m.c.Tick
	end := start.Add(7 * 24 * time.Hour)
	day1 := start.Add(24 * time.Hour)
	var g0, g1 int
	var h0, h1 uint64
	for now := start; now.Before(end); {
		next := now.Add(tick)
		resumed := false
		for len(plan) > 0 && !plan[0].at.After(next) {
			e := plan[0]
			plan = plan[1:]
			switch e.kind {
			case "suspend":
				next = e.at.Add(e.d)
				resumed = true
			case "netdown":
				w.aws.mu.Lock()
				w.aws.down = true
				w.aws.mu.Unlock()
				w.mu.Lock()
				w.outage++
				w.mu.Unlock()
			case "netup":
				w.aws.mu.Lock()
				w.aws.down = false
				w.aws.mu.Unlock()
				w.netUpSince = e.at
			case "portalend":
				w.aws.mu.Lock()
				w.aws.ended, w.aws.endedAt = true, e.at
				w.aws.mu.Unlock()
			}
		}
		now = next
		w.mu.Lock()
		w.clock = now
		w.mu.Unlock()
		w.writeProc(now)
		w.m.Check(ctx) // every Tick, and right after a resume as Run does
		w.person(ctx)
		w.checkRenewed(resumed)
		if now.Sub(start)%(30*time.Minute) < tick {
			w.serve(ctx, names)
		}
		if (g0 == 0 && !now.Before(day1)) || !now.Before(end) {
			// The first day is warm-up: what it allocated once (caches,
			// maps at their size) is not growth.
			g, h := w.measure(base)
			if g0 == 0 {
				g0, h0 = g, h
			} else {
				g1, h1 = g, h
			}
		}
		if t.Failed() {
			return
		}
	}
	w.mu.Lock()
	storms, perKind, signIns, codes := w.storms, w.perKind, w.signIns, w.codes
	w.mu.Unlock()
	w.aws.mu.Lock()
	calls := fmt.Sprint(w.aws.calls)
	refused, waited := w.aws.calls["CreateToken refresh refused"], w.aws.waited
	w.aws.mu.Unlock()
	t.Logf("goroutines: %d before the manager, %d after the first day, %d at the end", base, g0, g1)
	t.Logf("heap (HeapAlloc after GC): %d KiB after the first day, %d KiB at the end (%+.1f %%)", h0>>10, h1>>10, 100*(float64(h1)-float64(h0))/float64(h0))
	t.Logf("renewals seen by the checks: %d; unlocks by the person: %d (MFA codes %d, sign-ins %d); requests served: %d", w.renewals, w.unlocks, codes, signIns, w.served)
	t.Logf("AWS calls: %s", calls)
	t.Logf("notifications: expiring %d, expired %d, renewal failing %d", perKind[EventExpiring], perKind[EventExpired], perKind[EventRefreshFailing])
	if len(storms) > 0 {
		t.Errorf("notifications told more than once per session:\n%s", strings.Join(storms, "\n"))
	}
	if g1 != g0 {
		buf := make([]byte, 1<<20)
		t.Errorf("goroutines: %d after the first day, %d at the end:\n%s", g0, g1, buf[:runtime.Stack(buf, true)])
	}
	if d := float64(h1) - float64(h0); d > 0.1*float64(h0) || d < -0.1*float64(h0) {
		t.Errorf("heap grew from %d to %d bytes: more than ±10 %%", h0, h1)
	}
	// While the person has not signed in again, each SSO profile asks the
	// portal with its refused refresh token at most every 5 minutes
	// (and once more at each of its unlocks), not every Tick.
	if limit := 4 * (2 + int(waited/(5*time.Minute))) * 2; refused > limit {
		t.Errorf("the portal was asked %d times with a refused refresh token in %s of waiting for a sign-in, want at most %d", refused, waited, limit)
	}
	for i, n := range perKind {
		if n == 0 {
			t.Errorf("no %q notification in a week: the simulation missed a case", weekKinds[i])
		}
	}
	if w.renewals < 800 {
		t.Errorf("%d renewals in a week: too few for 15 profiles of 1-hour credentials through the waking hours", w.renewals)
	}
}

// plan lays out the week: a suspend every night and a few by day (12),
// four network outages of an hour, and two ends of the portal session.
func (w *week) plan(start time.Time) []weekEvent {
	var plan []weekEvent
	day := 24 * time.Hour
	for d := 0; d < 7; d++ { // nights: 8 to 10 h
		at := start.Add(time.Duration(d)*day + 9*time.Hour + time.Duration(w.rng.IntN(90))*time.Minute)
		plan = append(plan, weekEvent{at: at, kind: "suspend", d: 8*time.Hour + time.Duration(w.rng.IntN(121))*time.Minute})
	}
	for _, d := range []int{0, 1, 3, 4, 5} { // lunch, a meeting: 20 min to 2 h
		at := start.Add(time.Duration(d)*day + 2*time.Hour + time.Duration(w.rng.IntN(300))*time.Minute)
		plan = append(plan, weekEvent{at: at, kind: "suspend", d: 20*time.Minute + time.Duration(w.rng.IntN(101))*time.Minute})
	}
	for _, at := range []time.Duration{day + 2*time.Hour, 2*day + 6*time.Hour + 30*time.Minute, 4*day + time.Hour + 15*time.Minute, 5*day + 4*time.Hour} {
		plan = append(plan, weekEvent{at: start.Add(at), kind: "netdown"}, weekEvent{at: start.Add(at + time.Hour), kind: "netup"})
	}
	plan = append(plan, weekEvent{at: start.Add(2*day + 3*time.Hour), kind: "portalend"}, weekEvent{at: start.Add(5*day + 30*time.Minute), kind: "portalend"})
	slices.SortStableFunc(plan, func(a, b weekEvent) int { return a.at.Compare(b.at) })
	// A suspend swallows what was planned while the laptop slept; it
	// happens at the resume.
	for i := 0; i < len(plan); i++ {
		if plan[i].kind != "suspend" {
			continue
		}
		resume := plan[i].at.Add(plan[i].d)
		for j := i + 1; j < len(plan) && plan[j].at.Before(resume); j++ {
			plan[j].at = resume
		}
	}
	slices.SortStableFunc(plan, func(a, b weekEvent) int { return a.at.Compare(b.at) })
	return plan
}

// person re-unlocks, once their delay has passed, every profile they were
// told has expired; an unlock that fails (the network is down) is tried
// again after another delay.
func (w *week) person(ctx context.Context) {
	w.mu.Lock()
	if w.actAt.IsZero() || w.clock.Before(w.actAt) {
		w.mu.Unlock()
		return
	}
	var todo []string
	for p := range w.toldAt {
		todo = append(todo, p)
	}
	w.actAt = time.Time{}
	w.mu.Unlock()
	slices.Sort(todo)
	var failed []string
	for _, p := range todo {
		w.unlocks++
		if err := w.m.Unlock(ctx, p); err != nil {
			if !errors.Is(err, errNetDown) {
				w.t.Errorf("%s: unlocking %s: %v", w.now().Format(time.DateTime), p, err)
			}
			failed = append(failed, p)
		}
	}
	w.mu.Lock()
	for _, p := range todo {
		if !slices.Contains(failed, p) {
			delete(w.toldAt, p)
		}
	}
	if len(w.toldAt) > 0 && w.actAt.IsZero() {
		w.actAt = w.clock.Add(w.personDelay())
	}
	w.mu.Unlock()
}

// rootValid reports whether renewing the profile is silent at now: the
// session made with the person's MFA code (or the portal session) is good
// for longer than the expiry window.
func (w *week) rootValid(profile string, now time.Time) bool {
	root := weekRoot(profile)
	w.aws.mu.Lock()
	defer w.aws.mu.Unlock()
	switch root {
	case "":
		return true
	case "sso":
		return !w.aws.ended
	}
	return w.aws.deadline[root].Add(-w.window).After(now)
}

// checkRenewed counts the renewals the check made and checks that every
// renewal that was due was done: once the network has been back for longer
// than the longest backoff, every held profile whose renewal is silent
// holds credentials good for longer than the expiry window.
func (w *week) checkRenewed(resumed bool) {
	now := w.now()
	netOK := !w.aws.netDown() && now.Sub(w.netUpSince) > 7*time.Minute
	type seen struct {
		name    string
		expires time.Time
	}
	w.m.mu.Lock()
	var held []seen
	for name, h := range w.m.held {
		held = append(held, seen{name, h.creds.Expires})
	}
	w.m.mu.Unlock()
	for _, h := range held {
		if !h.expires.Equal(w.lastExp[h.name]) {
			w.renewals++
			w.lastExp[h.name] = h.expires
		}
		if netOK && w.rootValid(h.name, now) && !h.expires.Add(-w.window).After(now) {
			w.t.Errorf("%s: %s holds credentials that expire at %s though its renewal was due and silent (resumed=%v)",
				now.Format(time.DateTime), h.name, h.expires.Format(time.DateTime), resumed)
		}
	}
	if len(held) != 20 {
		w.t.Errorf("%s: %d profiles held, want 20", now.Format(time.DateTime), len(held))
	}
}

func (a *weekAWS) netDown() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.down
}

// serve asks for every profile's credentials as the agent would: never
// expired ones, and always some while renewing is silent and the network
// works.
func (w *week) serve(ctx context.Context, names []string) {
	now := w.now()
	netOK := !w.aws.netDown() && now.Sub(w.netUpSince) > 7*time.Minute
	for _, n := range names {
		c, err := w.m.Credentials(ctx, n, false)
		switch {
		case err == nil && !c.ValidAt(now, 0):
			w.t.Errorf("%s: %s served credentials that expired at %s", now.Format(time.DateTime), n, c.Expires.Format(time.DateTime))
		case err != nil && netOK && w.rootValid(n, now):
			w.t.Errorf("%s: %s not served though renewing is silent and the network works: %v", now.Format(time.DateTime), n, err)
		case err == nil:
			w.served++
		}
	}
	w.aws.fakeIdC.take() // its call log is for other tests; it would grow the heap
}

// measure waits until no renewal runs and the goroutines are back to base
// (a flight's goroutine ends just after it is counted done), or 10 s pass,
// then counts goroutines and the live heap.
func (w *week) measure(base int) (int, uint64) {
	w.m.flights.running.Wait()
	for deadline := time.Now().Add(10 * time.Second); runtime.NumGoroutine() > base && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	var ms runtime.MemStats
	for range 2 {
		runtime.GC()
	}
	runtime.ReadMemStats(&ms)
	return runtime.NumGoroutine(), ms.HeapAlloc
}
