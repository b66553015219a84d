// Package spawn prepares the programs the tray starts to outlive the
// request that opened them — terminal emulators, browsers: they are
// detached from awstray's process group and never waited for (unlike the
// helpers of internal/proc), and they inherit no secret.
package spawn

import (
	"strings"

	"github.com/awstray/awstray/launcher"
)

// Env is env less the variables that carry secrets and awstray's marker
// (launcher.EnvMarker), which would make `awstray exec` inside refuse to
// run.
func Env(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if launcher.IsSecretVar(name) || name == launcher.EnvMarker {
			continue
		}
		out = append(out, kv)
	}
	return out
}
