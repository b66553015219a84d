//go:build unix

package agent

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
)

func checkOverride(p string) error {
	if !filepath.IsAbs(p) {
		return errors.New("the socket path must be absolute")
	}
	return nil
}

func defaultPath(getenv func(string) string) (string, error) {
	// The XDG spec says to ignore a relative XDG_RUNTIME_DIR.
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" && filepath.IsAbs(dir) {
		return filepath.Join(dir, "awstray", "agent.sock"), nil
	}
	return filepath.Join(os.TempDir(), "awstray-"+strconv.Itoa(os.Getuid()), "agent.sock"), nil
}
