package credentials

import (
	"context"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// FederationToken makes console sign-in credentials for the IAM user
// profile name (see Resolver.FederationToken). It reads the long-term key
// from the keyring and needs no unlocked session.
func (m *Manager) FederationToken(ctx context.Context, name string, duration time.Duration) (Credentials, error) {
	return m.resolver(m.Config(), nil, nil).FederationToken(ctx, name, duration)
}

// FederationTokenWith is FederationToken signed with key, a long-term key
// the profile's credential_process gave.
func (m *Manager) FederationTokenWith(ctx context.Context, name string, key Credentials, duration time.Duration) (Credentials, error) {
	return m.resolver(m.Config(), nil, nil).FederationTokenWith(ctx, name, key, duration)
}

// resolver is the Resolver of every chain the manager runs, under cfg.
// mfa and login are how a resolution may ask the person; nil for the
// silent renewals and for federation, which signs with the long-term key
// and so never asks (nor calls the SSO clients it is also given).
func (m *Manager) resolver(cfg *awsconfig.Config, mfa MFAFunc, login SSOLoginFunc) *Resolver {
	return &Resolver{Config: cfg, Store: m.c.Store, MFA: mfa, SSOLogin: login, NewSTS: m.c.NewSTS,
		NewSSOOIDC: m.c.NewSSOOIDC, NewSSO: m.c.NewSSO, Getenv: m.c.Getenv, Now: m.c.Now, Options: m.c.Options}
}
