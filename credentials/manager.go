package credentials

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

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

func quote(s string) string { return `"` + s + `"` }
