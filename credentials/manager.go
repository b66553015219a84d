package credentials

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/oneline"
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
//
// Each held profile is an entry with an identity, its epoch. A resolution
// (an unlock, a renewal) is for one entry, and its result is taken only if
// that entry is still held when it ends: a Lock, LockAll, or a config
// reload that removes the profile sticks, whatever was under way, and what
// such a refused resolution cached is dropped unless a held profile needs it.
type Manager struct {
	c ManagerConfig

	// mu protects everything below it up to askMu.
	mu        sync.Mutex
	config    *awsconfig.Config
	configErr string
	held      map[string]*held
	subs      map[chan Snapshot]struct{}
	last      *Snapshot
	// epoch counts up: each new entry takes the next value, and so does
	// each lock, recorded in lockedAt (per profile) or allLockedAt, so
	// Restore can tell a lock that came while it ran.
	epoch       uint64
	lockedAt    map[string]uint64
	allLockedAt uint64
	// pending holds cached items a removal failed to drop (pendingAll: a
	// LockAll could not list the keyring); Check tries again.
	pending    map[keystore.Key]bool
	pendingAll bool

	// askMu serialises the resolutions that may ask the person (one
	// dialog or sign-in at a time); quietMu the silent renewals, so that
	// they share one base session and one token refresh. The two are apart
	// so that a dialog left open, or a sign-in waiting in the browser,
	// does not stop the other profiles' renewals; once the person has
	// given an MFA code, the resolution takes quietMu too (askMu first),
	// since its STS calls are those a silent renewal would make.
	askMu, quietMu sync.Mutex
	flights        flightGroup
	kick           chan struct{}

	// hookSubscribed, when set (tests only), runs in Subscribe between
	// registering the channel and returning it: where a publish can land.
	hookSubscribed func()
}

// held is the manager's record of one profile.
type held struct {
	epoch    uint64 // the entry's identity; see Manager
	creds    Credentials
	personAt time.Time
	asks     int    // callers waiting in Unlock or an interactive request's dialog: "unlocking"
	err      string // the last failure
	warn     string // the credentials serve, but caching them failed
	failures int
	retryAt  time.Time
	// waitsPerson: the last renewal needed an MFA code or a sign-in;
	// retryAt then paces the silent tries (personRetry).
	waitsPerson bool
	lastUsed    time.Time
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
		c:        c,
		config:   c.Config,
		held:     make(map[string]*held),
		subs:     make(map[chan Snapshot]struct{}),
		lockedAt: make(map[string]uint64),
		pending:  make(map[keystore.Key]bool),
		kick:     make(chan struct{}, 1),
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
	// Sent under mu: no publish can fill the slot first, and the channel
	// is new, so this never blocks.
	ch <- m.snapshotLocked()
	m.mu.Unlock()
	if m.hookSubscribed != nil {
		m.hookSubscribed()
	}
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
// error: the last good config stays and the error is shown. A held profile
// the new config lacks is locked; the cached items the old chains used and
// the new ones do not need are dropped by the next Check (which this
// kicks), off the caller's goroutine.
func (m *Manager) SetConfig(cfg *awsconfig.Config, err error) {
	m.mu.Lock()
	if err != nil {
		m.configErr = err.Error()
	} else {
		for name, h := range m.held {
			for _, k := range cachedItems(m.config, name, m.c.Options) {
				m.pending[k] = true
			}
			if _, perr := cfg.Profile(name); perr != nil {
				m.dropEntryLocked(name, h)
				m.epoch++
				m.lockedAt[name] = m.epoch
			}
		}
		m.config, m.configErr = cfg, ""
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
// again (twice); a cancelled dialog leaves the profile as it was. Concurrent
// unlocks and interactive requests of the profile share one dialog. A Lock
// while it runs wins: Unlock then fails with an error matching ErrCancelled.
func (m *Manager) Unlock(ctx context.Context, name string) error {
	m.mu.Lock()
	h := m.held[name]
	if h == nil {
		// Every entry is a profile of the config (SetConfig drops the
		// others): one it lacks is not held, not even as a failure.
		if m.config == nil {
			m.mu.Unlock()
			return errors.New("no AWS config loaded")
		}
		if _, err := m.config.Profile(name); err != nil {
			m.mu.Unlock()
			return err
		}
		h = m.newEntryLocked(name)
	}
	_, err := m.ask(ctx, name, h)
	return err
}

// ask runs (or joins) the resolution of h, which holds name, that may ask
// the person, and counts the caller as waiting for it meanwhile; the
// caller holds mu, which ask releases. An entry that never held
// credentials goes when its last unlock ends cancelled.
func (m *Manager) ask(ctx context.Context, name string, h *held) (Credentials, error) {
	h.asks++
	m.publishLocked()
	m.mu.Unlock()
	c, err := m.flights.do(ctx, flightKey{name, h.epoch, modeAsk}, m.resolution(name, h.epoch, modeAsk))
	m.mu.Lock()
	forgot := false
	if m.held[name] == h {
		h.asks--
		if errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled) {
			forgot = m.forgetIfEmptyLocked(name, h)
		}
		m.publishLocked()
	}
	m.mu.Unlock()
	if forgot {
		m.dropOf(nil, name)
	}
	return c, err
}

// forgetIfEmptyLocked drops an entry that holds nothing, failed at
// nothing, and has no unlock under way: an unlock that was cancelled,
// which leaves the profile locked. It reports whether it did; the caller
// holds mu and, after releasing it, drops what the profile cached.
func (m *Manager) forgetIfEmptyLocked(name string, h *held) bool {
	if h.asks > 0 || h.creds.AccessKeyID != "" || h.err != "" {
		return false
	}
	m.dropEntryLocked(name, h)
	return true
}

// Credentials returns the profile's credentials for use (Copy exports, the
// agent): the held ones while they are valid for longer than the expiry
// window, else renewed — silently, or, when interactive and renewing needs
// the person, with a dialog. Concurrent calls for one profile share one
// resolution per mode (silent, asking); a caller whose ctx ends leaves it
// running for the others.
func (m *Manager) Credentials(ctx context.Context, name string, interactive bool) (Credentials, error) {
	now := m.c.Now()
	m.mu.Lock()
	h := m.held[name]
	// Inside the renewal window the held credentials still serve while a
	// failed renewal waits for its retry: a network that is down must not
	// turn working credentials into errors (or a burst of STS calls).
	if h != nil && h.creds.AccessKeyID != "" &&
		(h.creds.ValidAt(now, m.window()) || (now.Before(h.retryAt) && h.creds.ValidAt(now, 0))) {
		h.lastUsed = now
		c := h.creds
		m.mu.Unlock()
		return c, nil
	}
	var epoch uint64
	if h != nil {
		epoch = h.epoch
	}
	m.mu.Unlock()
	if h == nil {
		if !interactive {
			return Credentials{}, &LockedError{Profile: name}
		}
		if err := m.Unlock(ctx, name); err != nil {
			return Credentials{}, err
		}
		return m.Credentials(ctx, name, false)
	}
	c, err, _ := m.flights.silent(ctx, name, epoch, false, m.resolution(name, epoch, modeSilent))
	if err != nil && interactive && needsPerson(err) {
		m.mu.Lock()
		if h := m.held[name]; h != nil && h.epoch == epoch {
			c, err = m.ask(ctx, name, h)
		} else {
			m.mu.Unlock()
			err = lockedMeanwhile(name, modeAsk)
		}
	}
	if err != nil {
		if held, ok := m.stillServing(name, epoch, err); ok {
			return held, nil
		}
		return Credentials{}, err
	}
	m.mu.Lock()
	if h := m.held[name]; h != nil && h.epoch == epoch {
		h.lastUsed = m.c.Now()
	}
	m.mu.Unlock()
	return c, nil
}

// stillServing returns the held credentials of the same entry when a
// renewal failed for a reason that is not the person's to fix (the network,
// AWS in trouble) and they have not expired: the last good credentials keep
// serving until they do. A needed code or sign-in, a cancel or a Lock are
// answered as they are.
func (m *Manager) stillServing(name string, epoch uint64, err error) (Credentials, bool) {
	var le *LockedError
	if needsPerson(err) || errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled) || errors.As(err, &le) {
		return Credentials{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	h := m.held[name]
	if h == nil || h.epoch != epoch || h.creds.AccessKeyID == "" || !h.creds.ValidAt(m.c.Now(), 0) {
		return Credentials{}, false
	}
	h.lastUsed = m.c.Now()
	return h.creds, true
}

// LockedError means the profile is not unlocked in the tray.
type LockedError struct{ Profile string }

func (e *LockedError) Error() string { return "profile " + quote(e.Profile) + " is locked" }

// Refresh renews the profile now: a new session for the profile itself
// (from the cached base session while that is valid). The held and cached
// credentials are replaced only when the new ones are made.
func (m *Manager) Refresh(ctx context.Context, name string) error {
	m.mu.Lock()
	h := m.held[name]
	m.mu.Unlock()
	if h == nil {
		return &LockedError{Profile: name}
	}
	_, err := m.flights.do(ctx, flightKey{name, h.epoch, modeFresh}, m.resolution(name, h.epoch, modeFresh))
	return err
}

// Restore holds, silently, the named profiles whose sessions the keyring
// still has (after the tray restarts); the others stay locked, and their
// cached sessions stay for a later unlock. A profile locked while Restore
// resolves it stays locked.
func (m *Manager) Restore(ctx context.Context, names []string) {
	for _, name := range names {
		m.mu.Lock()
		start := m.epoch
		m.mu.Unlock()
		res, cfg, err := m.resolve(ctx, name, nil, nil, false)
		if err != nil {
			continue
		}
		m.mu.Lock()
		var perr error
		if m.config != nil {
			_, perr = m.config.Profile(name)
		}
		switch {
		case m.held[name] != nil: // unlocked meanwhile: that entry counts
			m.mu.Unlock()
		case perr != nil || m.lockedAt[name] > start || m.allLockedAt > start:
			m.mu.Unlock()
			_ = m.dropUnneeded(cachedItems(cfg, name, m.c.Options))
		default:
			m.acceptLocked(m.newEntryLocked(name), res)
			stale := cfg != m.config
			m.publishLocked()
			m.mu.Unlock()
			if stale {
				_ = m.dropUnneeded(cachedItems(cfg, name, m.c.Options))
			}
		}
	}
}

// Check retries failed drops, renews, notifies and updates states; Run
// calls it every Tick and tests call it with an injected clock.
func (m *Manager) Check(ctx context.Context) {
	m.retryDrops()
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
	if h == nil || h.asks > 0 || h.creds.AccessKeyID == "" {
		m.mu.Unlock()
		return nil
	}
	due := h.creds.CanExpire() && !h.creds.ValidAt(now, m.window()) && !now.Before(h.retryAt)
	epoch := h.epoch
	m.mu.Unlock()

	if due {
		// In the background: never wait for a dialog of this profile.
		_, _, _ = m.flights.silent(ctx, name, epoch, true, m.resolution(name, epoch, modeSilent))
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	h = m.held[name]
	if h == nil || h.epoch != epoch {
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

// resolution is the work of one flight: resolve the profile for the entry
// of epoch in mode, and settle the result on that entry.
func (m *Manager) resolution(name string, epoch uint64, mode flightMode) flightFunc {
	return func(ctx context.Context) (Credentials, error) {
		if mode != modeSilent {
			// A silent renewal under way finishes first: it would make
			// the same STS calls, and may make asking unnecessary.
			m.flights.await(ctx, flightKey{name, epoch, modeSilent})
		}
		m.mu.Lock()
		h := m.held[name]
		if h == nil || h.epoch != epoch {
			m.mu.Unlock()
			return Credentials{}, lockedMeanwhile(name, mode)
		}
		m.mu.Unlock()
		var (
			res Result
			cfg *awsconfig.Config
			err = ctx.Err()
		)
		if err == nil {
			switch mode {
			case modeSilent:
				res, cfg, err = m.resolve(ctx, name, nil, nil, false)
			default:
				res, cfg, err = m.resolveInteractive(ctx, name, mode == modeFresh)
			}
		}
		return m.settle(name, epoch, mode, cfg, res, err)
	}
}

// settle takes a resolution's result into the entry it was for, if that
// entry is still held; else it drops what the resolution cached that no
// held profile needs.
func (m *Manager) settle(name string, epoch uint64, mode flightMode, cfg *awsconfig.Config, res Result, err error) (Credentials, error) {
	now := m.c.Now()
	m.mu.Lock()
	h := m.held[name]
	if h == nil || h.epoch != epoch {
		m.mu.Unlock()
		m.dropOf(cfg, name)
		return Credentials{}, lockedMeanwhile(name, mode)
	}
	stale := cfg != nil && cfg != m.config // resolved under a config replaced since
	forgot := false
	defer func() {
		m.publishLocked()
		m.mu.Unlock()
		if forgot {
			m.dropOf(nil, name)
		}
		if stale {
			m.dropOf(cfg, name)
		}
	}()
	if err == nil {
		m.acceptLocked(h, res)
		if mode != modeAsk { // an unlock is no use; Credentials marks its own
			h.lastUsed = now
		}
		if mode != modeSilent {
			// The person gave a code or signed in: the base session or
			// sign-in the others wait for may be new, so they try again
			// at the next Check.
			for _, o := range m.held {
				if o.waitsPerson {
					o.retryAt = time.Time{}
				}
			}
		}
		return res.Credentials, nil
	}
	cancelled := errors.Is(err, ErrCancelled) || errors.Is(err, context.Canceled)
	switch {
	case h.creds.AccessKeyID == "" && mode != modeSilent: // an unlock
		if !cancelled {
			h.err = oneline.String(err.Error())
		} else {
			// Back to locked (once no other unlock waits); nothing was lost.
			h.err = ""
			forgot = m.forgetIfEmptyLocked(name, h)
		}
	case needsPerson(err):
		// A state, not a failure: Check tells the person. A refused SSO
		// refresh token (the portal session is over) ends the sign-in now.
		if h.personAt.IsZero() {
			h.personAt = now
		}
		// Trying again every Tick would ask the portal with the refused
		// refresh token four times a minute until the person signs in;
		// an unlock of another profile that may make this one silent
		// again ends the wait (see waitsPerson).
		h.waitsPerson = true
		h.retryAt = now.Add(personRetry)
	case !cancelled:
		h.failures++
		h.err = oneline.String(err.Error())
		h.retryAt = now.Add(backoff(h.failures))
	}
	return Credentials{}, err
}

// dropOf drops what a resolution of name under cfg may have cached and no
// held profile needs.
func (m *Manager) dropOf(cfg *awsconfig.Config, name string) {
	if cfg == nil {
		m.mu.Lock()
		cfg = m.config
		m.mu.Unlock()
	}
	_ = m.dropUnneeded(cachedItems(cfg, name, m.c.Options))
}

// lockedMeanwhile is the error of a request whose profile was locked while
// it ran: for one that may ask the person it is a cancellation (the person
// locked it), for a silent one the profile is locked.
func lockedMeanwhile(name string, mode flightMode) error {
	if mode == modeSilent {
		return &LockedError{Profile: name}
	}
	return fmt.Errorf("profile %s was locked meanwhile: %w", quote(name), ErrCancelled)
}

func needsPerson(err error) bool {
	return errors.Is(err, ErrMFARequired) || errors.Is(err, ErrSSOLoginRequired)
}

// acceptLocked stores new credentials in h.
func (m *Manager) acceptLocked(h *held, res Result) {
	if !res.PersonNeededAt.Equal(h.personAt) {
		h.toldExpiring, h.toldExpired = false, false
	}
	h.creds, h.personAt = res.Credentials, res.PersonNeededAt
	h.err, h.failures, h.retryAt, h.toldFailing, h.waitsPerson = "", 0, time.Time{}, false, false
	h.warn = ""
	if res.Warning != nil {
		h.warn = oneline.String(res.Warning.Error())
	}
}

// resolve runs the chain once, serialised with the resolutions of its
// kind, under the config current once it is its turn.
func (m *Manager) resolve(ctx context.Context, name string, mfa MFAFunc, login SSOLoginFunc, fresh bool) (Result, *awsconfig.Config, error) {
	mu := &m.quietMu
	if mfa != nil || login != nil {
		mu = &m.askMu
	}
	mu.Lock()
	defer mu.Unlock()
	cfg := m.Config()
	if cfg == nil {
		return Result{}, nil, errors.New("no AWS config loaded")
	}
	r := &Resolver{Config: cfg, Store: m.c.Store, MFA: mfa, SSOLogin: login, NewSTS: m.c.NewSTS,
		NewSSOOIDC: m.c.NewSSOOIDC, NewSSO: m.c.NewSSO, Getenv: m.c.Getenv, Now: m.c.Now, Options: m.c.Options}
	res, err := r.Resolve(ctx, Request{Profile: name, Details: true, Fresh: fresh})
	return res, cfg, err
}

// resolveInteractive resolves with the MFA code from mfa_process or the
// person (or an IAM Identity Center sign-in), asking again (with AWS's
// message) after a rejected code.
func (m *Manager) resolveInteractive(ctx context.Context, name string, fresh bool) (Result, *awsconfig.Config, error) {
	// First without the person, taking turns with the silent renewals
	// (cached sessions may serve; the STS calls are those they would
	// make); the dialog only when that needs the person. Needing them is
	// found before any STS call: the code is asked for at the chain's root.
	if res, cfg, err := m.resolve(ctx, name, nil, nil, fresh); !needsPerson(err) {
		return res, cfg, err
	}
	var prev string
	for attempt := 0; ; attempt++ {
		quiet := false // this attempt holds quietMu
		mfa := func(ctx context.Context, profile, serial string) (code string, err error) {
			switch proc := MFAProcess(m.Config(), profile); {
			case proc != "" && attempt == 0:
				code, err = RunMFAProcess(ctx, profile, proc)
			case m.c.Prompt == nil:
				return "", &MFARequiredError{Profile: profile}
			default:
				code, err = m.c.Prompt(ctx, profile, serial, prev)
			}
			if err == nil && !quiet {
				// The dialog is over; the STS calls that follow are those
				// a silent renewal would make: take turns with them.
				m.quietMu.Lock()
				quiet = true
			}
			return code, err
		}
		res, cfg, err := m.resolve(ctx, name, mfa, m.c.SSOLogin, fresh)
		if quiet {
			m.quietMu.Unlock()
		}
		var ae *AWSError
		if err != nil && attempt < 2 && errors.As(err, &ae) && isMFARejection(ae) {
			prev = ae.Error()
			continue
		}
		return res, cfg, err
	}
}

// isMFARejection tells a wrong or reused code from other refusals.
func isMFARejection(e *AWSError) bool {
	return e.Code == "AccessDenied" && strings.Contains(e.Message, "MultiFactorAuthentication")
}

func (m *Manager) window() time.Duration { return m.c.Options.withDefaults().ExpiryWindow }

// personRetry is how long a renewal that needed the person waits before
// it is tried silently again (a sign-in or MFA session made elsewhere, by
// the CLI, is picked up within it; an unlock here ends the wait at once).
const personRetry = 5 * time.Minute

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
			ps.Expires, ps.PersonNeededAt, ps.Err, ps.LastUsed = h.creds.Expires, h.personAt, cmp.Or(h.err, h.warn), h.lastUsed
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
	case h.asks > 0:
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
		select { // drop the unread one: latest wins
		case <-ch:
		default:
		}
		select { // only publishers send, under mu: the slot is free
		case ch <- snap:
		default:
		}
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
