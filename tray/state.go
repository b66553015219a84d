package tray

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/awstray/awstray/internal/atomicfile"
)

// uiState is what the tray remembers across restarts: which profiles were
// unlocked (to hold them again from the keyring's cached sessions) and
// which were used lately (to list them first). Names only — no secret.
type uiState struct {
	Unlocked []string             `json:"unlocked"`
	Recent   []string             `json:"recent"`
	Used     map[string]time.Time `json:"used,omitempty"`
	// KeyAgeTold: the profiles whose key the tray said is past
	// key_max_age, each with that key's creation time, so that a restart
	// does not say it again and a new key is told about afresh.
	KeyAgeTold map[string]time.Time `json:"key_age_told,omitempty"`
	// KeyCreatedAsked: when IAM was last asked when a profile's key was
	// created, so that it is asked at most once a day.
	KeyCreatedAsked map[string]time.Time `json:"key_created_asked,omitempty"`
}

const recentMax = 10

func loadState(path string) uiState {
	var s uiState
	b, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	if json.Unmarshal(b, &s) != nil {
		return uiState{}
	}
	return s
}

func saveState(path string, s uiState) error {
	if path == "" {
		return errors.New("no state path")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, b, 0o600)
}

// touch moves name to the front of the recent list.
func (s *uiState) touch(name string) {
	out := []string{name}
	for _, n := range s.Recent {
		if n != name && len(out) < recentMax {
			out = append(out, n)
		}
	}
	s.Recent = out
}

// StatePath is the tray's state file: $XDG_STATE_HOME/awstray/state.json,
// else ~/.local/state/awstray/state.json (the user cache folder elsewhere).
func StatePath(getenv func(string) string) string {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "awstray", "state.json")
	}
	if h, err := os.UserHomeDir(); err == nil && getenv("HOME") != "" {
		return filepath.Join(h, ".local", "state", "awstray", "state.json")
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "awstray", "state.json")
	}
	return ""
}
