package agent

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// peerUID is the UID of the process at the other end of c (SO_PEERCRED):
// the client's for the server, the server's for the client.
func peerUID(c net.Conn) (int, error) {
	var (
		cred *unix.Ucred
		gerr error
	)
	err := rawControl(c, func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	})
	if err == nil {
		err = gerr
	}
	if err != nil {
		return -1, fmt.Errorf("reading the peer's credentials: %w", err)
	}
	return int(cred.Uid), nil
}

// peerPID is the PID of the process at the other end of c, or 0 when the
// system does not say (SO_PEERCRED: the process that connected).
func peerPID(c net.Conn) int {
	var cred *unix.Ucred
	var gerr error
	if err := rawControl(c, func(fd uintptr) {
		cred, gerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil || gerr != nil {
		return 0
	}
	return int(cred.Pid)
}
