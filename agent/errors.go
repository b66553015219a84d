package agent

import (
	"errors"
	"strconv"
)

// ErrNoAgent means no agent serves the socket: it does not exist, or
// nothing listens on it. The CLI then works on its own, quietly.
var ErrNoAgent = errors.New("no awstray agent is running")

// AlreadyServingError is Listen finding another agent alive on the path.
type AlreadyServingError struct{ Path string }

func (e *AlreadyServingError) Error() string {
	return "another awstray agent is serving " + e.Path
}

// UnsafeDirError is Listen refusing a folder for the socket that someone
// else could get into.
type UnsafeDirError struct {
	Path   string
	Reason string // e.g. "belongs to uid 1001, not to you (uid 1000)"
}

func (e *UnsafeDirError) Error() string {
	return "the agent's folder " + e.Path + " is not safe: it " + e.Reason
}

// errPeer is a connection from another user; the server drops it.
type errPeer struct{ uid, want int }

func (e *errPeer) Error() string {
	return "the peer runs as uid " + strconv.Itoa(e.uid) + ", not as uid " + strconv.Itoa(e.want)
}
