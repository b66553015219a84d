package credentials

import (
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// State is what a profile looks like to the person.
type State int

// The states, from calm to loud. Worst picks the highest.
const (
	StateLocked    State = iota // not held
	StateActive                 // credentials held, renewed silently
	StateUnlocking              // an unlock (maybe an MFA dialog) is under way
	StateExpiring               // the MFA session ends within the lead time
	StateNeedsMFA               // renewing needs a new MFA code
	StateError                  // no valid credentials; the last attempt failed
)

var stateNames = [...]string{"locked", "active", "unlocking", "expiring", "needs MFA", "error"}

func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "unknown"
}

// ProfileStatus is one profile in a Snapshot.
type ProfileStatus struct {
	Name  string
	Kind  awsconfig.Kind
	State State
	// Expires is when the held credentials expire (zero: never, or none held).
	Expires time.Time
	// PersonNeededAt is when renewing starts to need an MFA code again (or
	// an IAM Identity Center sign-in, when SignIn).
	PersonNeededAt time.Time
	// SignIn: the credentials come from an IAM Identity Center sign-in (the
	// profile's own or its source's), not an MFA code. Set for held
	// profiles.
	SignIn bool
	// Err is the last error, one line, without secrets.
	Err      string
	LastUsed time.Time
}

// Held reports whether the manager holds credentials for the profile.
func (p ProfileStatus) Held() bool { return p.State != StateLocked }

// Snapshot is the manager's state at one moment. It is never modified
// after it is published.
type Snapshot struct {
	Profiles   []ProfileStatus // in config order
	ConfigPath string
	ConfigErr  string // the last config reload failed; the last good config is kept
	Taken      time.Time
}

// Worst returns the loudest state among held profiles, and that profile.
func (s Snapshot) Worst() (State, string) {
	worst, name := StateLocked, ""
	for _, p := range s.Profiles {
		if p.State > worst {
			worst, name = p.State, p.Name
		}
	}
	return worst, name
}

// EventKind is what an Event reports.
type EventKind int

// The events a person is told about.
const (
	EventExpiring       EventKind = iota // the MFA session ends soon
	EventExpired                         // it ended; renewing needs a code
	EventRefreshFailing                  // background renewal keeps failing
)

// Event is a notification-worthy change; it never carries a secret.
type Event struct {
	Kind    EventKind
	Profile string
	At      time.Time // the deadline concerned
	Err     string
}

// MFAPrompt asks the person for a code; previousErr explains a retry.
type MFAPrompt func(ctx context.Context, profile, serial, previousErr string) (string, error)

// ManagerConfig sets up a Manager.
type ManagerConfig struct {
	Config  *awsconfig.Config
	Store   *keystore.Store
	Options Options
	NewSTS  STSFactory
	Getenv  func(string) string
	Now     func() time.Time
	Prompt  MFAPrompt // nil: unlocking a profile that needs MFA fails
	// SSOLogin shows the person an IAM Identity Center sign-in (the
	// browser, a notification with the code); nil: such profiles fail to
	// unlock with ErrSSOLoginRequired.
	SSOLogin   SSOLoginFunc
	NewSSOOIDC func(region, endpoint string) SSOOIDCAPI // nil: the real client
	NewSSO     func(region, endpoint string) SSOAPI     // nil: the real client
	NotifyLead time.Duration                            // default 10 min
	Tick       time.Duration                            // how often Run looks at the wall clock; default 15 s
	OnEvent    func(Event)                              // called outside the manager's lock; must not block
}

// Manager holds unlocked profiles, renews their credentials in the
// background and publishes Snapshots. Safe for concurrent use.
type Manager struct {
	c ManagerConfig

	// mu protects everything below it.
	mu        sync.Mutex
	config    *awsconfig.Config
	configErr string
	held      map[string]*held
	subs      map[chan Snapshot]struct{}
	last      *Snapshot

	// askMu serialises the resolutions that may ask the person (one
	// dialog or sign-in at a time); quietMu the silent renewals, so that
	// they share one base session and one token refresh. The two are apart
	// so that a dialog left open, or a sign-in waiting in the browser,
	// does not stop the other profiles' renewals.
	askMu, quietMu sync.Mutex
	flight         singleflight.Group
	kick           chan struct{}

	// hookSubscribed, when set (tests only), runs in Subscribe between
	// registering the channel and returning it: where a publish can land.
	hookSubscribed func()
}

// held is the manager's record of one profile.
type held struct {
	creds     Credentials
	personAt  time.Time
	unlocking bool
	err       string
	failures  int
	retryAt   time.Time
	lastUsed  time.Time
	// what the person was told, so each event is said once
	toldExpiring, toldExpired, toldFailing bool
}

// NewManager returns a manager holding nothing.
func NewManager(c ManagerConfig) *Manager {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.NotifyLead == 0 {
		c.NotifyLead = 10 * time.Minute
	}
	if c.Tick == 0 {
		c.Tick = 15 * time.Second
	}
	return &Manager{
		c:      c,
		config: c.Config,
		held:   make(map[string]*held),
		subs:   make(map[chan Snapshot]struct{}),
		kick:   make(chan struct{}, 1),
	}
}

// Run checks the wall clock every Tick (Go's timers stop during suspend;
// the wall clock does not) and renews what needs it, until ctx ends.
func (m *Manager) Run(ctx context.Context) error {
	t := time.NewTicker(m.c.Tick)
	defer t.Stop()
	for {
		m.Check(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		case <-m.kick:
		}
	}
}

// Kick makes Run check now (after a resume, a config change).
func (m *Manager) Kick() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Subscribe returns a channel that always holds the latest Snapshot (a
// slow reader skips to the newest) and a function to stop.
func (m *Manager) Subscribe() (<-chan Snapshot, func()) {
	ch := make(chan Snapshot, 1)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	snap := m.snapshotLocked()
	m.mu.Unlock()
	if m.hookSubscribed != nil {
		m.hookSubscribed()
	}
	ch <- snap
	return ch, func() {
		m.mu.Lock()
		delete(m.subs, ch)
		m.mu.Unlock()
	}
}

// Snapshot returns the current state.
func (m *Manager) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapshotLocked()
}

// SetConfig replaces the config after a reload. err is the reload's
// error: the last good config stays and the error is shown.
func (m *Manager) SetConfig(cfg *awsconfig.Config, err error) {
	m.mu.Lock()
	if err != nil {
		m.configErr = err.Error()
	} else {
		m.config, m.configErr = cfg, ""
		for name := range m.held {
			if _, perr := cfg.Profile(name); perr != nil {
				delete(m.held, name)
			}
		}
	}
	m.publishLocked()
	m.mu.Unlock()
	m.Kick()
}

// SetNotifyLead changes how long before an MFA session ends the person is
// told.
func (m *Manager) SetNotifyLead(d time.Duration) {
	if d <= 0 {
		return
	}
	m.mu.Lock()
	m.c.NotifyLead = d
	m.publishLocked()
	m.mu.Unlock()
}

// Config returns the config in use.
func (m *Manager) Config() *awsconfig.Config {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.config
}

// ErrCancelled is returned when the person cancelled a dialog.
var ErrCancelled = errors.New("cancelled")

// Unlock makes the profile's credentials, asking for an MFA code if the
// chain needs one and no cached session serves. A wrong code is asked for
// again (twice); a cancelled dialog leaves the profile as it was.
func (m *Manager) Unlock(ctx context.Context, name string) error {
	m.mu.Lock()
	h := m.held[name]
	if h == nil {
		h = &held{}
		m.held[name] = h
	}
	h.unlocking = true
	m.publishLocked()
	m.mu.Unlock()

	res, err := m.resolveInteractive(ctx, name, false)

	m.mu.Lock()
	defer m.mu.Unlock()
	defer m.publishLocked()
	h.unlocking = false
	if err != nil {
		if h.creds.AccessKeyID == "" {
			if errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled) {
				delete(m.held, name) // back to locked; nothing was lost
			} else {
				h.err = oneLine(err)
			}
		}
		return err
	}
	m.acceptLocked(h, res)
	return nil
}

// Credentials returns the profile's credentials for use (Copy exports, the
// agent): the held ones while they are valid for longer than the expiry
// window, else renewed — silently, or with a dialog when interactive.
// Concurrent calls for one profile make one STS call.
func (m *Manager) Credentials(ctx context.Context, name string, interactive bool) (Credentials, error) {
	now := m.c.Now()
	m.mu.Lock()
	if h := m.held[name]; h != nil && h.creds.AccessKeyID != "" && h.creds.ValidAt(now, m.window()) {
		h.lastUsed = now
		c := h.creds
		m.mu.Unlock()
		return c, nil
	}
	_, isHeld := m.held[name]
	m.mu.Unlock()
	if !isHeld {
		if !interactive {
			return Credentials{}, &LockedError{Profile: name}
		}
		if err := m.Unlock(ctx, name); err != nil {
			return Credentials{}, err
		}
		return m.Credentials(ctx, name, false)
	}
	v, err, _ := m.flight.Do(name, func() (any, error) {
		return m.renew(ctx, name, interactive, false)
	})
	if err != nil {
		return Credentials{}, err
	}
	return v.(Credentials), nil
}

// LockedError means the profile is not unlocked in the tray.
type LockedError struct{ Profile string }

func (e *LockedError) Error() string { return "profile " + quote(e.Profile) + " is locked" }

// Refresh renews the profile now: a new session for the profile itself
// (from the cached base session while that is valid). The held and cached
// credentials are replaced only when the new ones are made.
func (m *Manager) Refresh(ctx context.Context, name string) error {
	_, err, _ := m.flight.Do(name, func() (any, error) { return m.renew(ctx, name, true, true) })
	return err
}

// Lock forgets the profile and drops its cached sessions from the keyring:
// its own, and its base session unless another held profile uses it.
func (m *Manager) Lock(name string) error {
	m.mu.Lock()
	delete(m.held, name)
	drop := []string{name}
	if chain, err := m.config.Chain(name); err == nil {
		root := chain[len(chain)-1].Name
		shared := false
		for other := range m.held {
			if oc, err := m.config.Chain(other); err == nil && oc[len(oc)-1].Name == root {
				shared = true
			}
		}
		if !shared {
			drop = append(drop, root)
		}
	}
	m.publishLocked()
	m.mu.Unlock()
	_, err := ClearSessions(m.c.Store, drop...)
	return err
}

// LockAll forgets every profile and drops every cached session.
func (m *Manager) LockAll() error {
	m.mu.Lock()
	m.held = make(map[string]*held)
	m.publishLocked()
	m.mu.Unlock()
	_, err := ClearSessions(m.c.Store)
	return err
}

// Restore holds, silently, the named profiles whose sessions the keyring
// still has (after the tray restarts); the others stay locked.
func (m *Manager) Restore(ctx context.Context, names []string) {
	for _, name := range names {
		res, err := m.resolve(ctx, name, nil, nil, false)
		if err != nil {
			continue
		}
		m.mu.Lock()
		h := &held{}
		m.held[name] = h
		m.acceptLocked(h, res)
		m.publishLocked()
		m.mu.Unlock()
	}
}

// Check renews, notifies and updates states; Run calls it every Tick and
// tests call it with an injected clock.
func (m *Manager) Check(ctx context.Context) {
	m.mu.Lock()
	names := make([]string, 0, len(m.held))
	for name := range m.held {
		names = append(names, name)
	}
	m.mu.Unlock()
	var events []Event
	for _, name := range names {
		if ctx.Err() != nil {
			return
		}
		events = append(events, m.checkOne(ctx, name)...)
	}
	m.mu.Lock()
	m.publishLocked()
	m.mu.Unlock()
	m.emit(events)
}

func (m *Manager) checkOne(ctx context.Context, name string) []Event {
	now := m.c.Now()
	m.mu.Lock()
	h := m.held[name]
	if h == nil || h.unlocking || h.creds.AccessKeyID == "" {
		m.mu.Unlock()
		return nil
	}
	due := h.creds.CanExpire() && !h.creds.ValidAt(now, m.window()) && !now.Before(h.retryAt)
	m.mu.Unlock()

	if due {
		_, _, _ = m.flight.Do(name, func() (any, error) { return m.renew(ctx, name, false, false) })
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	h = m.held[name]
	if h == nil {
		return nil
	}
	var events []Event
	if !h.personAt.IsZero() {
		switch {
		case !now.Before(h.personAt):
			if !h.toldExpired {
				h.toldExpired, h.toldExpiring = true, true
				events = append(events, Event{Kind: EventExpired, Profile: name, At: h.personAt})
			}
		case !now.Before(h.personAt.Add(-m.c.NotifyLead)):
			if !h.toldExpiring {
				h.toldExpiring = true
				events = append(events, Event{Kind: EventExpiring, Profile: name, At: h.personAt})
			}
		}
	}
	if h.failures >= 3 && !h.toldFailing {
		h.toldFailing = true
		events = append(events, Event{Kind: EventRefreshFailing, Profile: name, Err: h.err})
	}
	return events
}

// renew makes new credentials for a held profile, silently unless
// interactive. Failures keep the last good credentials serving.
func (m *Manager) renew(ctx context.Context, name string, interactive, fresh bool) (Credentials, error) {
	var (
		res Result
		err error
	)
	if interactive {
		res, err = m.resolveInteractive(ctx, name, fresh)
	} else {
		res, err = m.resolve(ctx, name, nil, nil, fresh)
	}
	now := m.c.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.held[name]
	if h == nil {
		h = &held{}
		m.held[name] = h
	}
	if err != nil {
		if errors.Is(err, ErrMFARequired) || errors.Is(err, ErrSSOLoginRequired) {
			// A state, not a failure: Check tells the person. A refused
			// SSO refresh token (the portal session is over) ends the
			// sign-in now.
			if h.personAt.IsZero() {
				h.personAt = now
			}
			return Credentials{}, err
		}
		if !errors.Is(err, ErrCancelled) && !errors.Is(err, context.Canceled) {
			h.failures++
			h.err = oneLine(err)
			h.retryAt = now.Add(backoff(h.failures))
		}
		return Credentials{}, err
	}
	m.acceptLocked(h, res)
	h.lastUsed = now
	return res.Credentials, nil
}

// acceptLocked stores new credentials in h.
func (m *Manager) acceptLocked(h *held, res Result) {
	if !res.PersonNeededAt.Equal(h.personAt) {
		h.toldExpiring, h.toldExpired = false, false
	}
	h.creds, h.personAt = res.Credentials, res.PersonNeededAt
	h.err, h.failures, h.retryAt, h.toldFailing = "", 0, time.Time{}, false
}

// resolve runs the chain once, serialised with every other resolution.
func (m *Manager) resolve(ctx context.Context, name string, mfa MFAFunc, login SSOLoginFunc, fresh bool) (Result, error) {
	mu := &m.quietMu
	if mfa != nil || login != nil {
		mu = &m.askMu
	}
	mu.Lock()
	defer mu.Unlock()
	m.mu.Lock()
	cfg := m.config
	m.mu.Unlock()
	r := &Resolver{Config: cfg, Store: m.c.Store, MFA: mfa, SSOLogin: login, NewSTS: m.c.NewSTS,
		NewSSOOIDC: m.c.NewSSOOIDC, NewSSO: m.c.NewSSO, Getenv: m.c.Getenv, Now: m.c.Now, Options: m.c.Options}
	return r.Resolve(ctx, Request{Profile: name, Details: true, Fresh: fresh})
}

// resolveInteractive resolves with the MFA code from mfa_process or the
// person, asking again (with AWS's message) after a rejected code.
func (m *Manager) resolveInteractive(ctx context.Context, name string, fresh bool) (Result, error) {
	var prev string
	for attempt := 0; ; attempt++ {
		mfa := func(ctx context.Context, profile, serial string) (string, error) {
			if proc := MFAProcess(m.Config(), profile); proc != "" && attempt == 0 {
				return RunMFAProcess(ctx, profile, proc)
			}
			if m.c.Prompt == nil {
				return "", &MFARequiredError{Profile: profile}
			}
			return m.c.Prompt(ctx, profile, serial, prev)
		}
		res, err := m.resolve(ctx, name, mfa, m.c.SSOLogin, fresh)
		var ae *AWSError
		if err != nil && attempt < 2 && errors.As(err, &ae) && isMFARejection(ae) {
			prev = ae.Error()
			continue
		}
		return res, err
	}
}

// isMFARejection tells a wrong or reused code from other refusals.
func isMFARejection(e *AWSError) bool {
	return e.Code == "AccessDenied" && strings.Contains(e.Message, "MultiFactorAuthentication")
}

func (m *Manager) window() time.Duration { return m.c.Options.withDefaults().ExpiryWindow }

// backoff is the wait before the n-th retry: 2 s doubling to 5 min, ±20 %.
func backoff(n int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

func (m *Manager) emit(events []Event) {
	if m.c.OnEvent == nil {
		return
	}
	for _, e := range events {
		m.c.OnEvent(e)
	}
}

// snapshotLocked builds a Snapshot; the caller holds mu.
func (m *Manager) snapshotLocked() Snapshot {
	now := m.c.Now()
	s := Snapshot{ConfigErr: m.configErr, Taken: now}
	if m.config == nil {
		return s
	}
	s.ConfigPath = m.config.Path
	s.Profiles = make([]ProfileStatus, 0, len(m.config.Profiles))
	for _, p := range m.config.Profiles {
		ps := ProfileStatus{Name: p.Name, Kind: p.Kind()}
		if h := m.held[p.Name]; h != nil {
			ps.Expires, ps.PersonNeededAt, ps.Err, ps.LastUsed = h.creds.Expires, h.personAt, h.err, h.lastUsed
			ps.State = m.stateOf(h, now)
			if chain, err := m.config.Chain(p.Name); err == nil {
				ps.SignIn = chain[len(chain)-1].Kind() == awsconfig.KindSSO
			}
		}
		s.Profiles = append(s.Profiles, ps)
	}
	return s
}

// stateOf is the state of a held profile at now.
func (m *Manager) stateOf(h *held, now time.Time) State {
	switch {
	case h.unlocking:
		return StateUnlocking
	case h.creds.AccessKeyID == "" || (h.creds.CanExpire() && !h.creds.ValidAt(now, 0)):
		if h.err != "" {
			return StateError
		}
		return StateNeedsMFA
	case !h.personAt.IsZero() && !now.Before(h.personAt):
		return StateNeedsMFA
	case !h.personAt.IsZero() && !now.Before(h.personAt.Add(-m.c.NotifyLead)):
		return StateExpiring
	case h.failures >= 3:
		return StateError
	}
	return StateActive
}

// publishLocked sends a new Snapshot to every subscriber, replacing one it
// has not read yet; the caller holds mu.
func (m *Manager) publishLocked() {
	snap := m.snapshotLocked()
	if m.last != nil && sameSnapshot(*m.last, snap) {
		return // a check that changed nothing: no work for the tray
	}
	m.last = &snap
	for ch := range m.subs {
		select {
		case <-ch:
		default:
		}
		ch <- snap
	}
}

// sameSnapshot reports whether two snapshots show the same thing (the time
// they were taken aside).
func sameSnapshot(a, b Snapshot) bool {
	if a.ConfigErr != b.ConfigErr || a.ConfigPath != b.ConfigPath || len(a.Profiles) != len(b.Profiles) {
		return false
	}
	for i, p := range a.Profiles {
		q := b.Profiles[i]
		if p.Name != q.Name || p.Kind != q.Kind || p.State != q.State || p.Err != q.Err || p.SignIn != q.SignIn ||
			!p.Expires.Equal(q.Expires) || !p.PersonNeededAt.Equal(q.PersonNeededAt) || !p.LastUsed.Equal(q.LastUsed) {
			return false
		}
	}
	return true
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func quote(s string) string { return `"` + s + `"` }

// FederationToken makes console sign-in credentials for the IAM user
// profile name (see Resolver.FederationToken). It reads the long-term key
// from the keyring and needs no unlocked session.
func (m *Manager) FederationToken(ctx context.Context, name string, duration time.Duration) (Credentials, error) {
	m.mu.Lock()
	cfg := m.config
	m.mu.Unlock()
	r := &Resolver{Config: cfg, Store: m.c.Store, NewSTS: m.c.NewSTS, Getenv: m.c.Getenv, Now: m.c.Now, Options: m.c.Options}
	return r.FederationToken(ctx, name, duration)
}

// FederationTokenWith is FederationToken signed with key, a long-term key
// the profile's credential_process gave.
func (m *Manager) FederationTokenWith(ctx context.Context, name string, key Credentials, duration time.Duration) (Credentials, error) {
	m.mu.Lock()
	cfg := m.config
	m.mu.Unlock()
	r := &Resolver{Config: cfg, Store: m.c.Store, NewSTS: m.c.NewSTS, Getenv: m.c.Getenv, Now: m.c.Now, Options: m.c.Options}
	return r.FederationTokenWith(ctx, name, key, duration)
}
