package tray

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
)

var now = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func hm(t time.Time) string { return t.Local().Format("15:04") }

func snap(ps ...credentials.ProfileStatus) credentials.Snapshot {
	return credentials.Snapshot{Profiles: ps, ConfigPath: "/home/me/.aws/config"}
}

func find(items []Item, id string) (Item, bool) {
	for _, it := range items {
		if it.ID == id {
			return it, true
		}
		if c, ok := find(it.Children, id); ok {
			return c, ok
		}
	}
	return Item{}, false
}

func mustFind(t *testing.T, m Menu, id string) Item {
	t.Helper()
	it, ok := find(m.Items, id)
	if !ok {
		t.Fatalf("no item %s", id)
	}
	return it
}

// visible lists the titles of the visible children of an item.
func visible(it Item) []string {
	var out []string
	for _, c := range it.Children {
		if !c.Hidden {
			s := c.Title
			if c.Disabled {
				s = "(" + s + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

func TestTopLevelOrder(t *testing.T) {
	m := BuildMenu(snap(credentials.ProfileStatus{Name: "dev", Kind: awsconfig.KindUser}), UI{Now: now})
	var ids []string
	for _, it := range m.Items {
		ids = append(ids, it.ID)
	}
	if got := strings.Join(ids, " "); got != "status p/dev add lockall recent settings quit" {
		t.Fatalf("top level: %s", got)
	}
	if !m.Items[0].Disabled || m.Items[0].Title != "1 profile, all locked" {
		t.Fatalf("status line: %+v", m.Items[0])
	}
	if !mustFind(t, m, "lockall").Disabled {
		t.Fatal("Lock all is enabled with nothing held")
	}
}

func TestProfileStates(t *testing.T) {
	tests := []struct {
		p        credentials.ProfileStatus
		title    string
		children string
	}{
		{credentials.ProfileStatus{Name: "dev"}, "dev — locked", "(Locked) | Unlock…"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateUnlocking}, "dev — unlocking…", "(Unlocking…) | (Open terminal) | (Copy exports) | (Open console) | (Refresh now) | (Lock)"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateActive, Expires: now.Add(time.Hour), PersonNeededAt: now.Add(7*time.Hour + 59*time.Minute + 30*time.Second)},
			"dev — 7h 59m left", "(MFA session until " + hm(now.Add(7*time.Hour+59*time.Minute+30*time.Second)) + ") | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateActive, Expires: now.Add(time.Hour)}, "dev — active", "(Renewed automatically) | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateActive, Expires: now.Add(time.Hour), Err: "caching the session of profile \"dev\": the disk is full"},
			"dev — active", "(Warning: caching the session of profile \"dev\": the disk is full) | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateExpiring, Expires: now.Add(time.Hour), PersonNeededAt: now.Add(8 * time.Minute)},
			"dev — expires in 8m", "(MFA session until " + hm(now.Add(8*time.Minute)) + ") | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateNeedsMFA, Expires: now.Add(20 * time.Minute), PersonNeededAt: now.Add(-time.Minute)},
			"dev — needs MFA", "(Session ended — unlock to renew) | Unlock… | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateNeedsMFA, SignIn: true, Expires: now.Add(20 * time.Minute), PersonNeededAt: now.Add(-time.Minute)},
			"dev — needs sign-in", "(Session ended — unlock to renew) | Unlock… | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateActive, SignIn: true, Expires: now.Add(time.Hour), PersonNeededAt: now.Add(3 * time.Hour)},
			"dev — 3h 00m left", "(Signed in until " + hm(now.Add(3*time.Hour)) + ") | Open terminal | Copy exports | Open console | Refresh now | Lock"},
		{credentials.ProfileStatus{Name: "dev", State: credentials.StateError, Err: "InvalidClientTokenId: The security token included in the request is invalid."},
			"dev — error", "(Error: InvalidClientTokenId: The security token included in the request is invalid.) | Unlock… | (Open terminal) | (Copy exports) | (Open console) | Refresh now | Lock"},
	}
	for _, tc := range tests {
		t.Run(tc.title, func(t *testing.T) {
			m := BuildMenu(snap(tc.p), UI{Now: now})
			it := mustFind(t, m, "p/dev")
			if it.Title != tc.title {
				t.Errorf("title %q, want %q", it.Title, tc.title)
			}
			// Every profile can be guarded: the toggle comes last.
			if got := strings.Join(visible(it), " | "); got != tc.children+" | Guard this profile" {
				t.Errorf("children:\n got %s\nwant %s", got, tc.children)
			}
		})
	}
}

func TestIconAndTooltip(t *testing.T) {
	for _, tc := range []struct {
		states  []credentials.State
		icon    Icon
		tooltip string
	}{
		{nil, IconLocked, "awstray — all profiles locked"},
		{[]credentials.State{credentials.StateLocked, credentials.StateActive}, IconActive, "awstray — 1 profile unlocked"},
		{[]credentials.State{credentials.StateActive, credentials.StateExpiring, credentials.StateActive}, IconExpiring, "awstray — p1 expires soon"},
		{[]credentials.State{credentials.StateNeedsMFA, credentials.StateExpiring}, IconExpiring, "awstray — p0 needs MFA"},
		{[]credentials.State{credentials.StateActive, credentials.StateNeedsMFA, credentials.StateError}, IconError, "awstray — p2: error"},
	} {
		var ps []credentials.ProfileStatus
		for i, s := range tc.states {
			ps = append(ps, credentials.ProfileStatus{Name: fmt.Sprintf("p%d", i), State: s})
		}
		m := BuildMenu(snap(ps...), UI{Now: now})
		if m.Icon != tc.icon || m.Tooltip != tc.tooltip {
			t.Errorf("%v: icon %d %q, want %d %q", tc.states, m.Icon, m.Tooltip, tc.icon, tc.tooltip)
		}
	}
	m := BuildMenu(snap(credentials.ProfileStatus{Name: "corp", State: credentials.StateNeedsMFA, SignIn: true}), UI{Now: now})
	if m.Tooltip != "awstray — corp needs sign-in" {
		t.Errorf("an SSO profile's tooltip: %q", m.Tooltip)
	}
}

func TestNoConfig(t *testing.T) {
	m := BuildMenu(credentials.Snapshot{}, UI{Now: now})
	if m.Items[0].Title != "No AWS profiles yet — add one to start" {
		t.Fatalf("status: %q", m.Items[0].Title)
	}
	if m.Items[1].ID != "add" || m.Items[1].Disabled {
		t.Fatalf("Add profile… is not offered next: %+v", m.Items[1])
	}
	m = BuildMenu(credentials.Snapshot{ConfigErr: "config:3: line has no \"=\" or \":\"", Profiles: []credentials.ProfileStatus{{Name: "a"}}}, UI{Now: now})
	if m.Items[0].Title != `Config error: config:3: line has no "=" or ":"` {
		t.Fatalf("status: %q", m.Items[0].Title)
	}
}

func manyProfiles(n int, held map[int]bool) credentials.Snapshot {
	var ps []credentials.ProfileStatus
	for i := 0; i < n; i++ {
		p := credentials.ProfileStatus{Name: fmt.Sprintf("acct-%03d", n-i)} // config order is not alphabetical
		if held[i] {
			p.State, p.Expires = credentials.StateActive, now.Add(time.Hour)
		}
		ps = append(ps, p)
	}
	return snap(ps...)
}

func TestManyProfiles(t *testing.T) {
	s := manyProfiles(500, map[int]bool{10: true, 400: true})
	m := BuildMenu(s, UI{Now: now, Recent: []string{"acct-007", "acct-490", "nope"}})
	var top []string
	for _, it := range m.Items {
		if strings.HasPrefix(it.ID, "slot/") && !it.Hidden {
			top = append(top, it.Title)
		}
	}
	// Held first (config order), then recent; the rest are in groups.
	want := "acct-490 — active | acct-100 — active | acct-007 — locked"
	if got := strings.Join(top, " | "); got != want {
		t.Fatalf("top profiles: %s, want %s", got, want)
	}
	all := mustFind(t, m, "all")
	if all.Title != "All profiles (500)" || len(all.Children) != 20 {
		t.Fatalf("groups: %q with %d children", all.Title, len(all.Children))
	}
	if g := all.Children[0]; g.Title != "acct-001 … acct-025" || len(g.Children) != 25 {
		t.Fatalf("first group: %q, %d", g.Title, len(g.Children))
	}
	// A group lists profiles as single items: a click unlocks.
	if it := mustFind(t, m, "p/acct-001"); len(it.Children) != 0 || it.Intent != (Intent{Kind: IntentUnlock, Profile: "acct-001"}) || it.Title != "acct-001 — locked" {
		t.Fatalf("group entry: %+v", it)
	}
	if it := mustFind(t, m, "p/acct-100"); it.Intent.Kind != IntentOpenTerminal || it.Title != "acct-100 — active" {
		t.Fatalf("held group entry: %+v", it)
	}
	// Top level stays short enough to use.
	if n := len(m.Items); n > 20 {
		t.Fatalf("%d top-level items", n)
	}
	// Unlocking another profile changes titles and visibility, not the shape.
	s2 := manyProfiles(500, map[int]bool{10: true, 400: true, 250: true})
	m2 := BuildMenu(s2, UI{Now: now, Recent: []string{"acct-007"}})
	if Shape(m.Items) != Shape(m2.Items) {
		t.Fatal("the shape changed on unlock; systray would rebuild the whole menu")
	}
	// A new profile in the config changes it.
	if Shape(BuildMenu(manyProfiles(501, nil), UI{Now: now}).Items) == Shape(m.Items) {
		t.Fatal("the shape did not change with the profile list")
	}
}

func TestSlotIntentsFollowTheirProfile(t *testing.T) {
	m := BuildMenu(manyProfiles(50, map[int]bool{3: true}), UI{Now: now})
	it := mustFind(t, m, "slot/0/terminal")
	if it.Intent != (Intent{Kind: IntentOpenTerminal, Profile: "acct-047"}) {
		t.Fatalf("slot 0 opens %+v", it.Intent)
	}
	m = BuildMenu(manyProfiles(50, map[int]bool{5: true}), UI{Now: now})
	if it := mustFind(t, m, "slot/0/terminal"); it.Intent.Profile != "acct-045" {
		t.Fatalf("slot 0 now opens %+v", it.Intent)
	}
}

func TestSettingsMenu(t *testing.T) {
	m := BuildMenu(snap(), UI{Now: now, ExportFormat: "fish", NotifyLead: 10 * time.Minute, ClipboardTimeout: time.Minute, StartAtLogin: true, Terminal: "xterm"})
	for id, checked := range map[string]bool{
		"settings/format/fish": true, "settings/format/env": false,
		"settings/lead/10m0s": true, "settings/lead/5m0s": false,
		"settings/clipboard/1m0s": true, "settings/clipboard/30s": false,
		"settings/login": true,
	} {
		if it := mustFind(t, m, id); it.Checked != checked || !it.Checkable {
			t.Errorf("%s: checked %v, want %v", id, it.Checked, checked)
		}
	}
	if it := mustFind(t, m, "settings/login"); it.Intent != (Intent{Kind: IntentSetting, Setting: "start_at_login", Value: "false"}) {
		t.Errorf("start at login toggles to %+v", it.Intent)
	}
	// The lock toggles: off by default, each click flips its own setting.
	if it := mustFind(t, m, "settings/lockscreen"); it.Checked || !it.Checkable || it.Intent != (Intent{Kind: IntentSetting, Setting: "lock_on_screen_lock", Value: "true"}) {
		t.Errorf("lock on screen lock: %+v", it)
	}
	on := BuildMenu(snap(), UI{Now: now, LockOnScreenLock: true, LockOnSuspend: true})
	if it := mustFind(t, on, "settings/locksuspend"); !it.Checked || it.Intent != (Intent{Kind: IntentSetting, Setting: "lock_on_suspend", Value: "false"}) {
		t.Errorf("lock on suspend: %+v", it)
	}
	if Shape(on.Items) != Shape(m.Items) {
		t.Error("a toggle changed the menu's shape")
	}
	if it := mustFind(t, m, "settings/error"); !it.Hidden {
		t.Error("the settings error line shows without an error")
	}
	m2 := BuildMenu(snap(), UI{Now: now, SettingsErr: "settings.toml:2: bad"})
	if it := mustFind(t, m2, "settings/error"); it.Hidden || it.Title != "Settings file error: settings.toml:2: bad" {
		t.Errorf("settings error: %+v", it)
	}
	if Shape(m.Items) != Shape(m2.Items) {
		t.Error("a settings error changed the shape")
	}
}

func TestLeft(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "<1m", 59*time.Second + time.Minute: "1m", 59 * time.Minute: "59m",
		time.Hour: "1h 00m", 8*time.Hour - time.Second: "7h 59m", -time.Minute: "<1m",
	} {
		if got := Left(d); got != want {
			t.Errorf("Left(%s) = %s, want %s", d, got, want)
		}
	}
}

func TestNoSecretInMenu(t *testing.T) {
	// The snapshot carries no credentials at all: the menu cannot show one.
	// Errors are shown, and they come from AWS codes and messages.
	m := BuildMenu(snap(credentials.ProfileStatus{Name: "dev", State: credentials.StateError, Err: "AccessDenied: not allowed"}), UI{Now: now})
	var walk func([]Item)
	walk = func(items []Item) {
		for _, it := range items {
			for _, s := range []string{it.Title, it.Tooltip} {
				if strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") {
					t.Errorf("key material in %q", s)
				}
			}
			walk(it.Children)
		}
	}
	walk(m.Items)
}
