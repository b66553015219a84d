//go:build linux || freebsd || openbsd || netbsd || dragonfly

// Package busenv settles DBUS_SESSION_BUS_ADDRESS before any package that
// dials the session bus in its init (99designs/keyring does, twice).
//
// Go initialises, step by step, the first package in import-path order whose
// imports are all initialised. This package imports only "os"; the keyring
// imports path/filepath, which imports os and sorts after this package, so
// this init always runs before the keyring's. Keep it that way: no other
// import here.
//
// With no address set and no $XDG_RUNTIME_DIR/bus socket, godbus would
// autolaunch a dbus-daemon that outlives awstray; this package sets the
// address to "disabled:" instead, so the keyring backends that need D-Bus
// report themselves unavailable and nothing is left running.
//
// On the CLI's hot path — exec, export and credential-process while the
// tray's agent socket is there — the keyring's dial is a D-Bus handshake
// (1–2.5 ms, a third of the time before main) for a keyring the command
// will not open: the tray answers. So for those commands this package hides
// the bus from the keyring's init too (Deferred), and Restore gives it back
// before the command runs. A command that then has to work on its own
// starts itself again with --no-agent (cli: withBusAgain), with the bus.
package busenv

import "os"

// Disabled reports whether this package turned the session bus off; the
// variable is then awstray's, not the user's, and children do not get it.
var Disabled bool

// Deferred reports whether this package hid the session bus from the
// packages' init for a command on the hot path. The keyring then has no
// D-Bus backend in this process: a command that needs its keyring has to
// start again (with --no-agent, which this package does not defer).
var Deferred bool

// address is the DBUS_SESSION_BUS_ADDRESS that Restore puts back ("" when
// it was unset and the bus is found at $XDG_RUNTIME_DIR/bus).
var address string

func init() {
	address = os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if address == "" && !runtimeBus() {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
		Disabled = true
		return
	}
	if hotPath(os.Args) && os.Getenv("AWSTRAY_NO_AGENT") == "" && agentListening() {
		os.Setenv("DBUS_SESSION_BUS_ADDRESS", "disabled:")
		Deferred = true
	}
}

// Restore puts the session bus address back after a Deferred init, so that
// the command's children get the person's bus. Call it first in main.
func Restore() {
	if !Deferred {
		return
	}
	if address == "" {
		os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
		return
	}
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", address)
}

func runtimeBus() bool {
	dir := os.Getenv("XDG_RUNTIME_DIR")
	return dir != "" && isSocket(dir+"/bus")
}

// hotPath reports whether args run a command that asks the tray first: a
// standalone flag (the CLI will open the keyring) or a first argument that
// is not the command (a flag) keeps the bus.
func hotPath(args []string) bool {
	if len(args) < 2 {
		return false
	}
	switch args[1] {
	case "exec", "export", "credential-process":
	default:
		return false
	}
	for _, a := range args[2:] {
		if a == "--" {
			break
		}
		if keepsBus(a) {
			return false
		}
	}
	return true
}

// keepsBus: the flags that make the CLI work without the tray (cli's
// credsInput.useAgent), and exec's --server, whose endpoint works on its own
// when the tray quits. Spellings not listed here (-nt, -t123456) are still
// right, only slower: the command starts again with the bus.
func keepsBus(a string) bool {
	switch a {
	case "--no-agent", "--no-session", "-n", "--mfa-token", "-t", "--duration", "--server", "-s":
		return true
	}
	for _, p := range []string{"--no-agent=", "--no-session=", "--mfa-token=", "--duration=", "--server="} {
		if len(a) > len(p) && a[:len(p)] == p {
			return true
		}
	}
	return false
}

// agentListening reports whether the tray's agent socket is there, where
// agent.SocketPath looks: AWSTRAY_AGENT_SOCKET, else
// $XDG_RUNTIME_DIR/awstray/agent.sock. Without an XDG_RUNTIME_DIR the bus
// is kept (the fallback folder's name needs the uid's digits; rare on a
// desktop). TestAgentPathAgrees keeps this in step with agent.SocketPath.
func agentListening() bool {
	return isSocket(agentPath(os.Getenv))
}

func agentPath(getenv func(string) string) string {
	if p := getenv("AWSTRAY_AGENT_SOCKET"); p != "" {
		return p
	}
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" && dir[0] == '/' {
		return dir + "/awstray/agent.sock"
	}
	return ""
}

func isSocket(path string) bool {
	if path == "" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode()&os.ModeSocket != 0
}
