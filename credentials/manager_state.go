package credentials

import (
	"cmp"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// What the Manager shows: the states and Snapshots it publishes (latest
// wins; a Snapshot equal to the last one is not sent again) and the Events
// it tells the person about.

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
