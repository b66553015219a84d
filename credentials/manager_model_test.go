package credentials

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testfake"
)

// A model-based test of the Manager: seeded random sequences of unlocks,
// locks, checks, requests (some concurrent, some hanging up), config
// reloads, clock jumps, STS and keyring faults, with the invariants checked
// after every step. The sequence of operations depends on the seed only;
// how concurrent operations interleave does not.
//
//	go test ./credentials -run 'TestManagerModel$' -seed=N -steps=M [-v -modelv]

var (
	modelSeed    = flag.Uint64("seed", 0, "TestManagerModel: first seed (0: from the clock)")
	modelSteps   = flag.Int("steps", 20000, "TestManagerModel: steps in all, in episodes of 500")
	modelVerbose = flag.Bool("modelv", false, "TestManagerModel: log every step and the state it left (with -v)")
)

const modelEpisode = 500

func TestManagerModel(t *testing.T) {
	seed := *modelSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	baseline := runtime.NumGoroutine()
	start := time.Now()
	for done, ep := 0, uint64(0); done < *modelSteps; ep++ {
		n := min(modelEpisode, *modelSteps-done)
		runModel(t, seed+ep, n)
		if t.Failed() {
			return
		}
		done += n
	}
	t.Logf("%d steps from seed %d in %s", *modelSteps, seed, time.Since(start).Round(time.Millisecond))
	waitGoroutines(t, baseline)
}

// waitGoroutines waits until no goroutine the test started is left.
func waitGoroutines(t *testing.T, baseline int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines outlived the test (baseline %d):\n%s", runtime.NumGoroutine(), baseline, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The faults a step may run under.
type stsFault int

const (
	stsOK stsFault = iota
	stsDelay
	stsThrottle
	stsDenied
	stsTimeoutErr // an error saying the deadline passed
	stsHang       // no answer until the call's deadline
	stsBadCode    // AWS rejects the MFA code
	stsFaults
)

type keyFault int

const (
	keyOK keyFault = iota
	keySetBefore
	keySetAfter // the write lands, then fails
	keyGet
	keyRemove
	keyList
	keyFaults
)

type promptMode int

const (
	promptAnswer promptMode = iota
	promptCancel
	promptWait // the dialog stays open until every caller has gone
)

// modelConfig is the shape of the config a step uses.
type modelConfig struct {
	r3, long, r2FromUser, r2Other bool
}

func (c modelConfig) text() string {
	var b strings.Builder
	b.WriteString("[profile user]\nmfa_serial = arn:aws:iam::111111111111:mfa/me\n")
	b.WriteString("[profile plain]\n")
	b.WriteString("[profile r1]\nsource_profile = user\nrole_arn = arn:aws:iam::111111111111:role/r1\n")
	src, ext := "r1", "ext"
	if c.r2FromUser {
		src = "user"
	}
	if c.r2Other {
		ext = "other"
	}
	fmt.Fprintf(&b, "[profile r2]\nsource_profile = %s\nrole_arn = arn:aws:iam::222222222222:role/r2\nexternal_id = %s\n", src, ext)
	if c.long {
		b.WriteString("[profile long]\nsource_profile = user\nrole_arn = arn:aws:iam::111111111111:role/long\nduration_seconds = 14400\n")
	}
	b.WriteString("[profile self]\nsource_profile = self\nrole_arn = arn:aws:iam::111111111111:role/self\n")
	b.WriteString("[profile plainrole]\nsource_profile = plain\nrole_arn = arn:aws:iam::111111111111:role/pr\n")
	if c.r3 {
		b.WriteString("[profile r3]\nsource_profile = r1\nrole_arn = arn:aws:iam::111111111111:role/r3\n")
	}
	return b.String()
}

func (c modelConfig) profiles() []string {
	out := []string{"user", "plain", "r1", "r2"}
	if c.long {
		out = append(out, "long")
	}
	out = append(out, "self", "plainrole")
	if c.r3 {
		out = append(out, "r3")
	}
	return out
}

// needs is the model's own account of the cached items a profile's chain
// uses, written out by hand (not the code under test).
func (c modelConfig) needs(p string) []string {
	switch p {
	case "user":
		return []string{"v1/session/user"}
	case "plain":
		return []string{"v1/session/plain"}
	case "r1":
		return []string{"v1/role/r1", "v1/session/user"}
	case "r2":
		if c.r2FromUser {
			return []string{"v1/role/r2", "v1/session/user"}
		}
		return []string{"v1/role/r2", "v1/role/r1", "v1/session/user"}
	case "long":
		return []string{"v1/role/long"}
	case "self":
		return []string{"v1/role/self", "v1/session/self"}
	case "plainrole":
		return []string{"v1/role/plainrole", "v1/session/plain"}
	case "r3":
		return []string{"v1/role/r3", "v1/role/r1", "v1/session/user"}
	}
	return nil
}

// model is one episode: a Manager on a fault keyring and a fake STS, and
// what the invariants need to know.
type model struct {
	t    *testing.T
	seed uint64
	rng  *rand.Rand
	m    *Manager
	fk   *testfake.FaultKeyring
	sts  *fakeSTS
	cfg  modelConfig
	keys map[string][]byte // the long-term keys as stored at the start
	log  []string          // the steps so far, for the failure message

	// mu protects everything below: the faults of the step, and what
	// concurrent operations report.
	mu         sync.Mutex
	clock      time.Time
	stsFault   stsFault
	keyFault   keyFault
	prompt     promptMode
	codes      int
	calls      map[string]int // successful STS calls per target in this step
	served     []string       // violations of "never served expired"
	violations []string       // writes to long-term keys, seen by the keyring hooks
	gate       *gate          // the next STS call waits here (renew-then-lock steps)
}

func (md *model) now() time.Time {
	md.mu.Lock()
	defer md.mu.Unlock()
	return md.clock
}

func runModel(t *testing.T, seed uint64, steps int) {
	md := &model{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x5eed)), fk: testfake.NewFaultKeyring(nil),
		clock: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC), cfg: modelConfig{long: true}, keys: map[string][]byte{}}
	md.sts = &fakeSTS{now: md.now}
	store := keystore.NewWith("fault", md.fk, 0)
	for _, p := range []string{"user", "plain", "self"} {
		if err := SaveKey(store, p, "AKIA"+strings.ToUpper(p)+"KEY000000000", NewSecret("secret-of-"+p+"-0123456789")); err != nil {
			t.Fatal(err)
		}
		it, err := md.fk.Inner.Get("v1/key/" + p)
		if err != nil {
			t.Fatal(err)
		}
		md.keys[p] = it.Data
	}
	md.fk.SetHooks(md.keyringBefore, md.keyringAfter)
	md.m = NewManager(ManagerConfig{
		Config:  md.parse(md.cfg),
		Store:   store,
		Options: Options{Timeout: 10 * time.Second},
		NewSTS: func(region, endpoint string, creds Credentials) STSAPI {
			return &modelSTS{md: md, inner: md.sts.factory(region, endpoint, creds), signer: creds.AccessKeyID}
		},
		Now:    md.now,
		Prompt: md.answer,
	})
	for i := 0; i < steps; i++ {
		md.step(i)
		if t.Failed() {
			return
		}
	}
}

func (md *model) parse(c modelConfig) *awsconfig.Config {
	cfg, err := awsconfig.Parse("config", []byte(c.text()))
	if err != nil {
		md.t.Fatal(err)
	}
	return cfg
}

func (md *model) fail(step int, format string, args ...any) {
	md.t.Helper()
	from := max(0, len(md.log)-12)
	md.m.mu.Lock()
	var state []string
	for name, h := range md.m.held {
		state = append(state, fmt.Sprintf("%s(epoch %d, %s)", name, h.epoch, md.m.stateOf(h, md.now())))
	}
	for k := range md.m.pending {
		state = append(state, "pending "+k.String())
	}
	md.m.mu.Unlock()
	slices.Sort(state)
	md.t.Fatalf("seed %d, step %d: %s\nlast steps:\n  %s\nmanager: %s\nreplay: go test ./credentials -run 'TestManagerModel$' -seed=%d -steps=%d",
		md.seed, step, fmt.Sprintf(format, args...), strings.Join(md.log[from:], "\n  "), strings.Join(state, ", "), md.seed, step+1)
}

// The fakes' fault hooks.

type modelSTS struct {
	md     *model
	inner  STSAPI
	signer string
}

func (s *modelSTS) before(ctx context.Context, code *string) error {
	s.md.mu.Lock()
	f, g := s.md.stsFault, s.md.gate
	s.md.gate = nil
	s.md.mu.Unlock()
	if g != nil {
		close(g.entered)
		select {
		case <-g.released:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	switch f {
	case stsDelay:
		select {
		case <-time.After(time.Duration(1+len(s.signer)%3) * 300 * time.Microsecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	case stsThrottle:
		return &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}
	case stsDenied:
		return &smithy.GenericAPIError{Code: "AccessDenied", Message: "User is not authorized to perform: sts:AssumeRole"}
	case stsTimeoutErr:
		return fmt.Errorf("operation error STS: %w", context.DeadlineExceeded)
	case stsHang:
		// No answer: the call's deadline (the model's stand-in for it,
		// so a loaded machine never makes a quiet step time out) passes.
		select {
		case <-time.After(2 * time.Millisecond):
			return fmt.Errorf("operation error STS: %w", context.DeadlineExceeded)
		case <-ctx.Done():
			return ctx.Err()
		}
	case stsBadCode:
		if aws.ToString(code) != "" {
			return &smithy.GenericAPIError{Code: "AccessDenied", Message: "MultiFactorAuthentication failed with invalid MFA one time pass code."}
		}
	}
	return ctx.Err()
}

func (s *modelSTS) count(target string) {
	s.md.mu.Lock()
	s.md.calls[target]++
	s.md.mu.Unlock()
}

func (s *modelSTS) GetSessionToken(ctx context.Context, in *sts.GetSessionTokenInput, o ...func(*sts.Options)) (*sts.GetSessionTokenOutput, error) {
	if err := s.before(ctx, in.TokenCode); err != nil {
		return nil, err
	}
	out, err := s.inner.GetSessionToken(ctx, in, o...)
	if err == nil {
		s.count("GetSessionToken by " + s.signer)
	}
	return out, err
}

func (s *modelSTS) AssumeRole(ctx context.Context, in *sts.AssumeRoleInput, o ...func(*sts.Options)) (*sts.AssumeRoleOutput, error) {
	if err := s.before(ctx, in.TokenCode); err != nil {
		return nil, err
	}
	out, err := s.inner.AssumeRole(ctx, in, o...)
	if err == nil {
		s.count("AssumeRole " + aws.ToString(in.RoleArn))
	}
	return out, err
}

var errModelKeyring = errors.New("the keyring refused")

func (md *model) keyringBefore(op, key string) error {
	md.mu.Lock()
	defer md.mu.Unlock()
	if testfake.KeyHas(key, "key") && (op == "set" || op == "remove") {
		md.violations = append(md.violations, op+" "+key)
	}
	cached := testfake.KeyHas(key, "session") || testfake.KeyHas(key, "role")
	switch {
	case md.keyFault == keySetBefore && op == "set" && cached,
		md.keyFault == keyGet && op == "get" && cached,
		md.keyFault == keyRemove && op == "remove",
		md.keyFault == keyList && op == "keys":
		return errModelKeyring
	}
	return nil
}

func (md *model) keyringAfter(op, key string) error {
	md.mu.Lock()
	defer md.mu.Unlock()
	if md.keyFault == keySetAfter && op == "set" && (testfake.KeyHas(key, "session") || testfake.KeyHas(key, "role")) {
		return errModelKeyring
	}
	return nil
}

func (md *model) answer(ctx context.Context, _, _, _ string) (string, error) {
	md.mu.Lock()
	mode := md.prompt
	md.codes++
	code := fmt.Sprintf("%06d", md.codes%1000000)
	md.mu.Unlock()
	switch mode {
	case promptCancel:
		return "", ErrCancelled
	case promptWait:
		<-ctx.Done()
		return "", ctx.Err()
	}
	return code, nil
}

// Operations.

type modelOp struct {
	kind        string // unlock, lock, lockall, check, creds, icreds, refresh, config
	profile     string
	cfg         modelConfig
	broken      bool          // config: a reload that fails
	hangUpAfter time.Duration // >0: the caller gives up after this long
}

func (o modelOp) String() string {
	s := o.kind
	if o.profile != "" {
		s += " " + o.profile
	}
	if o.kind == "config" {
		s += fmt.Sprintf(" %+v broken=%v", o.cfg, o.broken)
	}
	if o.hangUpAfter > 0 {
		s += fmt.Sprintf(" (hangs up after %s)", o.hangUpAfter)
	}
	return s
}

func (md *model) pick(list []string) string { return list[md.rng.IntN(len(list))] }

func (md *model) randomOp(profiles []string, concurrent bool) modelOp {
	o := modelOp{profile: md.pick(profiles)}
	r := md.rng.IntN(100)
	switch {
	case r < 22:
		o.kind = "unlock"
	case r < 30:
		o.kind = "lock"
	case r < 33:
		o.kind = "lockall"
		o.profile = ""
	case r < 50:
		o.kind = "check"
		o.profile = ""
	case r < 70:
		o.kind = "creds"
	case r < 88:
		o.kind = "icreds"
	case r < 92 && !concurrent:
		o.kind = "refresh"
	default:
		o.kind = "config"
		o.profile = ""
		o.cfg = modelConfig{r3: md.rng.IntN(2) == 0, long: md.rng.IntN(4) != 0, r2FromUser: md.rng.IntN(3) == 0, r2Other: md.rng.IntN(3) == 0}
		o.broken = md.rng.IntN(8) == 0
	}
	if concurrent && o.kind != "lock" && o.kind != "lockall" && o.kind != "config" && md.rng.IntN(4) == 0 {
		o.hangUpAfter = time.Duration(md.rng.IntN(500)) * time.Microsecond
	}
	return o
}

// run does o and checks what it returned.
func (md *model) run(o modelOp, prompt promptMode) (err error) {
	ctx := context.Background()
	if o.hangUpAfter > 0 || (prompt == promptWait && o.kind != "check") {
		d := o.hangUpAfter
		if d == 0 {
			d = 2 * time.Millisecond
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	switch o.kind {
	case "unlock":
		err = md.m.Unlock(ctx, o.profile)
	case "lock":
		err = md.m.Lock(o.profile)
	case "lockall":
		err = md.m.LockAll()
	case "check":
		md.m.Check(ctx)
	case "refresh":
		err = md.m.Refresh(ctx, o.profile)
	case "config":
		if o.broken {
			md.m.SetConfig(nil, errors.New("config:1: broken"))
		} else {
			md.m.SetConfig(md.parse(o.cfg), nil)
		}
	case "creds", "icreds":
		defer func() {
			// One caller hanging up never ends another's request.
			if errors.Is(err, context.Canceled) && ctx.Err() == nil {
				md.mu.Lock()
				md.served = append(md.served, fmt.Sprintf("%s: cancelled though its caller waited: %v", o, err))
				md.mu.Unlock()
			}
		}()
		var c Credentials
		c, err = md.m.Credentials(ctx, o.profile, o.kind == "icreds")
		now := md.now()
		md.mu.Lock()
		switch {
		case err == nil && c.AccessKeyID == "":
			md.served = append(md.served, fmt.Sprintf("%s: empty credentials and no error", o))
		case err == nil && !c.ValidAt(now, 0):
			md.served = append(md.served, fmt.Sprintf("%s: served credentials that expired at %s (now %s)", o, c.Expires, now))
		}
		md.mu.Unlock()
	}
	return err
}

// step makes one random step and checks the invariants.
func (md *model) step(i int) {
	md.mu.Lock()
	md.calls = map[string]int{}
	md.mu.Unlock()
	profiles := md.cfg.profiles()
	clean := true // no fault, no lock and no reload: at most one STS call per target
	var desc string
	var after func()
	r := md.rng.IntN(100)
	switch {
	case r < 10: // the clock jumps (a suspend)
		d := time.Duration(1+md.rng.IntN(70)) * time.Minute
		if md.rng.IntN(4) == 0 {
			d = time.Duration(1+md.rng.IntN(10)) * time.Hour
		}
		md.mu.Lock()
		md.clock = md.clock.Add(d)
		md.mu.Unlock()
		desc = "clock +" + d.String()
	case r < 20: // the faults change
		md.mu.Lock()
		md.stsFault, md.keyFault, md.prompt = stsOK, keyOK, promptAnswer
		switch md.rng.IntN(4) {
		case 0:
			md.stsFault = stsFault(md.rng.IntN(int(stsFaults)))
		case 1:
			md.keyFault = keyFault(md.rng.IntN(int(keyFaults)))
		case 2:
			md.prompt = promptMode(md.rng.IntN(3))
		}
		desc = fmt.Sprintf("faults sts=%d keyring=%d prompt=%d", md.stsFault, md.keyFault, md.prompt)
		md.mu.Unlock()
	case r < 28: // a renewal in flight when the profile is locked or removed
		desc, after = md.renewThenLock(i, profiles)
		clean = false
	case r < 32: // a caller hangs up while another waits for the same answer
		desc = md.hangUpWhileAnotherWaits(i, profiles)
		clean = false
	case r < 50: // several callers at once
		n := 2 + md.rng.IntN(4)
		// A few profiles, so that the callers meet.
		few := []string{md.pick(profiles), md.pick(profiles)}
		ops := make([]modelOp, n)
		reload := false
		for j := range ops {
			ops[j] = md.randomOp(few, true)
			if ops[j].kind == "config" {
				if reload { // two racing reloads: the model could not tell which is last
					ops[j] = modelOp{kind: "check"}
				}
				reload = true
			}
			// A lock or reload drops what it should and callers that all
			// hang up abandon their work: both may make it be redone.
			if k := ops[j].kind; k == "lock" || k == "lockall" || k == "config" || ops[j].hangUpAfter > 0 {
				clean = false
			}
		}
		desc = fmt.Sprint("concurrently ", ops)
		md.mu.Lock()
		prompt, quiet := md.prompt, md.stsFault <= stsDelay && md.keyFault == keyOK && md.prompt == promptAnswer
		md.mu.Unlock()
		var wg sync.WaitGroup
		errs := make([]error, len(ops))
		for j, o := range ops {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[j] = md.run(o, prompt)
			}()
		}
		md.waitStep(i, &wg)
		after = func() {
			for j, o := range ops {
				// Liveness: with nothing failing, locked or reloaded, and
				// nobody hanging up, whatever may ask the person works.
				if clean && quiet && (o.kind == "unlock" || o.kind == "icreds") && errs[j] != nil {
					md.fail(i, "%s failed with nothing failing: %v", o, errs[j])
				}
			}
		}
		for _, o := range ops {
			if o.kind == "config" {
				md.cfg = cfgAfter(md.cfg, o)
			}
		}
	default: // one operation
		o := md.randomOp(profiles, false)
		desc = o.String()
		md.mu.Lock()
		prompt, quiet := md.prompt, md.stsFault <= stsDelay && md.keyFault == keyOK && md.prompt == promptAnswer
		md.mu.Unlock()
		err := md.run(o, prompt)
		switch o.kind {
		case "lock", "lockall", "config", "refresh":
			clean = false
		}
		if o.kind == "config" {
			md.cfg = cfgAfter(md.cfg, o)
		}
		after = func() {
			switch o.kind {
			case "lock":
				md.wantNotHeld(i, o.profile)
			case "lockall":
				for _, p := range md.cfg.profiles() {
					md.wantNotHeld(i, p)
				}
			case "unlock", "icreds":
				// Liveness: with nothing failing, whatever may ask the
				// person works.
				if quiet && err != nil {
					md.fail(i, "%s failed with nothing failing: %v", o, err)
				}
			}
		}
	}
	md.log = append(md.log, fmt.Sprintf("%d: %s", i, desc))
	md.quiesce(i)
	if *modelVerbose {
		md.logState(i, desc)
	}
	if after != nil {
		after()
	}
	md.checkInvariants(i, clean)
}

func cfgAfter(c modelConfig, o modelOp) modelConfig {
	if o.broken {
		return c
	}
	return o.cfg
}

// renewThenLock starts a request whose STS call waits, locks the profile
// (or all, or removes it from the config) while it waits, then lets AWS
// answer. The profile must stay locked.
func (md *model) renewThenLock(i int, profiles []string) (string, func()) {
	p := md.pick(profiles)
	how := md.rng.IntN(3)
	interactive := md.rng.IntN(2) == 0
	g := newGate("")
	md.mu.Lock()
	md.gate = g
	prompt := md.prompt
	md.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		kind := "creds"
		if interactive {
			kind = "icreds"
		}
		_ = md.run(modelOp{kind: kind, profile: p}, prompt)
	}()
	select {
	case <-g.entered:
	case <-done: // served without calling AWS
	}
	var desc string
	switch how {
	case 0:
		desc = "lock"
		_ = md.m.Lock(p)
	case 1:
		desc = "lockall"
		_ = md.m.LockAll()
	default:
		c := md.cfg
		switch p {
		case "r3":
			c.r3 = false
		case "long":
			c.long = false
		default:
			c.r3 = !c.r3 // a reload that keeps p
		}
		desc = fmt.Sprintf("reload %+v", c)
		md.m.SetConfig(md.parse(c), nil)
		md.cfg = c
	}
	md.mu.Lock()
	md.gate = nil
	md.mu.Unlock()
	close(g.released)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { <-done; wg.Done() }()
	md.waitStep(i, &wg)
	removed := !slices.Contains(md.cfg.profiles(), p)
	return fmt.Sprintf("creds %s (interactive=%v), %s while AWS answers", p, interactive, desc), func() {
		if how < 2 || removed {
			md.wantNotHeld(i, p)
		}
	}
}

// hangUpWhileAnotherWaits starts a request whose STS call waits, lets a
// second caller join it, hangs the first up, then lets AWS answer: the
// second must not see the first's cancellation.
func (md *model) hangUpWhileAnotherWaits(i int, profiles []string) string {
	p := md.pick(profiles)
	first, second := md.rng.IntN(2) == 0, md.rng.IntN(2) == 0
	desc := fmt.Sprintf("creds %s (interactive=%v) hangs up while creds %s (interactive=%v) waits", p, first, p, second)
	md.mu.Lock()
	prompt := md.prompt
	if prompt == promptWait { // the second caller would need a deadline too
		md.mu.Unlock()
		return desc + ": skipped, dialogs stay open"
	}
	g := newGate("")
	md.gate = g
	md.mu.Unlock()
	ctx, hangUp := context.WithCancel(context.Background())
	defer hangUp()
	var wg sync.WaitGroup
	wg.Add(1)
	aDone := make(chan struct{})
	go func() {
		defer wg.Done()
		defer close(aDone)
		_, _ = md.m.Credentials(ctx, p, first)
	}()
	select {
	case <-g.entered:
		kind := "creds"
		if second {
			kind = "icreds"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = md.run(modelOp{kind: kind, profile: p}, prompt)
		}()
		if err := awaitParked("(*Manager).Credentials(", 2, 20*time.Second); err != nil {
			md.fail(i, "%s: %v", desc, err)
		}
		hangUp()
		<-aDone
	case <-aDone: // answered without calling AWS
	}
	md.mu.Lock()
	md.gate = nil
	md.mu.Unlock()
	close(g.released)
	md.waitStep(i, &wg)
	return desc
}

// waitStep waits for the step's operations, failing rather than hanging.
func (md *model) waitStep(i int, wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		buf := make([]byte, 1<<20)
		md.fail(i, "the step did not finish:\n%s", buf[:runtime.Stack(buf, true)])
	}
}

// quiesce waits until no flight runs (callers that hung up leave theirs
// to finish).
func (md *model) quiesce(i int) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { md.m.flights.running.Wait(); wg.Done() }()
	md.waitStep(i, &wg)
}

// logState shows a step and what it left, for -modelv.
func (md *model) logState(i int, desc string) {
	raw, _ := md.fk.Inner.Keys()
	slices.Sort(raw)
	var st []string
	for _, p := range md.m.Snapshot().Profiles {
		if p.Held() {
			st = append(st, p.Name+"="+p.State.String()+" "+p.Err)
		}
	}
	md.mu.Lock()
	calls := fmt.Sprint(md.calls)
	md.mu.Unlock()
	md.t.Logf("%d: %s\n   held %q\n   keyring %v\n   STS %s", i, desc, st, raw, calls)
}

func (md *model) wantNotHeld(i int, p string) {
	for _, s := range md.m.Snapshot().Profiles {
		if s.Name == p && s.Held() {
			md.fail(i, "profile %s is %s after it was locked", p, s.State)
		}
	}
}

func (md *model) checkInvariants(i int, clean bool) {
	md.mu.Lock()
	served, violations, calls := md.served, md.violations, md.calls
	md.served, md.violations = nil, nil
	quiet := md.stsFault <= stsDelay && md.keyFault == keyOK && md.prompt == promptAnswer
	keyringWorks := md.keyFault == keyOK
	md.mu.Unlock()

	// No held profile is served expired credentials; nobody's request
	// ends because another caller hung up.
	if len(served) > 0 {
		md.fail(i, "%s", strings.Join(served, "; "))
	}
	// No long-term key is ever deleted or changed.
	if len(violations) > 0 {
		md.fail(i, "long-term keys touched: %v", violations)
	}
	for p, want := range md.keys {
		it, err := md.fk.Inner.Get("v1/key/" + p)
		if err != nil || !bytes.Equal(it.Data, want) {
			md.fail(i, "the key of %s changed or went: %v", p, err)
		}
	}
	// At most one STS call per target per renewal.
	if clean && quiet {
		for target, n := range calls {
			if n > 1 {
				md.fail(i, "%d successful STS calls %q in one step", n, target)
			}
		}
	}
	// A locked profile is served to nobody and keeps nothing in the
	// keyring that only it needed.
	need := map[string]bool{}
	for _, s := range md.m.Snapshot().Profiles {
		if s.Held() {
			for _, k := range md.cfg.needs(s.Name) {
				need[k] = true
			}
			continue
		}
		var le *LockedError
		if _, err := md.m.Credentials(context.Background(), s.Name, false); !errors.As(err, &le) {
			md.fail(i, "locked profile %s served: %v", s.Name, err)
		}
	}
	md.m.mu.Lock()
	pendingAll := md.m.pendingAll
	for k := range md.m.pending {
		need[k.String()] = true
	}
	md.m.mu.Unlock()
	raw, err := md.fk.Inner.Keys()
	if err != nil {
		md.fail(i, "listing the keyring: %v", err)
	}
	for _, r := range raw {
		if k, ok := keystore.ParseKey(r); ok && isCachedItem(k) && !need[r] && !pendingAll {
			md.fail(i, "%s is cached but no held profile needs it", r)
		}
	}
	// What a failed removal left goes at the next check once the keyring
	// works.
	if keyringWorks && strings.HasSuffix(md.log[len(md.log)-1], ": check") {
		md.m.mu.Lock()
		left := len(md.m.pending) > 0 || md.m.pendingAll
		md.m.mu.Unlock()
		if left {
			md.fail(i, "a check with a working keyring left removals pending")
		}
	}
}
