// Package settings reads awstray's own settings: a small, hand-editable
// TOML file in the user's config folder. Missing keys take defaults. Each
// key is decoded on its own: a bad value is reported with its line and
// leaves that one setting at its default, never the others — above all not
// the keyring backend, which decides where keys are.
package settings

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/awstray/awstray/internal/atomicfile"
)

// Settings are the user's choices. The zero value means "the default" for
// every field.
type Settings struct {
	// Backend is the keyring backend ("secret-service", "file", …); "" picks
	// the best reachable one.
	Backend string `toml:"backend"`
	// SessionDuration is the lifetime asked of GetSessionToken.
	SessionDuration Duration `toml:"session_duration"`
	// RoleDuration is the lifetime asked of AssumeRole when a profile has
	// no duration_seconds.
	RoleDuration Duration `toml:"role_duration"`

	// NotifyLead is how long before an MFA session ends the tray says so.
	NotifyLead Duration `toml:"notify_lead"`
	// Terminal is the terminal emulator "Open terminal" starts (a name or
	// a path); "" finds one.
	Terminal string `toml:"terminal"`
	// ExportFormat is the format "Copy exports" uses; "" follows $SHELL.
	ExportFormat string `toml:"export_format"`
	// ClipboardTimeout clears copied export lines after this long, if the
	// clipboard still holds them.
	ClipboardTimeout Duration `toml:"clipboard_timeout"`
	// StartAtLogin starts the tray with the desktop session.
	StartAtLogin bool `toml:"start_at_login"`
	// Dialogs is the dialog tool for MFA codes and passphrases ("auto",
	// "zenity", "kdialog", "osascript", "powershell", "ykman").
	Dialogs string `toml:"dialogs"`
	// YkmanAccount is the OATH account whose code ykman reads.
	YkmanAccount string `toml:"ykman_account"`
	// TerminalServer makes "Open terminal" run `awstray exec --server`, so
	// programs in the terminal refresh their credentials from the tray
	// (default true).
	TerminalServer *bool `toml:"terminal_server"`
	// LockOnScreenLock locks every profile when the screen locks.
	LockOnScreenLock bool `toml:"lock_on_screen_lock"`
	// LockOnSuspend locks every profile before the machine suspends.
	LockOnSuspend bool `toml:"lock_on_suspend"`
	// KeyMaxAge is the age past which the tray says a stored key is due
	// for rotation (default 90 days); written "90d" or "2160h".
	KeyMaxAge Duration `toml:"key_max_age"`
	// Browser opens the AWS console (`awstray login`, the tray's Open
	// console): a command where %s stands for the URL, or a built-in mode
	// ("firefox-container", "chromium-profile", each optionally followed by
	// the browser's command); see browser.Parse. "" is $BROWSER,
	// else the system's default browser.
	Browser string `toml:"browser"`
	// Browsers are per-profile overrides of Browser: the [browsers] table
	// of "glob" = "command" lines.
	Browsers BrowserRules `toml:"browsers"`
	// GuardedProfiles are glob patterns (path.Match: * ? [a-z]) of the
	// profiles whose every new consumer needs a yes from the person.
	GuardedProfiles []string `toml:"guarded_profiles"`
	// GuardRemember is how long a yes holds for the same terminal session.
	GuardRemember Duration `toml:"guard_remember"`
}

// BrowserRule is one line of the [browsers] table.
type BrowserRule struct {
	Glob    string // a path.Match pattern of profile names
	Command string // as the browser setting
}

// BrowserRules are the [browsers] table in file order. It holds a pointer
// so that Settings stays comparable with ==; the rules are never changed
// after decoding.
type BrowserRules struct{ list *[]BrowserRule }

// Rules returns the rules in file order.
func (r BrowserRules) Rules() []BrowserRule {
	if r.list == nil {
		return nil
	}
	return *r.list
}

// BrowserFor is the browser setting for profile's console: the command of
// the first [browsers] line, in file order, whose glob matches the name,
// else the browser setting.
func (s Settings) BrowserFor(profile string) string {
	for _, r := range s.Browsers.Rules() {
		if ok, _ := path.Match(r.Glob, profile); ok {
			return r.Command
		}
	}
	return s.Browser
}

// DefaultGuardRemember is how long a yes for a guarded profile holds for
// the terminal session it was given to.
const DefaultGuardRemember = 15 * time.Minute

// Guarded reports whether profile matches one of GuardedProfiles. The
// tray and the CLI both ask here, so they never disagree on a profile.
func (s Settings) Guarded(profile string) bool {
	for _, pat := range s.GuardedProfiles {
		if ok, err := path.Match(pat, profile); err == nil && ok {
			return true
		}
	}
	return false
}

// GuardExact reports whether profile is itself in GuardedProfiles (not
// only matched by a pattern): what the menu's toggle can remove.
func (s Settings) GuardExact(profile string) bool {
	return slices.Contains(s.GuardedProfiles, profile)
}

// QuoteList makes a TOML array of basic strings.
func QuoteList(items []string) string {
	q := make([]string, len(items))
	for i, it := range items {
		q[i] = Quote(it)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// UseTerminalServer reports TerminalServer, true when unset.
func (s Settings) UseTerminalServer() bool { return s.TerminalServer == nil || *s.TerminalServer }

// Defaults of the tray settings.
const (
	DefaultNotifyLead       = 10 * time.Minute
	DefaultClipboardTimeout = 60 * time.Second
	DefaultKeyMaxAge        = 90 * 24 * time.Hour
)

// WithDefaults fills unset fields.
func (s Settings) WithDefaults() Settings {
	if s.NotifyLead.Duration == 0 {
		s.NotifyLead.Duration = DefaultNotifyLead
	}
	if s.ClipboardTimeout.Duration == 0 {
		s.ClipboardTimeout.Duration = DefaultClipboardTimeout
	}
	if s.Dialogs == "" {
		s.Dialogs = "auto"
	}
	if s.KeyMaxAge.Duration == 0 {
		s.KeyMaxAge.Duration = DefaultKeyMaxAge
	}
	if s.GuardRemember.Duration == 0 {
		s.GuardRemember.Duration = DefaultGuardRemember
	}
	return s
}

// Duration is a time.Duration written as "8h" or "45m" in the file, or
// as a whole number of days, "90d" (Go's durations stop at hours).
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 8h or 45m", b)
	}
	if v <= 0 {
		return fmt.Errorf("%q is not a positive duration", b)
	}
	d.Duration = v
	return nil
}

// maxDays keeps a number of days within a time.Duration.
const maxDays = 100 * 365

func parseDuration(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok && n != "" && !strings.ContainsAny(n, "+-") {
		days, err := strconv.Atoi(n)
		if err != nil || days > maxDays {
			return 0, errors.New("not a number of days")
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Path is AWSTRAY_SETTINGS, else settings.toml in the user's config folder
// (~/.config/awstray on Linux).
func Path(getenv func(string) string) (string, error) {
	if p := getenv("AWSTRAY_SETTINGS"); p != "" {
		return p, nil
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		var err error
		if dir, err = os.UserConfigDir(); err != nil {
			return "", fmt.Errorf("finding the settings folder: %w", err)
		}
	}
	return filepath.Join(dir, "awstray", "settings.toml"), nil
}

// Load reads the settings at path; a missing file gives the defaults. When
// part of the file cannot be used the error is a *FileError, and the
// Settings returned with it hold every setting that could: the caller
// keeps them and says what was wrong. Any other error (the file cannot be
// read) comes with the zero Settings.
func Load(path string) (Settings, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Settings{}, nil
	}
	if err != nil {
		return Settings{}, fmt.Errorf("reading settings: %w", err)
	}
	s, problems := decode(string(b))
	if len(problems) > 0 {
		return s, &FileError{Path: path, Problems: problems}
	}
	return s, nil
}

// Set writes one top-level setting into the file at path, keeping every
// other line (comments included) as it is: the line that sets key is
// replaced, or the setting is appended before the first table. value is a
// TOML value, quoted as needed by the caller (use Quote for strings). A
// value that would not load is refused and nothing is written; problems
// the file already had elsewhere stay as they are. The write is atomic,
// takes the writers' lock, keeps a symbolic link and, should the person
// save the file meanwhile, is made again on what they saved.
func Set(path, key, value string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	var refused error
	err := atomicfile.Edit(path, 0o600, func(old []byte, _ bool) ([]byte, error) {
		out := setLine(string(old), key, value)
		if p, ok := newProblem(string(old), out); ok {
			refused = fmt.Errorf("setting %s: the result would not load: %s", key, p.Msg)
			return nil, refused
		}
		return []byte(out), nil
	})
	if refused != nil {
		return refused
	}
	if err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	return nil
}

// setLine returns text with key set to value.
func setLine(text, key, value string) string {
	lines := strings.SplitAfter(text, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	line := key + " = " + value + "\n"
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			break // a table starts: top-level keys end here
		}
		if lineKey(l) == key {
			lines[i] = line
			return strings.Join(lines, "")
		}
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(lines[n-1], "\n") {
		lines[n-1] += "\n"
	}
	// Before the first table, if any.
	at := len(lines)
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "[") {
			at = i
			break
		}
	}
	lines = append(lines[:at], append([]string{line}, lines[at:]...)...)
	return strings.Join(lines, "")
}

// newProblem returns a problem that after has and before had not (lines
// aside: an appended line moves none, a replaced one none either).
func newProblem(before, after string) (Problem, bool) {
	_, had := decode(before)
	seen := map[string]int{}
	for _, p := range had {
		seen[p.Key+"\x00"+p.Msg]++
	}
	_, has := decode(after)
	for _, p := range has {
		k := p.Key + "\x00" + p.Msg
		if seen[k] == 0 {
			return p, true
		}
		seen[k]--
	}
	return Problem{}, false
}

// Quote makes s a TOML basic string.
func Quote(s string) string { return strconv.Quote(s) }

// template is the settings file "Edit settings file…" starts from.
const template = `# awstray settings. Every key is optional; delete a line for the default.

# Keyring backend: secret-service, kwallet, pass, keyctl, file, wincred, keychain.
# backend = "secret-service"

# Lifetime of GetSessionToken sessions and of roles without duration_seconds.
# session_duration = "8h"
# role_duration = "1h"

# How long before an MFA session ends the tray tells you.
# notify_lead = "10m"

# Terminal for "Open terminal" (a name or a path); empty finds one.
# terminal = "gnome-terminal"

# Format of "Copy exports": env, env-no-export, fish, powershell, windows-cmd.
# export_format = "env"

# Copied export lines are cleared from the clipboard after this long.
# clipboard_timeout = "60s"

# start_at_login = false

# The tray says once when a stored key is older than this ("90d" or "2160h"),
# and each profile's menu shows its key's age and offers "Rotate key…".
# key_max_age = "90d"

# Terminals opened by the tray get credentials that refresh themselves
# (exec --server); false: plain key variables, as "awstray exec" sets them.
# terminal_server = true

# Lock every profile when the screen locks, and before the machine suspends
# (sessions are forgotten: unlocking again needs MFA).
# lock_on_screen_lock = false
# lock_on_suspend = false

# Profiles whose every new use (exec, export, credential-process, the first
# fetch of an exec --server endpoint) needs a yes in the tray: glob patterns.
# guarded_profiles = ["prod*", "*-admin"]
# How long a yes holds for the same terminal session.
# guard_remember = "15m"
# The browser of the AWS console (awstray login, Open console): a command,
# where %s stands for the URL, or a built-in mode that keeps each profile's
# console signed in beside the others: "firefox-container" (one Firefox
# container per profile; needs the Granted Containers add-on) or
# "chromium-profile" (one browser profile per AWS profile), each optionally
# followed by the browser's command, as in "chromium-profile google-chrome".
# Empty: $BROWSER, else the default browser.
# browser = "firefox-container"

# MFA dialogs: auto, zenity, kdialog, osascript, powershell, ykman (with ykman_account).
# dialogs = "auto"
# ykman_account = "AWS:me@work"

# The browser per profile, a glob of profile names and a browser on each
# line; the first match in this order wins over the browser setting. (A table: it stays the last part of the file.)
# [browsers]
# "prod-*" = "firefox-container"
# "dev" = "chromium-profile brave-browser"
`

// WriteTemplate creates a commented settings file at path (through a
// symbolic link to a file not made yet, too). An existing file is left
// alone: the error matches fs.ErrExist.
func WriteTemplate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the settings folder: %w", err)
	}
	err := atomicfile.Edit(path, 0o600, func(_ []byte, exists bool) ([]byte, error) {
		if exists {
			return nil, fs.ErrExist
		}
		return []byte(template), nil
	})
	if err != nil {
		return fmt.Errorf("creating the settings file %s: %w", path, err)
	}
	return nil
}
