package credentials

import (
	"fmt"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
)

// Locking. A locked profile keeps nothing in the keyring that only it
// needed: every cached item of its chain (its role sessions, the base
// session of the IAM user at the root, an IAM Identity Center sign-in) that
// no held profile needs goes. "Held" counts an unlock under way. The same
// rule clears up after a resolution whose entry was locked while it ran,
// and after a config reload that changed or removed chains.

// Lock forgets the profile and drops the cached items of its chain that no
// other held profile needs — an IAM Identity Center sign-in locally, with
// no portal logout. A renewal or unlock of it under way is cancelled, and
// its result refused.
func (m *Manager) Lock(name string) error {
	m.mu.Lock()
	if h := m.held[name]; h != nil {
		m.dropEntryLocked(name, h)
	}
	m.epoch++
	m.lockedAt[name] = m.epoch
	cands := cachedItems(m.config, name, m.c.Options)
	m.publishLocked()
	m.mu.Unlock()
	return m.dropUnneeded(cands)
}

// LockAll forgets every profile, cancels what was under way for them, and
// drops every cached session.
func (m *Manager) LockAll() error {
	m.mu.Lock()
	for name, h := range m.held {
		m.dropEntryLocked(name, h)
	}
	m.epoch++
	m.allLockedAt = m.epoch
	m.publishLocked()
	m.mu.Unlock()
	return m.dropAllUnneeded()
}

// newEntryLocked holds name with a new identity; the caller holds mu.
func (m *Manager) newEntryLocked(name string) *held {
	m.epoch++
	h := &held{epoch: m.epoch}
	m.held[name] = h
	return h
}

// dropEntryLocked forgets h, which holds name, and cancels its
// resolutions; the caller holds mu and drops the cached items after.
func (m *Manager) dropEntryLocked(name string, h *held) {
	delete(m.held, name)
	m.flights.cancelEntry(name, h.epoch)
}

// neededLocked is the set of cached items the held profiles need under the
// current config; the caller holds mu.
func (m *Manager) neededLocked() map[keystore.Key]bool {
	need := make(map[keystore.Key]bool)
	for name := range m.held {
		for _, k := range cachedItems(m.config, name, m.c.Options) {
			need[k] = true
		}
	}
	return need
}

// dropUnneeded removes those of cands that no held profile needs. What it
// fails to remove is kept to retry at the next Check. Deciding and removing
// are apart (the keyring is not called under mu), so an unlock starting in
// between may find an item gone and make it again: a cost, never a leak —
// whatever a resolution writes is checked again when it settles.
func (m *Manager) dropUnneeded(cands []keystore.Key) error {
	if len(cands) == 0 {
		return nil
	}
	m.mu.Lock()
	need := m.neededLocked()
	var drop []keystore.Key
	for _, k := range cands {
		delete(m.pending, k)
		if !need[k] {
			need[k] = true // once
			drop = append(drop, k)
		}
	}
	m.mu.Unlock()
	var first error
	for _, k := range drop {
		if err := m.c.Store.Remove(k); err != nil {
			m.mu.Lock()
			m.pending[k] = true
			m.mu.Unlock()
			if first == nil {
				first = fmt.Errorf("dropping a cached session of profile %q: %w", k.Profile, err)
			}
		}
	}
	return first
}

// dropAllUnneeded removes every cached item no held profile needs.
func (m *Manager) dropAllUnneeded() error {
	m.mu.Lock()
	clear(m.pending) // the listing covers them
	m.mu.Unlock()
	keys, err := m.c.Store.List()
	if err != nil {
		m.mu.Lock()
		m.pendingAll = true
		m.mu.Unlock()
		return fmt.Errorf("listing the keyring: %w", err)
	}
	var cands []keystore.Key
	for _, k := range keys {
		if isCachedItem(k) {
			cands = append(cands, k)
		}
	}
	return m.dropUnneeded(cands)
}

// retryDrops retries the removals that failed.
func (m *Manager) retryDrops() {
	m.mu.Lock()
	all := m.pendingAll
	m.pendingAll = false
	cands := make([]keystore.Key, 0, len(m.pending))
	for k := range m.pending {
		cands = append(cands, k)
	}
	m.mu.Unlock()
	if all {
		_ = m.dropAllUnneeded()
		return
	}
	_ = m.dropUnneeded(cands)
}

func isCachedItem(k keystore.Key) bool {
	return k.Kind == keystore.KindSession || k.Kind == keystore.KindRole || k.Kind == keystore.KindSSOToken
}

// cachedItems lists the keyring items a resolution of name under cfg reads
// and writes. It follows Resolver.roleCreds and baseCreds (the manager asks
// for no Duration and no NoSession): each role's session; the base session
// of an IAM user reached as a source (not when a role over an hour is
// assumed straight from the key); an SSO profile's role credentials and its
// sign-in token, which every profile of the sso-session shares.
func cachedItems(cfg *awsconfig.Config, name string, o Options) []keystore.Key {
	if cfg == nil {
		return nil
	}
	chain, err := cfg.Chain(name)
	if err != nil {
		// No chain now; what a resolution could have cached under the name.
		return []keystore.Key{{Kind: keystore.KindRole, Profile: name}, {Kind: keystore.KindSession, Profile: name}}
	}
	o = o.withDefaults()
	var out []keystore.Key
	for i, p := range chain {
		if p.RoleARN == "" {
			switch p.Kind() {
			case awsconfig.KindUser:
				out = append(out, keystore.Key{Kind: keystore.KindSession, Profile: p.Name})
			case awsconfig.KindSSO:
				out = append(out, keystore.Key{Kind: keystore.KindRole, Profile: p.Name},
					keystore.Key{Kind: keystore.KindSSOToken, Profile: SSOCacheName(cfg, p)})
			}
			return out
		}
		out = append(out, keystore.Key{Kind: keystore.KindRole, Profile: p.Name})
		if kp, fromKey := hasKeySource(chain, i); fromKey {
			d := p.Duration
			if d == 0 {
				d = o.RoleDuration
			}
			if d <= roleChainLimit {
				out = append(out, keystore.Key{Kind: keystore.KindSession, Profile: kp.Name})
			}
			return out
		}
	}
	return out // the last role's source is its own credential_process
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
