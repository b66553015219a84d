package agent

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"time"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeBuffer is the size of the pipe's buffers each way.
const pipeBuffer = 64 << 10

// Listen listens on the named pipe at path for Serve. The pipe's security
// descriptor makes the current user its owner and grants access to that
// user alone; remote clients are rejected. A pipe that an agent answers on
// is refused (*AlreadyServingError).
func Listen(path string) (net.Listener, error) {
	if err := checkOverride(path); err != nil {
		return nil, err
	}
	sid, err := currentSID()
	if err != nil {
		return nil, err
	}
	probe := 200 * time.Millisecond
	if c, err := winio.DialPipe(path, &probe); err == nil {
		_ = c.Close()
		return nil, &AlreadyServingError{Path: path}
	}
	s := sid.String()
	l, err := listenPipe(path, "O:"+s+"D:P(A;;GA;;;"+s+")")
	if err != nil {
		// The pipe exists: an agent busy with every instance, or one of
		// another user's (pipes share one namespace).
		if errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_PIPE_BUSY) || errors.Is(err, windows.ERROR_ALREADY_EXISTS) {
			return nil, &AlreadyServingError{Path: path}
		}
		return nil, fmt.Errorf("listening on the agent's pipe: %w", err)
	}
	return l, nil
}

// currentSID is the SID of the user this process runs as.
func currentSID() (*windows.SID, error) {
	tu, err := windows.GetCurrentProcessToken().GetTokenUser()
	if err != nil {
		return nil, fmt.Errorf("reading the current user's SID: %w", err)
	}
	return tu.User.Sid, nil
}

// checkPeer lets every connection through: the pipe's DACL admits the
// current user alone.
func checkPeer(net.Conn) error { return nil }

// dialSocket connects to the agent's pipe.
func dialSocket(path string, timeout time.Duration) (net.Conn, error) {
	return winio.DialPipe(path, &timeout)
}

// checkServer refuses a pipe that another user made: pipes share one
// namespace, so anyone could have taken the name first. Its owner cannot
// be set to our SID by another unprivileged user.
func checkServer(c net.Conn, path string) error {
	f, ok := c.(interface{ Fd() uintptr })
	if !ok {
		return fmt.Errorf("cannot check the owner of the agent's pipe %s", path)
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_KERNEL_OBJECT, windows.OWNER_SECURITY_INFORMATION)
	if err != nil {
		return fmt.Errorf("reading the owner of the agent's pipe: %w", err)
	}
	owner, _, err := sd.Owner()
	if err != nil {
		return fmt.Errorf("reading the owner of the agent's pipe: %w", err)
	}
	me, err := currentSID()
	if err != nil {
		return err
	}
	if owner == nil || !owner.Equals(me) {
		return fmt.Errorf("the agent's pipe %s belongs to %v, not to you", path, owner)
	}
	return nil
}

// isNoAgent reports whether a dial error means that nothing serves path.
func isNoAgent(err error) bool {
	return errors.Is(err, fs.ErrNotExist)
}
