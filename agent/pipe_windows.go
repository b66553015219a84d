package agent

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/Microsoft/go-winio"
	"golang.org/x/sys/windows"
)

// pipeListener accepts the clients of a named pipe. It keeps one instance
// of the pipe listening at all times — made with read and write access and
// waited on with ConnectNamedPipe, the way Windows documents — and makes
// the next instance before it hands a connected one over, so that a client
// never finds the pipe gone between two Accepts.
//
// go-winio's ListenPipe is not used: it holds the pipe's name with an
// extra first instance opened without read or write access, which Windows
// leaves disconnected but Wine counts as listening. Under Wine the first
// client of every listener was connected to that instance, which nothing
// ever reads: the CLI waited for its answer for ever (issue 9).
type pipeListener struct {
	path   string
	name16 *uint16
	sa     *windows.SecurityAttributes
	stop   windows.Handle // an event Close sets to wake a waiting Accept

	acceptMu sync.Mutex // one Accept at a time waits on the listening instance

	mu        sync.Mutex     // protects next, closed, accepting and stop's closing
	next      windows.Handle // the instance waiting for the next client; 0 if none was made
	closed    bool
	accepting bool // an Accept waits on an instance it took from next
}

// listenPipe makes the first instance of the pipe at path with the
// security descriptor sddl; it fails if the pipe exists.
func listenPipe(path, sddl string) (*pipeListener, error) {
	name16, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return nil, fmt.Errorf("the agent's pipe name %q: %w", path, err)
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return nil, fmt.Errorf("making the security descriptor of the agent's pipe: %w", err)
	}
	sa := &windows.SecurityAttributes{SecurityDescriptor: sd}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	stop, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("making an event for the agent's pipe: %w", err)
	}
	l := &pipeListener{path: path, name16: name16, sa: sa, stop: stop}
	if l.next, err = l.instance(true); err != nil {
		_ = windows.CloseHandle(stop)
		return nil, err
	}
	return l, nil
}

// instance makes an instance of the pipe; the first one fails if the pipe
// exists already (it may be another user's).
func (l *pipeListener) instance(first bool) (windows.Handle, error) {
	flags := uint32(windows.PIPE_ACCESS_DUPLEX | windows.FILE_FLAG_OVERLAPPED)
	if first {
		flags |= windows.FILE_FLAG_FIRST_PIPE_INSTANCE
	}
	mode := uint32(windows.PIPE_TYPE_BYTE | windows.PIPE_READMODE_BYTE | windows.PIPE_WAIT | windows.PIPE_REJECT_REMOTE_CLIENTS)
	h, err := windows.CreateNamedPipe(l.name16, flags, mode, windows.PIPE_UNLIMITED_INSTANCES, pipeBuffer, pipeBuffer, 0, l.sa)
	runtime.KeepAlive(l.sa)
	if err != nil {
		return 0, fmt.Errorf("making an instance of the agent's pipe: %w", err)
	}
	return h, nil
}

// Accept waits for the next client.
func (l *pipeListener) Accept() (net.Conn, error) {
	l.acceptMu.Lock()
	defer l.acceptMu.Unlock()

	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil, l.closedErr()
	}
	h := l.next
	l.next = 0
	if h == 0 {
		var err error
		if h, err = l.instance(false); err != nil {
			l.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: err}
		}
	}
	l.accepting = true
	l.mu.Unlock()

	err := l.connect(h)

	l.mu.Lock()
	defer l.mu.Unlock()
	l.accepting = false
	if l.closed {
		_ = windows.CloseHandle(h)
		_ = windows.CloseHandle(l.stop)
		return nil, l.closedErr()
	}
	// The next client finds an instance listening while this one is
	// served. If none can be made now, the next Accept tries again.
	if next, nerr := l.instance(false); nerr == nil {
		l.next = next
	}
	if err != nil {
		_ = windows.CloseHandle(h)
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: err}
	}
	// go-winio reads and writes the connected instance through its I/O
	// completion port, with deadlines.
	f, err := winio.NewOpenFile(h)
	if err != nil {
		_ = windows.CloseHandle(h)
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: err}
	}
	wf, ok := f.(pipeFile)
	if !ok { // go-winio changed: its files no longer have deadlines
		_ = f.Close()
		return nil, &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: fmt.Errorf("go-winio file %T has no deadlines", f)}
	}
	return &pipeConn{f: wf, addr: l.Addr()}, nil
}

// connect waits until a client opens the instance h, or Close.
func (l *pipeListener) connect(h windows.Handle) error {
	ev, err := windows.CreateEvent(nil, 1, 0, nil)
	if err != nil {
		return fmt.Errorf("making an event for the agent's pipe: %w", err)
	}
	defer windows.CloseHandle(ev)
	for {
		// On the heap, and kept until the kernel is done with it.
		ov := &windows.Overlapped{HEvent: ev}
		err := windows.ConnectNamedPipe(h, ov)
		switch {
		case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
			return nil // connected before we asked
		case errors.Is(err, windows.ERROR_NO_DATA):
			// A client connected and left already: make the instance
			// listen again.
			if err := windows.DisconnectNamedPipe(h); err != nil {
				return fmt.Errorf("waiting for a client of the agent's pipe: %w", err)
			}
			continue
		case !errors.Is(err, windows.ERROR_IO_PENDING):
			return fmt.Errorf("waiting for a client of the agent's pipe: %w", err)
		}
		which, err := windows.WaitForMultipleObjects([]windows.Handle{ev, l.stop}, false, windows.INFINITE)
		var n uint32
		if err != nil || which != windows.WAIT_OBJECT_0 {
			// Close, or the wait failed: stop waiting for a client, and
			// let the kernel finish with ov before it is dropped.
			_ = windows.CancelIoEx(h, ov)
			_ = windows.GetOverlappedResult(h, ov, &n, true)
			runtime.KeepAlive(ov)
			if err != nil {
				return fmt.Errorf("waiting for a client of the agent's pipe: %w", err)
			}
			return net.ErrClosed
		}
		err = windows.GetOverlappedResult(h, ov, &n, false)
		runtime.KeepAlive(ov)
		switch {
		case err == nil, errors.Is(err, windows.ERROR_PIPE_CONNECTED):
			return nil
		case errors.Is(err, windows.ERROR_NO_DATA):
			if err := windows.DisconnectNamedPipe(h); err != nil {
				return fmt.Errorf("waiting for a client of the agent's pipe: %w", err)
			}
			continue
		}
		return fmt.Errorf("waiting for a client of the agent's pipe: %w", err)
	}
}

func (l *pipeListener) closedErr() error {
	return &net.OpError{Op: "accept", Net: "pipe", Addr: l.Addr(), Err: net.ErrClosed}
}

// Close stops listening: a waiting Accept returns net.ErrClosed. The
// connections accepted stay open.
func (l *pipeListener) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.next != 0 {
		_ = windows.CloseHandle(l.next)
		l.next = 0
	}
	if l.accepting {
		_ = windows.SetEvent(l.stop) // Accept closes it when it wakes
	} else {
		_ = windows.CloseHandle(l.stop)
	}
	return nil
}

// Addr is the pipe's path.
func (l *pipeListener) Addr() net.Addr { return pipeAddr(l.path) }

// pipeAddr is a pipe's path as a net.Addr.
type pipeAddr string

func (pipeAddr) Network() string  { return "pipe" }
func (a pipeAddr) String() string { return string(a) }

// pipeFile is what go-winio's NewOpenFile returns.
type pipeFile interface {
	io.ReadWriteCloser
	SetReadDeadline(time.Time) error
	SetWriteDeadline(time.Time) error
}

// pipeConn is a connected instance as a net.Conn. Its errors are those a
// net.Conn gives: os.ErrDeadlineExceeded after a deadline, net.ErrClosed
// once closed.
type pipeConn struct {
	f    pipeFile
	addr net.Addr
}

func (c *pipeConn) Read(b []byte) (int, error) {
	n, err := c.f.Read(b)
	return n, c.mapErr("read", err)
}

func (c *pipeConn) Write(b []byte) (int, error) {
	n, err := c.f.Write(b)
	return n, c.mapErr("write", err)
}

func (c *pipeConn) mapErr(op string, err error) error {
	switch {
	case err == nil, errors.Is(err, io.EOF):
		return err
	case errors.Is(err, winio.ErrTimeout):
		err = os.ErrDeadlineExceeded
	case errors.Is(err, winio.ErrFileClosed):
		err = net.ErrClosed
	}
	return &net.OpError{Op: op, Net: "pipe", Addr: c.addr, Err: err}
}

func (c *pipeConn) Close() error                       { return c.f.Close() }
func (c *pipeConn) LocalAddr() net.Addr                { return c.addr }
func (c *pipeConn) RemoteAddr() net.Addr               { return c.addr }
func (c *pipeConn) SetReadDeadline(t time.Time) error  { return c.f.SetReadDeadline(t) }
func (c *pipeConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

func (c *pipeConn) SetDeadline(t time.Time) error {
	return errors.Join(c.f.SetReadDeadline(t), c.f.SetWriteDeadline(t))
}
