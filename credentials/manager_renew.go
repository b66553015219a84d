package credentials

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/oneline"
)

// Renewal. Run looks at the wall clock every Tick and Check renews what
// is due; each renewal or unlock is a flight (manager_flight.go) whose
// result settle takes into its entry, or refuses if the entry was locked
// meanwhile. Failures back off; a renewal that needs the person waits
// personRetry between silent tries.

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
	res, err := m.resolver(cfg, mfa, login).Resolve(ctx, Request{Profile: name, Details: true, Fresh: fresh})
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
