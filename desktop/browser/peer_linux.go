//go:build linux

package browser

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
)

// sameUserPeer reports whether the other end of c, a loopback TCP
// connection, is a socket of this process's user: /proc/net/tcp lists every
// TCP socket of the network namespace with the UID of its owner. Without
// /proc there is nothing to check against, and the nonce alone guards.
func sameUserPeer(c net.Conn) bool {
	local, ok1 := c.LocalAddr().(*net.TCPAddr)
	remote, ok2 := c.RemoteAddr().(*net.TCPAddr)
	if !ok1 || !ok2 {
		return false
	}
	uid, err := tcpOwner("/proc/net/tcp", remote, local)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	return err == nil && uid == os.Getuid()
}

// tcpOwner returns the UID that owns the IPv4 socket from local to remote
// in table (the format of /proc/net/tcp).
func tcpOwner(table string, local, remote *net.TCPAddr) (int, error) {
	b, err := os.ReadFile(table)
	if err != nil {
		return -1, err
	}
	l, r := procAddr(local), procAddr(remote)
	if l == "" || r == "" {
		return -1, errors.New("not an IPv4 address")
	}
	lines := strings.Split(string(b), "\n")
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		// sl local_address rem_address st tx:rx tr:when retrnsmt uid ...
		if len(f) >= 8 && f[1] == l && f[2] == r {
			return strconv.Atoi(f[7])
		}
	}
	return -1, fmt.Errorf("no socket %s -> %s in %s", local, remote, table)
}

// procAddr writes a as /proc/net/tcp does: the address as a number in the
// machine's byte order, in hex, and the port.
func procAddr(a *net.TCPAddr) string {
	ip := a.IP.To4()
	if ip == nil {
		return ""
	}
	return fmt.Sprintf("%08X:%04X", binary.NativeEndian.Uint32(ip), a.Port)
}
