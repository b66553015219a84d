//go:build linux || darwin || freebsd

package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// staleProbeTimeout bounds the look for an agent on an existing socket;
// a dead one refuses at once.
const staleProbeTimeout = time.Second

// Listen listens on the Unix socket at path for Serve. It makes the socket's
// folder (mode 0700) or refuses one that another user owns or that is open
// to others (*UnsafeDirError); replaces a socket that nothing answers on
// and refuses one that an agent answers on (*AlreadyServingError); and
// makes the socket mode 0600. A lock file next to the socket (path.lock)
// is held while the listener is open, so two agents starting at once
// cannot both take the path. Closing the listener removes the socket.
func Listen(path string) (net.Listener, error) {
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("agent socket path %q is not absolute", path)
	}
	if limit := maxSocketPath(); len(path) > limit {
		return nil, fmt.Errorf("agent socket path %s is %d bytes long, over the system's limit of %d: set AWSTRAY_AGENT_SOCKET to a shorter one", path, len(path), limit)
	}
	if err := makePrivateDir(filepath.Dir(path)); err != nil {
		return nil, err
	}
	lock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	l, err := listenFresh(path)
	if err != nil {
		_ = lock.Close()
		return nil, err
	}
	return &listener{UnixListener: l, lock: lock}, nil
}

// maxSocketPath is the longest path a sockaddr_un takes.
func maxSocketPath() int {
	if runtime.GOOS == "linux" {
		return 108
	}
	return 103
}

// listener is a Unix listener holding the agent's lock file.
type listener struct {
	*net.UnixListener
	lock *os.File
	once sync.Once
}

// Close stops listening, removes the socket and then releases the lock.
func (l *listener) Close() error {
	err := l.UnixListener.Close()
	l.once.Do(func() { _ = l.lock.Close() })
	return err
}

// makePrivateDir makes dir with mode 0700, or checks that an existing one
// is the user's own and closed to others.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return fmt.Errorf("creating the agent's folder: %w", err)
	}
	switch err := os.Mkdir(dir, 0o700); {
	case err == nil:
		// The umask may have taken away bits the owner needs.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("setting the mode of the agent's folder: %w", err)
		}
	case errors.Is(err, fs.ErrExist):
	default:
		return fmt.Errorf("creating the agent's folder: %w", err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("checking the agent's folder: %w", err)
	}
	return checkPrivateDir(dir, fi)
}

// checkPrivateDir refuses a folder that someone else could use to reach
// or replace the socket. A symbolic link is refused too: its owner could
// point it elsewhere after the check.
func checkPrivateDir(dir string, fi fs.FileInfo) error {
	switch {
	case fi.Mode()&fs.ModeSymlink != 0:
		return &UnsafeDirError{Path: dir, Reason: "is a symbolic link"}
	case !fi.IsDir():
		return &UnsafeDirError{Path: dir, Reason: "is not a folder"}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return &UnsafeDirError{Path: dir, Reason: "has no owner that awstray can read"}
	}
	if uid := int(st.Uid); uid != os.Getuid() {
		return &UnsafeDirError{Path: dir, Reason: "belongs to uid " + strconv.Itoa(uid) + ", not to you (uid " + strconv.Itoa(os.Getuid()) + ")"}
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return &UnsafeDirError{Path: dir, Reason: fmt.Sprintf("has mode %#o, open to others (chmod 700 it, or remove it)", perm)}
	}
	return nil
}

// lockFile takes the agent's lock: *AlreadyServingError when another
// agent holds it. The lock lasts as long as the returned file is open.
func lockFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the agent's lock file: %w", err)
	}
	raw, err := f.SyscallConn()
	if err == nil {
		cerr := raw.Control(func(fd uintptr) {
			err = unix.Flock(int(fd), unix.LOCK_EX|unix.LOCK_NB)
		})
		if cerr != nil {
			err = cerr
		}
	}
	if err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, &AlreadyServingError{Path: path}
		}
		return nil, fmt.Errorf("locking the agent's lock file: %w", err)
	}
	return f, nil
}

// listenFresh listens on path, removing a stale socket first; the caller
// holds the lock.
func listenFresh(path string) (*net.UnixListener, error) {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("checking the agent's socket: %w", err)
	case fi.Mode().Type() != fs.ModeSocket:
		return nil, fmt.Errorf("%s exists and is not a socket: remove it if nothing needs it", path)
	default:
		// An agent that does not take the lock may still answer here.
		c, err := net.DialTimeout("unix", path, staleProbeTimeout)
		if err == nil {
			_ = c.Close()
			return nil, &AlreadyServingError{Path: path}
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return nil, fmt.Errorf("checking the agent's socket: %w", err)
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing a stale agent socket: %w", err)
		}
	}
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listening on the agent's socket: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		_ = l.Close()
		return nil, fmt.Errorf("setting the mode of the agent's socket: %w", err)
	}
	return l, nil
}

// checkPeer refuses a connection from another user.
func checkPeer(c net.Conn) error {
	uid, err := peerUID(c)
	if err != nil {
		return err
	}
	if want := os.Getuid(); uid != want {
		return &errPeer{uid: uid, want: want}
	}
	return nil
}

// dialSocket connects to the agent's socket.
func dialSocket(path string, timeout time.Duration) (net.Conn, error) {
	return net.DialTimeout("unix", path, timeout)
}

// checkServer refuses an agent run by another user: it could hand out
// credentials of its own choosing.
func checkServer(c net.Conn, path string) error {
	uid, err := peerUID(c)
	if err != nil {
		return err
	}
	if want := os.Getuid(); uid != want {
		return fmt.Errorf("the agent on %s runs as uid %d, not as you (uid %d)", path, uid, want)
	}
	return nil
}

// isNoAgent reports whether a dial error means that nothing serves path.
func isNoAgent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOTDIR)
}

// rawControl runs f on c's file descriptor.
func rawControl(c net.Conn, f func(fd uintptr)) error {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return fmt.Errorf("%T is not a socket", c)
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	return raw.Control(f)
}
