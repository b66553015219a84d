// Package tray renders the session manager's state as a tray menu
// (fyne.io/systray) and turns clicks into intents for one event loop.
//
// Rendering is a pure function, BuildMenu, from a Snapshot and the UI's own
// state to a Menu; apply.go is the one place that touches systray. The menu's
// shape (its item IDs and nesting) changes only when the profile list does;
// everything else — titles, hidden items, checks — is updated in place, as
// a click landing during a rebuild can panic inside systray.
package tray

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/usage"
)

// IntentKind is what a click asks for.
type IntentKind int

// The intents.
const (
	IntentNone IntentKind = iota
	IntentUnlock
	IntentOpenTerminal
	IntentCopyExports
	IntentOpenConsole
	IntentRefresh
	IntentLock
	IntentAddProfile
	IntentLockAll
	IntentSetting
	IntentEditSettings
	IntentQuit
	IntentRotateKey
	IntentGuard // toggle the profile's own entry in guarded_profiles
)

// Intent is a click's meaning; handlers send it and return.
type Intent struct {
	Kind    IntentKind
	Profile string
	Setting string // for IntentSetting
	Value   string
}

// Item is one menu entry. ID is stable across renders: same ID, same
// systray item.
type Item struct {
	ID        string
	Title     string
	Tooltip   string
	Disabled  bool
	Checkable bool
	Checked   bool
	Hidden    bool
	Intent    Intent
	Children  []Item
}

// Icon is the tray icon's state.
type Icon int

// The icons, one per worst state.
const (
	IconLocked Icon = iota
	IconActive
	IconExpiring
	IconError
)

// Menu is the whole tray: icon, tooltip and items.
type Menu struct {
	Icon    Icon
	Tooltip string
	Items   []Item
}

// UI is the tray's own state that the menu shows besides the snapshot.
type UI struct {
	Now              time.Time
	Recent           []string // profiles used lately, most recent first
	ExportFormat     string
	NotifyLead       time.Duration
	ClipboardTimeout time.Duration
	StartAtLogin     bool
	TerminalServer   bool   // terminals get refreshing credentials
	Terminal         string // what "Open terminal" starts, for the Settings menu
	LockOnScreenLock bool
	LockOnSuspend    bool
	SettingsErr      string
	// Guarded says which profiles guarded_profiles matches, and
	// GuardedExact which it names (those the menu can unguard).
	Guarded      map[string]bool
	GuardedExact map[string]bool
	// RecentUse is the usage record's last entries, newest first.
	RecentUse []usage.Record
	// Keys is what the tray knows of each profile's stored key, by
	// profile name; KeyMaxAge is the key_max_age setting.
	Keys      map[string]KeyInfo
	KeyMaxAge time.Duration
}

// KeyInfo is a profile's stored long-term key as the menu shows it.
type KeyInfo struct {
	Stored   bool
	Created  time.Time // zero: unknown
	Rotating bool      // a Rotate key… of the profile is under way
}

// Limits of the profile list.
const (
	flatLimit   = 15 // up to this many profiles, all at the top level
	recentSlots = 10 // above it: this many slots for held and recent profiles
	groupSize   = 25 // and the rest in alphabetical groups of this size
)

// Choices the Settings menu offers.
var (
	exportFormats  = []string{"env", "fish", "powershell", "windows-cmd", "env-no-export"}
	notifyLeads    = []time.Duration{5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute}
	clipboardTimes = []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute}
)

// BuildMenu renders the menu. It is pure: the same input gives the same
// menu.
func BuildMenu(s credentials.Snapshot, ui UI) Menu {
	m := Menu{}
	held := 0
	for _, p := range s.Profiles {
		if p.Held() {
			held++
		}
	}
	worst, who := s.Worst()
	need := "MFA"
	for _, p := range s.Profiles {
		if p.Name == who && p.SignIn {
			need = "sign-in"
		}
	}
	m.Icon, m.Tooltip = iconAndTooltip(worst, who, need, held)

	m.Items = append(m.Items, Item{ID: "status", Title: statusLine(s, held), Disabled: true})
	m.Items = append(m.Items, profileItems(s, ui)...)
	m.Items = append(m.Items,
		Item{ID: "add", Title: "Add profile…", Tooltip: "Store an access key and add the profile to the AWS config", Intent: Intent{Kind: IntentAddProfile}},
		Item{ID: "lockall", Title: "Lock all", Disabled: held == 0, Tooltip: "Forget every session", Intent: Intent{Kind: IntentLockAll}},
		recentUseItem(ui),
		settingsItem(ui),
		Item{ID: "quit", Title: "Quit", Intent: Intent{Kind: IntentQuit}},
	)
	return m
}

// iconAndTooltip: need is what the worst profile needs when its session
// ended ("MFA", "sign-in").
func iconAndTooltip(worst credentials.State, who, need string, held int) (Icon, string) {
	switch worst {
	case credentials.StateError:
		return IconError, fmt.Sprintf("awstray — %s: error", who)
	case credentials.StateNeedsMFA:
		return IconExpiring, fmt.Sprintf("awstray — %s needs %s", who, need)
	case credentials.StateExpiring:
		return IconExpiring, fmt.Sprintf("awstray — %s expires soon", who)
	case credentials.StateActive, credentials.StateUnlocking:
		return IconActive, fmt.Sprintf("awstray — %d profile%s unlocked", held, plural(held))
	}
	return IconLocked, "awstray — all profiles locked"
}

func statusLine(s credentials.Snapshot, held int) string {
	switch {
	case s.ConfigErr != "":
		return "Config error: " + s.ConfigErr
	case len(s.Profiles) == 0:
		return "No AWS profiles yet — add one to start"
	case held == 0:
		return fmt.Sprintf("%d profile%s, all locked", len(s.Profiles), plural(len(s.Profiles)))
	}
	return fmt.Sprintf("%d of %d profile%s unlocked", held, len(s.Profiles), plural(len(s.Profiles)))
}

func profileItems(s credentials.Snapshot, ui UI) []Item {
	if len(s.Profiles) <= flatLimit {
		items := make([]Item, 0, len(s.Profiles))
		for _, p := range s.Profiles {
			items = append(items, guardItem(withKey(profileItem("p/"+p.Name, p, ui.Now), p, ui), p.Name, ui))
		}
		return items
	}
	// Many profiles: slots for held and recent ones first, then every
	// profile in alphabetical groups. The slots keep their IDs while the
	// profiles they show change, so the shape stays put.
	byName := make(map[string]credentials.ProfileStatus, len(s.Profiles))
	for _, p := range s.Profiles {
		byName[p.Name] = p
	}
	var top []credentials.ProfileStatus
	seen := map[string]bool{}
	for _, p := range s.Profiles {
		if p.Held() && len(top) < recentSlots {
			top, seen[p.Name] = append(top, p), true
		}
	}
	for _, name := range ui.Recent {
		if p, ok := byName[name]; ok && !seen[name] && len(top) < recentSlots {
			top, seen[name] = append(top, p), true
		}
	}
	items := make([]Item, 0, recentSlots+1)
	for i := 0; i < recentSlots; i++ {
		id := fmt.Sprintf("slot/%d", i)
		if i < len(top) {
			items = append(items, guardItem(withKey(profileItem(id, top[i], ui.Now), top[i], ui), top[i].Name, ui))
			continue
		}
		// An empty slot: the same shape, hidden.
		empty := guardItem(withKey(profileItem(id, credentials.ProfileStatus{}, ui.Now), credentials.ProfileStatus{}, ui), "", ui)
		empty.Hidden = true
		items = append(items, empty)
	}
	sorted := append([]credentials.ProfileStatus(nil), s.Profiles...)
	sort.Slice(sorted, func(i, j int) bool { return strings.ToLower(sorted[i].Name) < strings.ToLower(sorted[j].Name) })
	all := Item{ID: "all", Title: fmt.Sprintf("All profiles (%d)", len(sorted))}
	for start := 0; start < len(sorted); start += groupSize {
		end := min(start+groupSize, len(sorted))
		g := Item{ID: fmt.Sprintf("all/%d", start/groupSize), Title: sorted[start].Name + " … " + sorted[end-1].Name}
		for _, p := range sorted[start:end] {
			e := groupEntry(p, ui.Now)
			if ui.Guarded[p.Name] {
				e.Title = p.Name + guardMark + " — " + stateText(p, ui.Now)
			}
			g.Children = append(g.Children, e)
		}
		all.Children = append(all.Children, g)
	}
	return append(items, all)
}

// groupEntry is a profile in the alphabetical groups: one item, not a
// submenu (hundreds of submenus cost the tray and the panel dearly). A click
// unlocks the profile, which then shows at the top with all its actions;
// on a profile that is unlocked already it opens a terminal.
func groupEntry(p credentials.ProfileStatus, now time.Time) Item {
	it := Item{ID: "p/" + p.Name, Title: p.Name + " — " + stateText(p, now)}
	switch {
	case p.State == credentials.StateUnlocking:
		it.Disabled = true
	case !p.Held() || p.State == credentials.StateNeedsMFA || p.State == credentials.StateError:
		it.Tooltip = "Unlock " + p.Name + "; it then shows at the top of the menu with its actions"
		it.Intent = Intent{Kind: IntentUnlock, Profile: p.Name}
	default:
		it.Tooltip = "Open a terminal for " + p.Name
		it.Intent = Intent{Kind: IntentOpenTerminal, Profile: p.Name}
	}
	return it
}

// profileItem is a profile's submenu. Every profile has the same children;
// the state hides the ones that do not apply.
func profileItem(id string, p credentials.ProfileStatus, now time.Time) Item {
	held := p.Held()
	busy := p.State == credentials.StateUnlocking
	canUse := held && p.State != credentials.StateError && !busy && !(p.State == credentials.StateNeedsMFA && !p.Expires.After(now))
	needsUnlock := !held || p.State == credentials.StateNeedsMFA || p.State == credentials.StateError
	it := Item{ID: id, Title: p.Name + " — " + stateText(p, now), Tooltip: detail(p, now)}
	intent := func(k IntentKind) Intent { return Intent{Kind: k, Profile: p.Name} }
	it.Children = []Item{
		{ID: id + "/info", Title: detail(p, now), Disabled: true},
		{ID: id + "/unlock", Title: "Unlock…", Hidden: !needsUnlock, Disabled: busy, Intent: intent(IntentUnlock)},
		{ID: id + "/terminal", Title: "Open terminal", Hidden: !held, Disabled: !canUse, Intent: intent(IntentOpenTerminal)},
		{ID: id + "/copy", Title: "Copy exports", Hidden: !held, Disabled: !canUse, Intent: intent(IntentCopyExports)},
		{ID: id + "/console", Title: "Open console", Hidden: !held, Disabled: !canUse, Tooltip: "Sign in to the AWS console in the browser", Intent: intent(IntentOpenConsole)},
		{ID: id + "/refresh", Title: "Refresh now", Hidden: !held, Disabled: busy, Intent: intent(IntentRefresh)},
		{ID: id + "/lock", Title: "Lock", Hidden: !held, Disabled: busy, Intent: intent(IntentLock)},
	}
	return it
}

// withKey adds the key's age and "Rotate key…" to a profile's submenu.
// Both are always there, hidden when the profile has no stored key, so
// the menu's shape does not change when a key is added or its age learnt.
func withKey(it Item, p credentials.ProfileStatus, ui UI) Item {
	k := ui.Keys[p.Name]
	if p.Kind != awsconfig.KindUser {
		k = KeyInfo{}
	}
	age := Item{ID: it.ID + "/keyage", Disabled: true, Hidden: true}
	if days, ok := credentials.KeyAge(k.Created, ui.Now); ok && k.Stored {
		age.Hidden = false
		age.Title = fmt.Sprintf("key %d day%s old", days, plural(days))
		age.Tooltip = "Created " + k.Created.Local().Format("2006-01-02")
		if ui.KeyMaxAge > 0 && ui.Now.Sub(k.Created) > ui.KeyMaxAge {
			age.Tooltip += fmt.Sprintf("; older than key_max_age (%s): rotate it", wholeDays(ui.KeyMaxAge))
		}
	}
	rotate := Item{ID: it.ID + "/rotate", Title: "Rotate key…", Hidden: !k.Stored, Disabled: k.Rotating,
		Tooltip: "Replace the stored access key with a new one, then delete the old one from IAM (as awstray rotate)",
		Intent:  Intent{Kind: IntentRotateKey, Profile: p.Name}}
	if k.Rotating {
		rotate.Title = "Rotating key…"
	}
	it.Children = append(it.Children, age, rotate)
	return it
}

// wholeDays shows a duration of whole days as "90 days", others as Go does.
func wholeDays(d time.Duration) string {
	const day = 24 * time.Hour
	if d%day == 0 {
		n := int(d / day)
		return fmt.Sprintf("%d day%s", n, plural(n))
	}
	return d.String()
}

// guardMark follows a guarded profile's name in the menu.
const guardMark = " (guarded)"

// guardItem marks a guarded profile's submenu and adds its "Guard this
// profile" toggle. A profile guarded by a pattern only shows the check
// but cannot be unguarded here: the pattern is the settings file's.
func guardItem(it Item, name string, ui UI) Item {
	guarded := ui.Guarded[name]
	if guarded {
		if head, tail, ok := strings.Cut(it.Title, " — "); ok && head == name {
			it.Title = name + guardMark + " — " + tail
		}
	}
	toggle := Item{ID: it.ID + "/guard", Title: "Guard this profile", Checkable: true, Checked: guarded,
		Tooltip: "Ask in the tray before each new program gets this profile's credentials",
		Intent:  Intent{Kind: IntentGuard, Profile: name}}
	if guarded && !ui.GuardedExact[name] {
		toggle.Disabled = true
		toggle.Tooltip = "Guarded by a pattern in guarded_profiles: change it in the settings file"
	}
	it.Children = append(it.Children, toggle)
	return it
}

// recentSlotsUse is how many deliveries "Recent use" lists.
const recentSlotsUse = 10

// recentUseItem lists the last deliveries, in fixed slots so that a new
// one changes titles only, never the menu's shape.
func recentUseItem(ui UI) Item {
	it := Item{ID: "recent", Title: "Recent use"}
	it.Children = append(it.Children, Item{ID: "recent/none", Title: "Nothing delivered yet", Disabled: true, Hidden: len(ui.RecentUse) > 0})
	for i := 0; i < recentSlotsUse; i++ {
		slot := Item{ID: fmt.Sprintf("recent/%d", i), Disabled: true, Hidden: i >= len(ui.RecentUse)}
		if i < len(ui.RecentUse) {
			slot.Title = useLine(ui.RecentUse[i])
		}
		it.Children = append(it.Children, slot)
	}
	return it
}

// useLine is one delivery in "Recent use": when, what, who, how it ended.
func useLine(r usage.Record) string {
	s := r.Time.Local().Format("15:04") + "  " + r.Profile + "  " + r.Op
	if r.Program != "" {
		s += " " + r.Program
	}
	// The parent is who started the awstray that asked: the shell, the
	// SDK's program.
	if who := cmpOr(r.ParentExe, r.Exe); who != "" {
		s += " (from " + filepathBase(who) + ")"
	}
	return s + " — " + r.Outcome
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// filepathBase is the last element of a slash- or backslash-separated path.
func filepathBase(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// stateText is the state part of a profile's label.
func stateText(p credentials.ProfileStatus, now time.Time) string {
	switch p.State {
	case credentials.StateLocked:
		return "locked"
	case credentials.StateUnlocking:
		return "unlocking…"
	case credentials.StateNeedsMFA:
		if p.SignIn {
			return "needs sign-in"
		}
		return "needs MFA"
	case credentials.StateError:
		return "error"
	case credentials.StateExpiring:
		return "expires in " + Left(p.PersonNeededAt.Sub(now))
	}
	if !p.PersonNeededAt.IsZero() {
		return Left(p.PersonNeededAt.Sub(now)) + " left"
	}
	return "active"
}

// detail is the one-line explanation in a profile's submenu.
func detail(p credentials.ProfileStatus, now time.Time) string {
	switch {
	case p.Err != "" && (p.State == credentials.StateError || !p.Held()):
		return "Error: " + p.Err
	case !p.Held():
		return "Locked"
	case p.Err != "":
		// Held and working, but something went wrong on the side (a
		// session that could not be cached): say it, or nobody knows.
		return "Warning: " + p.Err
	case p.State == credentials.StateUnlocking:
		return "Unlocking…"
	case p.State == credentials.StateNeedsMFA:
		return "Session ended — unlock to renew"
	case !p.PersonNeededAt.IsZero():
		if p.SignIn {
			return "Signed in until " + p.PersonNeededAt.Local().Format("15:04")
		}
		return "MFA session until " + p.PersonNeededAt.Local().Format("15:04")
	case !p.Expires.IsZero():
		return "Renewed automatically"
	}
	return "Long-term key"
}

// Left shows a duration in whole minutes, never seconds: labels that tick
// every second close open submenus on some desktops.
func Left(d time.Duration) string {
	d = d.Truncate(time.Minute)
	switch {
	case d < time.Minute:
		return "<1m"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%dh %02dm", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func settingsItem(ui UI) Item {
	s := Item{ID: "settings", Title: "Settings"}
	s.Children = append(s.Children, Item{ID: "settings/error", Title: "Settings file error: " + ui.SettingsErr, Disabled: true, Hidden: ui.SettingsErr == ""})
	format := Item{ID: "settings/format", Title: "Copy exports as"}
	for _, f := range exportFormats {
		format.Children = append(format.Children, Item{ID: "settings/format/" + f, Title: f, Checkable: true, Checked: ui.ExportFormat == f,
			Intent: Intent{Kind: IntentSetting, Setting: "export_format", Value: f}})
	}
	lead := Item{ID: "settings/lead", Title: "Notify before expiry"}
	for _, d := range notifyLeads {
		lead.Children = append(lead.Children, Item{ID: "settings/lead/" + d.String(), Title: Left(d), Checkable: true, Checked: ui.NotifyLead == d,
			Intent: Intent{Kind: IntentSetting, Setting: "notify_lead", Value: d.String()}})
	}
	clip := Item{ID: "settings/clipboard", Title: "Clear clipboard after"}
	for _, d := range clipboardTimes {
		title := fmt.Sprintf("%d s", int(d/time.Second))
		if d >= time.Minute {
			title = Left(d)
		}
		clip.Children = append(clip.Children, Item{ID: "settings/clipboard/" + d.String(), Title: title, Checkable: true, Checked: ui.ClipboardTimeout == d,
			Intent: Intent{Kind: IntentSetting, Setting: "clipboard_timeout", Value: d.String()}})
	}
	s.Children = append(s.Children, format, lead, clip,
		Item{ID: "settings/login", Title: "Start at login", Checkable: true, Checked: ui.StartAtLogin,
			Intent: Intent{Kind: IntentSetting, Setting: "start_at_login", Value: fmt.Sprint(!ui.StartAtLogin)}},
		Item{ID: "settings/server", Title: "Terminals refresh their credentials", Checkable: true, Checked: ui.TerminalServer,
			Tooltip: "Open terminal runs awstray exec --server: programs in it renew credentials from the tray",
			Intent:  Intent{Kind: IntentSetting, Setting: "terminal_server", Value: fmt.Sprint(!ui.TerminalServer)}},
		Item{ID: "settings/lockscreen", Title: "Lock all when the screen locks", Checkable: true, Checked: ui.LockOnScreenLock,
			Intent: Intent{Kind: IntentSetting, Setting: "lock_on_screen_lock", Value: fmt.Sprint(!ui.LockOnScreenLock)}},
		Item{ID: "settings/locksuspend", Title: "Lock all on suspend", Checkable: true, Checked: ui.LockOnSuspend,
			Intent: Intent{Kind: IntentSetting, Setting: "lock_on_suspend", Value: fmt.Sprint(!ui.LockOnSuspend)}},
		Item{ID: "settings/terminal", Title: "Terminal: " + orNone(ui.Terminal), Disabled: true},
		Item{ID: "settings/edit", Title: "Edit settings file…", Intent: Intent{Kind: IntentEditSettings}},
	)
	return s
}

func orNone(s string) string {
	if s == "" {
		return "none found"
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// Shape is the menu's structure: the IDs and their nesting. Two menus with
// the same Shape are applied by updating items in place.
func Shape(items []Item) string {
	var b strings.Builder
	var walk func([]Item)
	walk = func(items []Item) {
		for _, it := range items {
			b.WriteString(it.ID)
			if it.Checkable {
				b.WriteByte('*')
			}
			if len(it.Children) > 0 {
				b.WriteByte('(')
				walk(it.Children)
				b.WriteByte(')')
			}
			b.WriteByte(',')
		}
	}
	walk(items)
	return b.String()
}
