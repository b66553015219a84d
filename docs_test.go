package main

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
	"github.com/awstray/awstray/tray"
)

// The docs test keeps the names a person reads in the documentation — the
// environment variables, the settings keys and the tray's menu labels — the
// same as the code's, in both directions: a name in the docs that the code
// does not have fails, and so does a name in the code the docs leave out.

// docFiles are the documentation files a person reads.
func docFiles(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md", "SECURITY.md", "packaging/README.md"}
	more, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append(files, more...)
}

func readDoc(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading the docs: %v", err)
	}
	return string(b)
}

// tableKeys returns the backquoted names in the first cell of the
// Markdown table rows of text (several per cell when separated by commas).
func tableKeys(text string) map[string]bool {
	keys := map[string]bool{}
	cell := regexp.MustCompile("`([^`]+)`")
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| `") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), " |")
		for _, m := range cell.FindAllStringSubmatch(first, -1) {
			keys[m[1]] = true
		}
	}
	return keys
}

// codeFiles returns the program's Go sources: no tests, no test helpers.
func codeFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == filepath.Join("internal", "testenv") || path == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			files[path] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func sorted(m map[string]bool) []string {
	s := make([]string, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// TestDocsEnvironment: every AWSTRAY_ variable the program reads is in
// docs/environment.md's table, every AWS_ variable it reads by name is on
// that page, and every AWSTRAY_ variable any document names exists in the
// code (tests' own included: CONTRIBUTING.md names the test switches).
func TestDocsEnvironment(t *testing.T) {
	env := readDoc(t, "docs/environment.md")
	table := tableKeys(env)
	ours := regexp.MustCompile(`"(AWSTRAY_[A-Z0-9_]*[A-Z0-9])"`)
	read := regexp.MustCompile(`[gG]etenv\("(AWS_[A-Z0-9_]*[A-Z0-9])"\)`)
	code := map[string]bool{}
	var all strings.Builder
	for _, src := range codeFiles(t) {
		for _, m := range ours.FindAllStringSubmatch(src, -1) {
			code[m[1]] = true
		}
		for _, m := range read.FindAllStringSubmatch(src, -1) {
			if !strings.Contains(env, "`"+m[1]+"`") {
				t.Errorf("the code reads %s, which docs/environment.md does not name", m[1])
			}
		}
		all.WriteString(src)
	}
	for _, name := range sorted(code) {
		if !table[name] {
			t.Errorf("the code reads %s, which is not in docs/environment.md's table", name)
		}
	}
	// Test files, test helpers and the scripts CI runs count for the other
	// direction.
	_ = filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".sh") || path == "Makefile") {
			b, _ := os.ReadFile(path)
			all.Write(b)
		}
		return nil
	})
	everything := all.String()
	named := regexp.MustCompile(`AWSTRAY_[A-Z0-9_]*[A-Z0-9]`)
	for _, f := range docFiles(t) {
		for _, name := range named.FindAllString(readDoc(t, f), -1) {
			if !strings.Contains(everything, `"`+name+`"`) && !strings.Contains(everything, name+"=") {
				t.Errorf("%s names %s, which the code does not have", f, name)
			}
		}
	}
	if len(code) < 10 {
		t.Fatalf("found only %d AWSTRAY_ variables in the code: the scan is broken", len(code))
	}
}

// TestDocsSettings: docs/settings.md's table lists exactly the keys of
// settings.Settings.
func TestDocsSettings(t *testing.T) {
	code := map[string]bool{}
	st := reflect.TypeOf(settings.Settings{})
	for i := 0; i < st.NumField(); i++ {
		if tag, _, _ := strings.Cut(st.Field(i).Tag.Get("toml"), ","); tag != "" && tag != "-" {
			code[tag] = true
		}
	}
	if len(code) < 10 {
		t.Fatalf("found only %d settings keys in settings.Settings", len(code))
	}
	docs := tableKeys(readDoc(t, "docs/settings.md"))
	for _, k := range sorted(code) {
		if !docs[k] {
			t.Errorf("settings key %s is not in docs/settings.md's table", k)
		}
	}
	for _, k := range sorted(docs) {
		if !code[k] {
			t.Errorf("docs/settings.md lists %s, which settings.Settings does not have", k)
		}
	}
}

// TestDocsMenu: docs/tray.md's table lists exactly the labels BuildMenu
// makes, over snapshots that between them show every item: N stands for
// a number, … for a name, a time or a message.
func TestDocsMenu(t *testing.T) {
	code := menuLabels()
	docs := tableKeys(readDoc(t, "docs/tray.md"))
	for _, l := range sorted(code) {
		if !docs[l] {
			t.Errorf("the menu shows %q, which is not in docs/tray.md's table", l)
		}
	}
	for _, l := range sorted(docs) {
		if !code[l] {
			t.Errorf("docs/tray.md lists %q, which the menu does not show", l)
		}
	}
}

// menuLabels renders menus from snapshots with every state, and returns
// their labels with names, times and messages as …, and numbers as N.
func menuLabels() map[string]bool {
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	const msg = "the-message"
	user := func(name string, st credentials.State) credentials.ProfileStatus {
		return credentials.ProfileStatus{Name: name, Kind: awsconfig.KindUser, State: st}
	}
	active := user("p-active", credentials.StateActive)
	active.Expires = now.Add(40 * time.Minute)
	mfa := user("p-mfa", credentials.StateActive)
	mfa.Expires, mfa.PersonNeededAt = now.Add(time.Hour), now.Add(7*time.Hour+59*time.Minute)
	sso := credentials.ProfileStatus{Name: "p-sso", Kind: awsconfig.KindSSO, State: credentials.StateActive, SignIn: true,
		Expires: now.Add(time.Hour), PersonNeededAt: now.Add(3 * time.Hour)}
	ssoEnded := sso
	ssoEnded.Name, ssoEnded.State, ssoEnded.PersonNeededAt = "p-sso-ended", credentials.StateNeedsMFA, now.Add(-time.Minute)
	expiring := user("p-expiring", credentials.StateExpiring)
	expiring.PersonNeededAt = now.Add(8 * time.Minute)
	ended := user("p-ended", credentials.StateNeedsMFA)
	ended.PersonNeededAt = now.Add(-time.Minute)
	failed := user("p-error", credentials.StateError)
	failed.Err = msg
	warned := active
	warned.Name, warned.Err = "p-warned", msg
	lockedErr := user("p-locked-error", credentials.StateLocked)
	lockedErr.Err = msg
	longTerm := user("p-long-term", credentials.StateActive)
	profiles := []credentials.ProfileStatus{
		user("p-locked", credentials.StateLocked), user("p-unlocking", credentials.StateUnlocking),
		active, mfa, sso, ssoEnded, expiring, ended, failed, warned, lockedErr, longTerm,
		{Name: "p-role", Kind: awsconfig.KindRole, State: credentials.StateLocked},
	}
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name)
	}
	keys := map[string]tray.KeyInfo{
		"p-active": {Stored: true, Created: now.Add(-97 * 24 * time.Hour)},
		"p-mfa":    {Stored: true, Rotating: true},
		"p-locked": {Stored: true, Created: now.Add(-24 * time.Hour)},
	}
	rich := tray.UI{Now: now, ExportFormat: "env", NotifyLead: 10 * time.Minute, ClipboardTimeout: time.Minute,
		Terminal: "xterm", SettingsErr: msg, Keys: keys, KeyMaxAge: 90 * 24 * time.Hour,
		Guarded: map[string]bool{"p-active": true, "p-mfa": true}, GuardedExact: map[string]bool{"p-active": true},
		RecentUse: []usage.Record{{Time: now, Profile: "p-active", Op: "exec", Program: "aws", ParentExe: "/bin/bash", Outcome: "served"}}}
	snap := func(ps ...credentials.ProfileStatus) credentials.Snapshot {
		return credentials.Snapshot{Profiles: ps, Taken: now}
	}
	var many []credentials.ProfileStatus
	for i := 0; i < 30; i++ {
		many = append(many, user(fmt.Sprintf("m%02d", i), credentials.StateLocked))
	}
	many[3].State = credentials.StateActive
	many[4].State = credentials.StateUnlocking
	many = append(many, mfa)
	menus := []tray.Menu{
		tray.BuildMenu(snap(profiles...), rich),
		tray.BuildMenu(snap(), tray.UI{Now: now}),
		tray.BuildMenu(snap(user("p-locked", credentials.StateLocked), user("p-locked2", credentials.StateLocked)), tray.UI{Now: now}),
		tray.BuildMenu(credentials.Snapshot{Profiles: profiles[:1], ConfigErr: msg, Taken: now}, tray.UI{Now: now}),
		tray.BuildMenu(snap(many...), tray.UI{Now: now, Recent: []string{"m07"}, Guarded: map[string]bool{"m08": true}}),
	}
	names = append(names, "p-locked2")
	for _, m := range many {
		names = append(names, m.Name)
	}
	// Longest first, so that "p-locked" does not eat "p-locked-error".
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	digits := regexp.MustCompile(`[0-9]+`)
	labels := map[string]bool{}
	var walk func([]tray.Item)
	walk = func(items []tray.Item) {
		for _, it := range items {
			skip := it.Title == "" || it.Hidden ||
				// Choices and entries whose title is a value or a record.
				strings.HasPrefix(it.ID, "settings/format/") || strings.HasPrefix(it.ID, "settings/lead/") ||
				strings.HasPrefix(it.ID, "settings/clipboard/") || regexp.MustCompile(`^(recent|all)/[0-9]+$`).MatchString(it.ID)
			if !skip {
				l := strings.NewReplacer(msg, "…", "xterm", "…").Replace(it.Title)
				for _, n := range names {
					l = strings.ReplaceAll(l, n, "\x00")
				}
				// A profile's label: its name, "(guarded)", then its state.
				if rest, ok := strings.CutPrefix(l, "\x00 (guarded) — "); ok {
					labels["(guarded)"] = true
					l = rest
				} else if rest, ok := strings.CutPrefix(l, "\x00 — "); ok {
					l = rest
				}
				l = strings.ReplaceAll(l, "\x00", "…")
				labels[digits.ReplaceAllString(l, "N")] = true
			}
			walk(it.Children)
		}
	}
	for _, m := range menus {
		walk(m.Items)
	}
	return labels
}
