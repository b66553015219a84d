// Package settings reads awstray's own settings: a small, hand-editable
// TOML file in the user's config folder. Missing keys take defaults; a bad
// value is an error naming the key, and the caller falls back to defaults.
package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

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
}

// UseTerminalServer reports TerminalServer, true when unset.
func (s Settings) UseTerminalServer() bool { return s.TerminalServer == nil || *s.TerminalServer }

// Defaults of the tray settings.
const (
	DefaultNotifyLead       = 10 * time.Minute
	DefaultClipboardTimeout = 60 * time.Second
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
	return s
}

// Validate checks values a TOML type cannot.
func (s Settings) Validate() error {
	switch s.ExportFormat {
	case "", "env", "env-no-export", "fish", "powershell", "windows-cmd":
	default:
		return fmt.Errorf("export_format %q is not one of env, env-no-export, fish, powershell, windows-cmd", s.ExportFormat)
	}
	switch s.Dialogs {
	case "", "auto", "zenity", "kdialog", "osascript", "powershell", "ykman":
	default:
		return fmt.Errorf("dialogs %q is not one of auto, zenity, kdialog, osascript, powershell, ykman", s.Dialogs)
	}
	if s.Dialogs == "ykman" && s.YkmanAccount == "" {
		return errors.New("dialogs = \"ykman\" needs ykman_account")
	}
	return nil
}

// Duration is a time.Duration written as "8h" or "45m" in the file.
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("%q is not a duration such as 8h or 45m", b)
	}
	if v <= 0 {
		return fmt.Errorf("%q is not a positive duration", b)
	}
	d.Duration = v
	return nil
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

// Load reads the settings at path; a missing file gives the defaults.
func Load(path string) (Settings, error) {
	var s Settings
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading settings: %w", err)
	}
	md, err := toml.Decode(string(b), &s)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return Settings{}, fmt.Errorf("%s:%d: %s", path, pe.Position.Line, pe.Message)
		}
		return Settings{}, fmt.Errorf("%s: %s", path, strings.TrimPrefix(err.Error(), "toml: "))
	}
	if un := md.Undecoded(); len(un) > 0 {
		return Settings{}, fmt.Errorf("%s: unknown setting %q", path, un[0].String())
	}
	if err := s.Validate(); err != nil {
		return Settings{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// Set writes one top-level setting into the file at path, keeping every
// other line (comments included) as it is: the line that sets key is
// replaced, or the setting is appended. value is a TOML value, quoted as
// needed by the caller (use Quote for strings).
func Set(path, key, value string) error {
	b, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reading settings: %w", err)
	}
	lines := strings.SplitAfter(string(b), "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	line := key + " = " + value + "\n"
	done := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			break // a table starts: top-level keys end here
		}
		if k, _, ok := strings.Cut(t, "="); ok && strings.TrimSpace(k) == key {
			lines[i], done = line, true
			break
		}
	}
	if !done {
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
	}
	out := strings.Join(lines, "")
	var check Settings
	if _, err := toml.Decode(out, &check); err != nil {
		return fmt.Errorf("setting %s: the result would not parse: %w", key, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	if err := atomicfile.Write(path, []byte(out), 0o600); err != nil {
		return fmt.Errorf("writing settings: %w", err)
	}
	return nil
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

# Terminals opened by the tray get credentials that refresh themselves
# (exec --server); false: plain key variables, as "awstray exec" sets them.
# terminal_server = true

# MFA dialogs: auto, zenity, kdialog, osascript, powershell, ykman (with ykman_account).
# dialogs = "auto"
# ykman_account = "AWS:me@work"
`

// WriteTemplate creates a commented settings file at path.
func WriteTemplate(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("creating the settings folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("creating the settings file: %w", err)
	}
	if _, err := f.WriteString(template); err != nil {
		f.Close()
		return fmt.Errorf("writing the settings file: %w", err)
	}
	return f.Close()
}
