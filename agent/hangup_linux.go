//go:build linux

package agent

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerHungUp is called after a read from c returned EOF, while a backend
// call runs. It waits until the peer has closed its end for good (true) or
// done is closed (false). EOF alone cannot tell: a client that shut down
// only its writing side after the request (nc -N, socat, shutdown(SHUT_WR))
// still reads the answer. A Unix socket raises POLLHUP once both
// directions are shut — the peer closed, or died — and not for a
// half-close; poll reports POLLHUP and POLLERR whatever events are asked
// for, so the socket is polled for none of its own, next to an eventfd
// that done wakes. A connection without a file descriptor counts as
// half-closed.
func peerHungUp(c net.Conn, done <-chan struct{}) bool {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	wake, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		return false // out of descriptors: the timeout and a failed write still end the call
	}
	defer unix.Close(wake)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-done:
			var one [8]byte
			binary.NativeEndian.PutUint64(one[:], 1)
			_, _ = unix.Write(wake, one[:])
		case <-stop:
		}
	}()
	defer wg.Wait() // before wake is closed: the goroutine may write to it
	defer close(stop)

	hungUp := false
	// Control holds the descriptor until f returns, so a Close of c (when
	// Serve stops) waits for the poll: the poll must end once done is
	// closed, which call does as soon as the backend returns.
	_ = rc.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd)}, {Fd: int32(wake), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if errors.Is(err, unix.EINTR) {
				continue
			}
			if err == nil {
				hungUp = fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0
			}
			return
		}
	})
	return hungUp
}
