package keystore

import (
	"fmt"
	"os"
	"path/filepath"
)

// privateDir is the user's folder for awstray's lock files:
// %LOCALAPPDATA%\awstray (per user, not roaming), where the tray's
// single-instance lock lives too.
func privateDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		base = os.TempDir()
	}
	dir := filepath.Join(base, "awstray")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("making the private folder %s: %w", dir, err)
	}
	return dir, nil
}
