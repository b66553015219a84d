//go:build !linux && !darwin && !freebsd && !windows

package agent

import (
	"errors"
	"net"
	"runtime"
	"time"
)

// errUnsupported: without a way to learn a peer's UID the agent cannot
// tell its user from another, so it does not run.
var errUnsupported = errors.New("the awstray agent is not supported on " + runtime.GOOS)

// Listen fails: see errUnsupported.
func Listen(string) (net.Listener, error) { return nil, errUnsupported }

func checkPeer(net.Conn) error { return errUnsupported }

func dialSocket(string, time.Duration) (net.Conn, error) { return nil, errUnsupported }

func checkServer(net.Conn, string) error { return errUnsupported }

func isNoAgent(err error) bool { return errors.Is(err, errUnsupported) }
