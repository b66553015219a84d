// Package settings reads awstray's own settings: a small, hand-editable
// TOML file in the user's config folder. Missing keys take defaults; a bad
// value is an error naming the key, and the caller falls back to defaults.
package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
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
	return s, nil
}
