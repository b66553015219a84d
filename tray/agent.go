package tray

import (
	"context"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials"
)

// agentBackend serves the manager to the CLI over the agent socket.
type agentBackend struct {
	m *credentials.Manager
	// used records a profile the CLI asked for, for the recent list.
	used func(profile string)
}

func (b agentBackend) Credentials(ctx context.Context, profile string, interactive bool) (credentials.Credentials, error) {
	if _, err := b.m.Config().Profile(profile); err != nil {
		return credentials.Credentials{}, err
	}
	c, err := b.m.Credentials(ctx, profile, interactive)
	if err == nil && b.used != nil {
		b.used(profile)
	}
	return c, err
}

func (b agentBackend) Unlock(ctx context.Context, profile string) error {
	if _, err := b.m.Config().Profile(profile); err != nil {
		return err
	}
	return b.m.Unlock(ctx, profile)
}

func (b agentBackend) Lock(profile string) error { return b.m.Lock(profile) }

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
