package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testfake"
)

// Resolve reports failed cache writes once, as a warning beside good
// credentials, and a later Resolve makes what was not cached again.
func TestResolveReportsCacheWriteWarning(t *testing.T) {
	mh, fk := newFaultMgr(t, "")
	fk.SetHooks(func(op, key string) error {
		if op == "set" && testfake.KeyHas(key, "role") {
			return errors.New("the keyring is locked")
		}
		return nil
	}, nil)
	res, err := mh.r.Resolve(context.Background(), Request{Profile: "r2"})
	if err != nil {
		t.Fatal(err)
	}
	want := `caching the role session of profile "r1": writing v1/role/r1 to fault: the keyring is locked (and 1 more failed cache writes)`
	if res.Warning == nil || res.Warning.Error() != want || !strings.HasPrefix(res.AccessKeyID, "ASIATEMP") {
		t.Fatalf("got %q, warning %v; want the warning %q", res.AccessKeyID, res.Warning, want)
	}
	fk.SetHooks(nil, nil)
	res, err = mh.r.Resolve(context.Background(), Request{Profile: "r2"})
	if err != nil || res.Warning != nil {
		t.Fatalf("second Resolve: %v, warning %v", err, res.Warning)
	}
	eq(t, mh.sts.take(),
		"GetSessionToken by AKIAUSERKEY000000000 mfa=000001 dur=28800",
		"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600",
		"AssumeRole r2 by ASIATEMP000000000002 mfa= dur=3600",
		"AssumeRole r1 by ASIATEMP000000000001 mfa= dur=3600",
		"AssumeRole r2 by ASIATEMP000000000004 mfa= dur=3600")
	if mh.codes != 1 {
		t.Fatalf("asked for %d codes, want 1: the base session was cached", mh.codes)
	}
}
