package keystore

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Diagnosis is what Diagnose found out about a backend without opening it
// or reading any item: for `awstray doctor`.
type Diagnosis struct {
	Backend string
	// Detected is set when opts named no backend and Diagnose picked it as
	// Open would; Why then says why, for a person.
	Detected bool
	Why      string
	// Err is why the backend cannot be used; nil when it can.
	Err error
	// Locked: the Secret Service collection is locked (using it shows an
	// unlock prompt). Only for secret-service.
	Locked bool
	// Collection is the Secret Service collection looked at.
	Collection string
}

// Diagnose reports which backend Open would use with opts, why, whether it
// can be reached and whether its collection is locked. Nothing is opened,
// read, written or prompted for; each check takes at most opts.Timeout
// (capped at 3 s).
func Diagnose(opts Options) Diagnosis {
	o := opts.withDefaults()
	d := Diagnosis{Backend: o.Backend, Collection: o.Collection}
	if d.Backend == "" {
		d.Backend, _ = detect(o)
		d.Detected, d.Why = true, detectedBecause(d.Backend, o)
	} else if !slices.Contains(Backends(), d.Backend) {
		d.Err = fmt.Errorf("unknown keyring backend %q (valid: %s)", d.Backend, strings.Join(Backends(), ", "))
		return d
	}
	if _, err := reachable(d.Backend, o, false); err != nil {
		d.Err = err
		return d
	}
	if d.Backend == BackendSecretService {
		locked, err := collectionLocked(o.Collection, min(probeTimeout, o.Timeout))
		if err != nil {
			d.Err = err
		}
		d.Locked = locked
	}
	return d
}

// errNoCollection is collectionLocked's error for a missing collection.
var errNoCollection = errors.New("no such collection")
