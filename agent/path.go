package agent

import (
	"fmt"
	"os"
)

// SocketPath returns where the agent listens and the CLI asks:
// AWSTRAY_AGENT_SOCKET when set; else $XDG_RUNTIME_DIR/awstray/agent.sock;
// else agent.sock in a folder awstray-UID of the temporary directory; on
// Windows the named pipe \\.\pipe\awstray-USERNAME. A nil getenv reads the
// environment.
func SocketPath(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv("AWSTRAY_AGENT_SOCKET"); p != "" {
		if err := checkOverride(p); err != nil {
			return "", fmt.Errorf("AWSTRAY_AGENT_SOCKET: %w", err)
		}
		return p, nil
	}
	return defaultPath(getenv)
}
