package doctor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/settings"
)

// checkKeyring says which keyring backend awstray uses, why, and whether it
// can be used now, and lists the stored keys (names only) when that needs
// no prompt.
func checkKeyring(ctx context.Context, e Env, st settingsState, stErr error) (Result, keyList) {
	var fe *settings.FileError
	if errors.As(stErr, &fe) && fe.Bad("backend") && e.Getenv("AWSTRAY_BACKEND") == "" {
		return Result{Status: Fail, Detail: "the backend setting cannot be read: " + oneline.String(fe.Error()),
				Fix: "fix " + st.path + " or set AWSTRAY_BACKEND"},
			keyList{why: "the backend is unknown"}
	}
	opts, chosenBy := keyringOptions(e, st)
	d := keystore.Diagnose(opts)
	chosen := "chosen: " + chosenBy
	if d.Detected {
		chosen = "chosen: detected, " + d.Why
	}
	if d.Err != nil {
		fix := "start it, or choose another backend (backend in " + st.path + ")"
		if chosenBy == "AWSTRAY_BACKEND" {
			fix = "start it, or set AWSTRAY_BACKEND to another backend"
		}
		return Result{Status: Fail, Detail: fmt.Sprintf("%s: %s (%s)", d.Backend, oneline.String(d.Err.Error()), chosen), Fix: fix},
			keyList{backend: d.Backend, why: d.Backend + " is not available"}
	}
	switch d.Backend {
	case keystore.BackendSecretService:
		if d.Locked {
			r := Result{Status: Warn, Detail: fmt.Sprintf("%s (%s collection locked, the first use asks for its password; %s)", d.Backend, d.Collection, chosen),
				Fix: "unlock it (log in to the desktop session, or open Passwords and Keys)"}
			if e.Getenv("DISPLAY") == "" && e.Getenv("WAYLAND_DISPLAY") == "" {
				r.Status = Fail
				r.Detail = fmt.Sprintf("%s (%s collection locked and no display to ask for its password on; %s)", d.Backend, d.Collection, chosen)
				r.Fix = "unlock it (e.g. gnome-keyring-daemon --unlock), or run awstray in the desktop session"
			}
			return r, keyList{backend: d.Backend, why: "the collection is locked"}
		}
		return listKeys(ctx, opts, d, Result{Status: OK, Detail: fmt.Sprintf("%s (%s collection unlocked; %s)", d.Backend, d.Collection, chosen)})
	case keystore.BackendFile:
		return checkFileKeyring(ctx, e, opts, d, chosen)
	}
	return listKeys(ctx, opts, d, Result{Status: OK, Detail: fmt.Sprintf("%s (%s)", d.Backend, chosen)})
}

// checkFileKeyring lists the file keyring only when its passphrase is in
// the environment and the keyring has its canary already: doctor neither
// prompts nor writes.
func checkFileKeyring(ctx context.Context, e Env, opts keystore.Options, d keystore.Diagnosis, chosen string) (Result, keyList) {
	dir := opts.FileDir
	if dir == "" {
		if conf, err := os.UserConfigDir(); err == nil {
			dir = filepath.Join(conf, "awstray", "keyring")
		}
	}
	r := Result{Status: OK, Detail: fmt.Sprintf("%s (%s; %s)", d.Backend, dir, chosen)}
	if opts.Backend == "" {
		// Detection falls back to the file: say what would be better.
		r.Status = Warn
		r.Fix = "install and unlock a Secret Service (GNOME Keyring, KeePassXC) or KWallet, or set backend = \"file\" in the settings to keep this one"
	}
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0):
		return r, keyList{backend: d.Backend, listed: true, keys: map[string]bool{}}
	case err != nil:
		r.Status, r.Detail = Fail, fmt.Sprintf("%s: reading %s: %s (%s)", d.Backend, dir, oneline.String(err.Error()), chosen)
		r.Fix = "check the folder's owner and permissions"
		return r, keyList{backend: d.Backend, why: "the folder cannot be read"}
	}
	if opts.FilePassphrase == nil {
		return r, keyList{backend: d.Backend, why: "the file keyring's passphrase is asked when it is used"}
	}
	return listKeys(ctx, opts, d, r)
}

// listKeys opens the backend and lists awstray's keys (their names: no
// item is read).
func listKeys(ctx context.Context, opts keystore.Options, d keystore.Diagnosis, r Result) (Result, keyList) {
	opts.Backend = d.Backend
	opts.Remember = nil
	type listed struct {
		keys []keystore.Key
		err  error
	}
	done := make(chan listed, 1)
	go func() {
		s, err := keystore.Open(opts)
		if err != nil {
			done <- listed{err: err}
			return
		}
		keys, err := s.List()
		done <- listed{keys, err}
	}()
	var l listed
	select {
	case l = <-done:
	case <-ctx.Done():
		l.err = fmt.Errorf("listing the keys: %w", ctx.Err())
	}
	if l.err != nil {
		r.Status = Fail
		r.Detail = fmt.Sprintf("%s: %s", d.Backend, oneline.String(l.err.Error()))
		r.Fix = "unlock or restart the keyring"
		if errors.Is(l.err, keystore.ErrWrongPassphrase) {
			r.Fix = "set AWSTRAY_FILE_PASSPHRASE to the file keyring's passphrase"
		}
		return r, keyList{backend: d.Backend, why: "the keys could not be listed"}
	}
	k := keyList{backend: d.Backend, listed: true, keys: map[string]bool{}}
	for _, key := range l.keys {
		if key.Kind == keystore.KindKey {
			k.keys[key.Profile] = true
		}
	}
	return r, k
}
