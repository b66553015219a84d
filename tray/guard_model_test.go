package tray

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/usage"
)

func TestGuardedProfileInTheMenu(t *testing.T) {
	s := snap(credentials.ProfileStatus{Name: "prod", State: credentials.StateActive, Expires: now.Add(time.Hour)},
		credentials.ProfileStatus{Name: "prod-eu"}, credentials.ProfileStatus{Name: "dev"})
	ui := UI{Now: now, Guarded: map[string]bool{"prod": true, "prod-eu": true}, GuardedExact: map[string]bool{"prod": true}}
	m := BuildMenu(s, ui)
	prod := mustFind(t, m, "p/prod")
	if prod.Title != "prod (guarded) — active" {
		t.Errorf("a guarded profile's title: %q", prod.Title)
	}
	if g := mustFind(t, m, "p/prod/guard"); !g.Checkable || !g.Checked || g.Disabled || g.Intent != (Intent{Kind: IntentGuard, Profile: "prod"}) {
		t.Errorf("Guard this profile of prod: %+v", g)
	}
	// Guarded by a pattern only: checked, not to be unchecked here.
	if g := mustFind(t, m, "p/prod-eu/guard"); !g.Checked || !g.Disabled {
		t.Errorf("Guard this profile of prod-eu: %+v", g)
	}
	if dev := mustFind(t, m, "p/dev"); strings.Contains(dev.Title, "guarded") || mustFind(t, m, "p/dev/guard").Checked {
		t.Errorf("dev is shown guarded: %q", dev.Title)
	}
	// Guarding changes titles and checks, never the shape.
	if Shape(BuildMenu(s, UI{Now: now}).Items) != Shape(m.Items) {
		t.Error("guarding a profile changed the menu's shape")
	}
}

func TestRecentUse(t *testing.T) {
	s := snap(credentials.ProfileStatus{Name: "dev"})
	empty := BuildMenu(s, UI{Now: now})
	if got := visible(mustFind(t, empty, "recent")); strings.Join(got, "|") != "(Nothing delivered yet)" {
		t.Fatalf("Recent use with no record: %q", got)
	}
	var recs []usage.Record
	for i := 0; i < 12; i++ {
		recs = append(recs, usage.Record{Time: now.Add(-time.Duration(i) * time.Minute), Profile: fmt.Sprint("p", i), Op: usage.OpExec,
			Program: "terraform", Exe: "/usr/bin/awstray", ParentExe: "/bin/bash", Outcome: usage.Served})
	}
	recs[1].Op, recs[1].Program, recs[1].ParentExe, recs[1].Outcome = usage.OpCredentialProcess, "", "/usr/bin/python3", usage.Denied
	full := BuildMenu(s, UI{Now: now, RecentUse: recs[:10]})
	got := visible(mustFind(t, full, "recent"))
	if len(got) != 10 {
		t.Fatalf("Recent use shows %d lines, want 10: %q", len(got), got)
	}
	hm := now.Local().Format("15:04")
	if want := "(" + hm + "  p0  exec terraform (from bash) — served)"; got[0] != want {
		t.Errorf("first line %q, want %q", got[0], want)
	}
	if !strings.Contains(got[1], "p1  credential-process (from python3) — denied") {
		t.Errorf("second line %q", got[1])
	}
	if Shape(empty.Items) != Shape(full.Items) {
		t.Error("a delivery changed the menu's shape")
	}
}
