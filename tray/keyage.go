package tray

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
)

// Key ages: the tray reads what the keyring knows of each stored key off
// the loop, asks IAM for creation times it lacks (at most once a day per
// profile), says once when a key passes key_max_age, and runs Rotate key….

const (
	// keyScanEvery is how often the keyring is read again for key ages.
	keyScanEvery = time.Hour
	// keyAskEvery is how often IAM may be asked about one profile's key.
	keyAskEvery = 24 * time.Hour
)

// scanKeys reads the stored keys off the loop and then, on it, takes the
// result and tells about keys past key_max_age. One scan runs at a time.
func (a *App) scanKeys(ctx context.Context) {
	if a.keyScanning {
		a.keyRescan = true
		return
	}
	a.keyScanning, a.keyScanned = true, a.o.Now()
	// Copied on the loop, which owns them.
	now, asked, cfg := a.o.Now(), maps.Clone(a.state.KeyCreatedAsked), a.o.Manager.Config()
	a.background(ctx, func(ctx context.Context) func() {
		keys, tried := a.readKeys(ctx, cfg, now, asked)
		return func() {
			a.keyScanning = false
			if keys != nil {
				a.keys = keys
			}
			if len(tried) > 0 {
				if a.state.KeyCreatedAsked == nil {
					a.state.KeyCreatedAsked = map[string]time.Time{}
				}
				for _, p := range tried {
					a.state.KeyCreatedAsked[p] = now
				}
				a.saveState()
			}
			a.checkKeyAges()
			a.render()
			if a.keyRescan {
				a.keyRescan = false
				a.scanKeys(ctx)
			}
		}
	})
}

// readKeys returns what the keyring holds of each profile's key (nil when
// the keyring cannot be listed), having asked IAM for the creation times
// it lacks, and the profiles it asked about.
func (a *App) readKeys(ctx context.Context, cfg *awsconfig.Config, now time.Time, asked map[string]time.Time) (map[string]KeyInfo, []string) {
	st, err := credentials.ReadKeyringState(a.o.Store, now)
	if err != nil {
		a.o.Log.Warn("reading key ages", "err", err)
		return nil, nil
	}
	keys := make(map[string]KeyInfo, len(st))
	for name, ks := range st {
		if ks.StoredKey {
			keys[name] = KeyInfo{Stored: true, Created: ks.KeyCreated}
		}
	}
	if cfg == nil {
		return keys, nil
	}
	var tried []string
	r := &credentials.Resolver{Config: cfg, Store: a.o.Store, Getenv: a.o.Getenv, Options: credentials.Options{Timeout: a.o.AWSTimeout}}
	for name, k := range keys {
		if !k.Created.IsZero() || now.Sub(asked[name]) < keyAskEvery {
			continue
		}
		if p, err := cfg.Profile(name); err != nil || p.Kind() != awsconfig.KindUser {
			continue
		}
		tried = append(tried, name)
		created, err := r.LearnKeyCreated(ctx, name)
		if err != nil {
			// Often the key may not read IAM: the age stays unknown.
			a.o.Log.Info("the key's creation time stays unknown", "profile", name, "err", err)
			continue
		}
		k.Created = created
		keys[name] = k
	}
	return keys, tried
}

// checkKeyAges tells once about each key older than key_max_age; a key
// that is not (rotated, or the setting raised) may be told about again
// when it crosses.
func (a *App) checkKeyAges() {
	now, max := a.o.Now(), a.settings.KeyMaxAge.Duration
	changed := false
	for name, k := range a.keys {
		if !k.Stored || k.Created.IsZero() || max <= 0 {
			continue
		}
		told, ok := a.state.KeyAgeTold[name]
		over := now.Sub(k.Created) > max
		switch {
		case over && !(ok && told.Equal(k.Created)):
			if a.state.KeyAgeTold == nil {
				a.state.KeyAgeTold = map[string]time.Time{}
			}
			a.state.KeyAgeTold[name] = k.Created
			changed = true
			days, _ := credentials.KeyAge(k.Created, now)
			a.o.Notify("keyage/"+name, fmt.Sprintf("The AWS key of %s is %d days old", name, days),
				fmt.Sprintf("It is older than key_max_age (%s). Choose Rotate key… in the %s menu of awstray to replace it.", wholeDays(max), name))
		case !over && ok:
			delete(a.state.KeyAgeTold, name)
			changed = true
		}
	}
	// Profiles whose key went: forget them, so a key stored again is new.
	for name := range a.state.KeyAgeTold {
		if k, ok := a.keys[name]; a.keys != nil && (!ok || !k.Stored) {
			delete(a.state.KeyAgeTold, name)
			changed = true
		}
	}
	if changed {
		a.saveState()
	}
}

// keyInfos is a.keys with the rotations under way, for the menu.
func (a *App) keyInfos() map[string]KeyInfo {
	if len(a.rotating) == 0 {
		return a.keys
	}
	out := maps.Clone(a.keys)
	if out == nil {
		out = map[string]KeyInfo{}
	}
	for name := range a.rotating {
		k := out[name]
		k.Rotating = true
		out[name] = k
	}
	return out
}

// rotateKey runs the rotation `awstray rotate` runs, off the loop, with
// the MFA code from mfa_process or the dialog, and says how it went.
func (a *App) rotateKey(ctx context.Context, p string) {
	if a.rotating[p] {
		return
	}
	if a.rotating == nil {
		a.rotating = map[string]bool{}
	}
	a.rotating[p] = true
	a.render()
	cfg := a.o.Manager.Config()
	a.background(ctx, func(ctx context.Context) func() {
		a.rotate(ctx, cfg, p)
		return func() {
			delete(a.rotating, p)
			a.render()
			a.scanKeys(ctx) // the new key's age, and a told age reset
		}
	})
}

func (a *App) rotate(ctx context.Context, cfg *awsconfig.Config, p string) {
	if cfg == nil {
		a.o.Notify(p, "Rotating the key of "+p+" failed", "no AWS config loaded")
		return
	}
	r := &credentials.Resolver{Config: cfg, Store: a.o.Store, Getenv: a.o.Getenv, Options: credentials.Options{Timeout: a.o.AWSTimeout},
		MFA: func(ctx context.Context, profile, serial string) (string, error) {
			if proc := credentials.MFAProcess(cfg, profile); proc != "" {
				return credentials.RunMFAProcess(ctx, profile, proc)
			}
			if a.o.Dialogs == nil {
				return "", &credentials.MFARequiredError{Profile: profile}
			}
			return a.o.Dialogs.MFACode(ctx, profile, serial, "")
		}}
	rot, err := r.Rotate(ctx, p)
	var done []string
	if res := rot.Resumed; res != nil {
		done = append(done, "An earlier rotate was finished: "+credentials.MaskAccessKeyID(res.Kept)+" kept.")
	}
	if err != nil {
		if errors.Is(err, credentials.ErrCancelled) || errors.Is(err, context.Canceled) {
			return
		}
		body := strings.Join(strings.Fields(err.Error()), " ")
		if len(done) > 0 {
			body = done[0] + " " + body
		}
		a.o.Notify(p, "Rotating the key of "+p+" failed", body)
		return
	}
	if rot.NewAccessKeyID != "" {
		done = append(done, "The new key "+credentials.MaskAccessKeyID(rot.NewAccessKeyID)+" is stored and works; the old key "+
			credentials.MaskAccessKeyID(rot.OldAccessKeyID)+" is deleted from IAM.")
	}
	a.o.Notify(p, "Rotated the key of "+p, strings.Join(done, " "))
}
