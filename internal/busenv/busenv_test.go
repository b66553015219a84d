//go:build linux || freebsd || openbsd || netbsd || dragonfly

package busenv_test

import (
	"testing"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/busenv"
)

func TestHotPath(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{
		{[]string{"awstray", "exec", "work", "--", "aws", "s3", "ls"}, true},
		{[]string{"awstray", "exec", "work"}, true},
		{[]string{"awstray", "export", "work", "--format", "fish"}, true},
		{[]string{"awstray", "credential-process", "work"}, true},
		// After --, the flags are the command's.
		{[]string{"awstray", "exec", "work", "--", "tool", "--no-agent", "-n"}, true},
		// The CLI will open the keyring: keep the bus from the start.
		{[]string{"awstray", "exec", "--no-agent", "work"}, false},
		{[]string{"awstray", "exec", "work", "--no-agent=true", "--", "true"}, false},
		{[]string{"awstray", "exec", "-n", "work"}, false},
		{[]string{"awstray", "export", "--no-session", "work"}, false},
		{[]string{"awstray", "exec", "-t", "123456", "work"}, false},
		{[]string{"awstray", "exec", "--mfa-token=123456", "work"}, false},
		{[]string{"awstray", "credential-process", "--duration", "1h", "work"}, false},
		// exec --server works on its own when the tray quits.
		{[]string{"awstray", "exec", "--server", "work"}, false},
		{[]string{"awstray", "exec", "work", "-s"}, false},
		// Not the hot path.
		{[]string{"awstray", "tray"}, false},
		{[]string{"awstray", "add", "work"}, false},
		{[]string{"awstray", "login", "work"}, false},
		{[]string{"awstray", "--help", "exec"}, false},
		{[]string{"awstray"}, false},
	} {
		if got := busenv.HotPath(tc.args); got != tc.want {
			t.Errorf("hotPath(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestAgentPathAgrees: busenv looks for the agent's socket where the CLI
// will dial it, or not at all.
func TestAgentPathAgrees(t *testing.T) {
	for _, env := range []map[string]string{
		{"XDG_RUNTIME_DIR": "/run/user/1000"},
		{"XDG_RUNTIME_DIR": "/run/user/1000", "AWSTRAY_AGENT_SOCKET": "/tmp/elsewhere.sock"},
		{"AWSTRAY_AGENT_SOCKET": "/tmp/elsewhere.sock"},
		{"XDG_RUNTIME_DIR": "relative/dir"},
		{},
	} {
		getenv := func(k string) string { return env[k] }
		got := busenv.AgentPath(getenv)
		if got == "" {
			continue // the bus is kept: nothing to agree on
		}
		want, err := agent.SocketPath(getenv)
		if err != nil || got != want {
			t.Errorf("with %v busenv looks at %q, the CLI dials %q (%v)", env, got, want, err)
		}
	}
}
