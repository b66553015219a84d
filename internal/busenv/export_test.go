//go:build linux || freebsd || openbsd || netbsd || dragonfly

package busenv

var (
	HotPath   = hotPath
	AgentPath = agentPath
)
