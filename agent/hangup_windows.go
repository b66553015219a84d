package agent

import "net"

// peerHungUp is called after a read from c returned EOF, while a backend
// call runs. The agent's pipe is a byte-mode pipe, which has no
// half-close: a read ends in EOF (ERROR_BROKEN_PIPE) only once the client
// has closed its end, so EOF is a hang-up and the call is cancelled.
func peerHungUp(net.Conn, <-chan struct{}) bool { return true }
