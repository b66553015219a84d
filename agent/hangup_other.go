//go:build !linux && !windows

package agent

import "net"

// peerHungUp is called after a read from c returned EOF, while a backend
// call runs. Here EOF is taken for a half-close (a client that shut down
// its writing side after the request still reads the answer): a client
// that is really gone is found out by the call's timeout and by the
// failed write of the answer.
func peerHungUp(net.Conn, <-chan struct{}) bool { return false }
