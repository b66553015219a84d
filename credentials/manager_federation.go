package credentials

import (
	"context"
	"time"
)

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
