package tray

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/usage"
)

// agentBackend serves the manager to the CLI over the agent socket.
type agentBackend struct {
	m *credentials.Manager
	// used records a profile the CLI asked for, for the recent list.
	used func(profile string)
	// locked tells the person about server fetches of a locked profile;
	// nil tells nobody.
	locked *lockedNotices
	// guard asks before a guarded profile goes to a new consumer; nil
	// guards nothing.
	guard *guard
	// record keeps the usage record and recs reads it; nil keeps none.
	record func(usage.Record)
	recs   func() []usage.Record
	// describe tells who the peer is (usage.DescribePeer; tests replace it).
	describe func(pid int) usage.Peer
	now      func() time.Time
}

// newAgentBackend is the backend of the tray's agent: it tells the person,
// through notify, when the programs of an `exec --server` terminal wait for
// a locked profile, until ctx ends.
func newAgentBackend(ctx context.Context, m *credentials.Manager, notify func(key, title, body string)) agentBackend {
	n := newLockedNotices(notify)
	snaps, stop := m.Subscribe()
	go func() {
		defer stop()
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-snaps:
				n.seen(s)
			}
		}
	}()
	return agentBackend{m: m, locked: n, describe: usage.DescribePeer, now: time.Now}
}

func (b agentBackend) Credentials(ctx context.Context, req agent.Request) (credentials.Credentials, error) {
	return b.deliver(ctx, req, func(ctx context.Context) (credentials.Credentials, error) {
		c, err := b.m.Credentials(ctx, req.Profile, req.Interactive)
		if req.Purpose == agent.PurposeServer && b.locked != nil {
			var le *credentials.LockedError
			switch {
			case errors.As(err, &le):
				b.locked.locked(req.Profile)
			case err == nil:
				b.locked.unlocked(req.Profile)
			}
		}
		return c, err
	})
}

// FederationToken makes the backend an agent.Federator: `awstray login`
// of an IAM user profile gets its federation token here, as the tray's own
// Open console does, so that a guarded profile is asked about and the
// delivery recorded like every other.
func (b agentBackend) FederationToken(ctx context.Context, req agent.Request) (credentials.Credentials, error) {
	return b.deliver(ctx, req, func(ctx context.Context) (credentials.Credentials, error) {
		return b.m.FederationToken(ctx, req.Profile, time.Duration(req.DurationSeconds)*time.Second)
	})
}

// deliver is what every delivery to the CLI goes through: a profile the
// tray's config has (else the CLI works on its own: nothing delivered),
// the guard's question, get, and the usage record of the outcome.
func (b agentBackend) deliver(ctx context.Context, req agent.Request, get func(context.Context) (credentials.Credentials, error)) (c credentials.Credentials, err error) {
	if _, err := b.m.Config().Profile(req.Profile); err != nil {
		return credentials.Credentials{}, err
	}
	peer := usage.Peer{PID: req.PeerPID}
	if b.describe != nil {
		peer = b.describe(req.PeerPID)
	}
	if b.record != nil {
		defer func() { b.record(deliveryRecord(b.now(), req, peer, err)) }()
	}
	if b.guard != nil {
		if err := b.guard.check(ctx, req, peer); err != nil {
			return credentials.Credentials{}, err
		}
	}
	c, err = get(ctx)
	if err == nil && b.used != nil {
		b.used(req.Profile)
	}
	return c, err
}

// deliveryRecord is the usage record of one credentials request.
func deliveryRecord(now time.Time, req agent.Request, peer usage.Peer, err error) usage.Record {
	r := usage.Record{Time: now, Profile: req.Profile, Op: usageOp(req), PID: peer.PID, Exe: peer.Exe,
		ParentExe: peer.ParentExe, Program: req.Program, Outcome: usage.Served}
	var (
		re *agent.RefusedError
		le *credentials.LockedError
	)
	switch {
	case err == nil:
	case errors.As(err, &re):
		r.Outcome = usage.Denied
	case errors.As(err, &le):
		r.Outcome = usage.Locked
	default:
		r.Outcome, r.Error = usage.Error, err.Error()
	}
	return r
}

func (b agentBackend) Unlock(ctx context.Context, profile string) error {
	if _, err := b.m.Config().Profile(profile); err != nil {
		return err
	}
	return b.m.Unlock(ctx, profile)
}

func (b agentBackend) Lock(profile string) error { return b.m.Lock(profile) }

// Usage makes the backend an agent.UsageSource, for `awstray log`.
func (b agentBackend) Usage() []usage.Record {
	if b.recs == nil {
		return nil
	}
	return b.recs()
}

func (b agentBackend) Profiles() []agent.ProfileInfo {
	snap := b.m.Snapshot()
	out := make([]agent.ProfileInfo, 0, len(snap.Profiles))
	for _, p := range snap.Profiles {
		pi := agent.ProfileInfo{Name: p.Name, Kind: string(p.Kind), State: p.State.String()}
		if !p.Expires.IsZero() {
			pi.Expires = timePtr(p.Expires)
		}
		if !p.PersonNeededAt.IsZero() {
			pi.PersonNeededAt = timePtr(p.PersonNeededAt)
		}
		out = append(out, pi)
	}
	return out
}

func timePtr(t time.Time) *time.Time { return &t }

// lockedNotices tells the person that the programs of an `exec --server`
// terminal ask for a profile that is locked — once: their SDKs ask again
// and again (boto3 three times a call), and a dialog is out of the
// question (see agent.PurposeServer). Once the profile is unlocked again,
// the next lock is told again.
type lockedNotices struct {
	notify func(key, title, body string)
	now    func() time.Time // the Manager's clock, which stamps Snapshot.Taken

	mu   sync.Mutex      // protects told, held and lockedAt
	told map[string]bool // profiles the person was told about and has not unlocked since
	// held is which profiles the last snapshot seen held: a profile is
	// unlocked again when a snapshot holds it and the one before did not.
	held map[string]bool
	// lockedAt is when a server fetch last found the profile locked. A
	// snapshot taken before then that holds it is late news (it was read
	// from the Manager before a lock and handled after): it unlocks
	// nothing.
	lockedAt map[string]time.Time
}

func newLockedNotices(notify func(key, title, body string)) *lockedNotices {
	return &lockedNotices{notify: notify, now: time.Now, told: map[string]bool{}, held: map[string]bool{}, lockedAt: map[string]time.Time{}}
}

// locked is a server fetch of a locked profile.
func (n *lockedNotices) locked(profile string) {
	n.mu.Lock()
	first := !n.told[profile]
	n.told[profile] = true
	n.held[profile] = false
	n.lockedAt[profile] = n.now()
	n.mu.Unlock()
	if first && n.notify != nil {
		// In the request, so that the notification is out before the SDK
		// sees its error; notify's calls are bounded.
		n.notify(profile, profile+" is locked",
			"Unlock it to let the programs in that terminal continue.")
	}
}

// unlocked is a server fetch of the profile that got credentials.
func (n *lockedNotices) unlocked(profile string) {
	n.mu.Lock()
	delete(n.told, profile)
	n.mu.Unlock()
}

// seen takes in one of the manager's snapshots, in the order published. A
// profile whose unlock is under way is not unlocked yet: a cancelled
// dialog leaves it locked, and the person knows.
func (n *lockedNotices) seen(s credentials.Snapshot) {
	n.mu.Lock()
	defer n.mu.Unlock()
	held := make(map[string]bool, len(s.Profiles))
	for _, p := range s.Profiles {
		h := p.Held() && p.State != credentials.StateUnlocking
		if at, ok := n.lockedAt[p.Name]; ok && s.Taken.Before(at) {
			h = false
		}
		if h && !n.held[p.Name] {
			delete(n.told, p.Name)
		}
		held[p.Name] = h
	}
	n.held = held
}
