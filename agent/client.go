package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/usage"
)

// Client is a connection to the agent. It is safe for concurrent use;
// requests go one at a time. A request whose context ends leaves the
// connection unusable: later requests fail and the caller dials again.
type Client struct {
	path   string
	conn   net.Conn
	closed atomic.Bool

	// mu serialises requests and protects everything below it.
	mu     sync.Mutex
	r      *bufio.Reader
	broken error // why the connection can no longer be used
}

// Dial connects to the agent at path (see SocketPath) and checks that it
// runs as the current user. When no agent serves path (no socket, or
// nobody listening on it) it fails at once with an error that matches
// ErrNoAgent; timeout bounds the wait for a busy agent.
func Dial(path string, timeout time.Duration) (*Client, error) {
	if path == "" {
		return nil, fmt.Errorf("connecting to the awstray agent: no socket path: %w", ErrNoAgent)
	}
	conn, err := dialSocket(path, timeout)
	if err != nil {
		if isNoAgent(err) {
			return nil, fmt.Errorf("connecting to the awstray agent at %s: %w (%w)", path, ErrNoAgent, err)
		}
		return nil, fmt.Errorf("connecting to the awstray agent at %s: %w", path, err)
	}
	if err := checkServer(conn, path); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return &Client{path: path, conn: conn, r: bufio.NewReader(conn)}, nil
}

// Close closes the connection; a request under way fails.
func (c *Client) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	return c.conn.Close()
}

// Ping checks that the agent answers.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.do(ctx, Request{Op: OpPing})
	return err
}

// Credentials returns the profile's credentials from the tray. With
// interactive, a locked profile or an expired MFA session makes the tray
// ask the person, and the call waits for them (give ctx room: minutes).
// A failure the agent reports is an *Error whose Code says what happened
// (CodeLocked, CodeCancelled, CodeMFARequired, CodeUnknownProfile, ...).
func (c *Client) Credentials(ctx context.Context, profile string, interactive bool) (credentials.Credentials, error) {
	return c.credentials(ctx, Request{Op: OpCredentials, Profile: profile, Interactive: interactive})
}

// CredentialsAs is Credentials saying who asks: command (CommandExec, …)
// and, for exec, program, the base name of what it runs. A guarded
// profile shows them to the person, who may refuse (CodeRefused).
func (c *Client) CredentialsAs(ctx context.Context, profile string, interactive bool, command, program string) (credentials.Credentials, error) {
	return c.credentials(ctx, Request{Op: OpCredentials, Profile: profile, Interactive: interactive, Command: command, Program: program})
}

// FederationToken returns console sign-in credentials of the IAM user
// profile: a federation token the tray makes with the stored key, lasting
// duration (0: the tray's default), after asking the person if the
// profile is guarded (CodeRefused). An older tray that lacks the op
// answers an error for which IsUnknownOp is true.
func (c *Client) FederationToken(ctx context.Context, profile string, duration time.Duration) (credentials.Credentials, error) {
	return c.credentials(ctx, Request{Op: OpFederationToken, Profile: profile, Command: CommandConsole, DurationSeconds: int64(duration / time.Second)})
}

// Usage returns the tray's usage record, oldest first.
func (c *Client) Usage(ctx context.Context) ([]usage.Record, error) {
	resp, err := c.do(ctx, Request{Op: OpLog})
	if err != nil {
		return nil, err
	}
	return resp.Usage, nil
}

// ServerCredentials returns the profile's credentials for a running
// `exec --server` endpoint (PurposeServer). It never makes the tray ask the
// person: a locked profile fails at once with CodeLocked, and the tray
// tells the person in a notification.
func (c *Client) ServerCredentials(ctx context.Context, profile string) (credentials.Credentials, error) {
	return c.credentials(ctx, Request{Op: OpCredentials, Profile: profile, Purpose: PurposeServer})
}

func (c *Client) credentials(ctx context.Context, req Request) (credentials.Credentials, error) {
	resp, err := c.do(ctx, req)
	if err != nil {
		return credentials.Credentials{}, err
	}
	if resp.Credentials == nil || resp.Credentials.AccessKeyID == "" || resp.Credentials.SecretAccessKey == "" {
		return credentials.Credentials{}, errors.New("the awstray agent sent no credentials")
	}
	return fromWire(resp.Credentials), nil
}

// List returns the tray's profiles and their states, in config order.
func (c *Client) List(ctx context.Context) ([]ProfileInfo, error) {
	resp, err := c.do(ctx, Request{Op: OpList})
	if err != nil {
		return nil, err
	}
	return resp.Profiles, nil
}

// Unlock unlocks the profile in the tray, which may ask the person.
func (c *Client) Unlock(ctx context.Context, profile string) error {
	_, err := c.do(ctx, Request{Op: OpUnlock, Profile: profile})
	return err
}

// Lock makes the tray forget the profile's credentials.
func (c *Client) Lock(ctx context.Context, profile string) error {
	_, err := c.do(ctx, Request{Op: OpLock, Profile: profile})
	return err
}

// errClientClosed is a request on a closed Client.
var errClientClosed = errors.New("the agent connection is closed")

// do sends req and reads its response. ctx's deadline and cancellation
// reach the connection through its deadline.
func (c *Client) do(ctx context.Context, req Request) (*Response, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return nil, errClientClosed
	}
	if c.broken != nil {
		return nil, c.broken
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	req.V = Version
	line, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding a request to the agent: %w", err)
	}
	line = append(line, '\n')

	deadline, _ := ctx.Deadline() // zero: none
	_ = c.conn.SetDeadline(deadline)
	stop := func() bool { return true }
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() { _ = c.conn.SetDeadline(aLongTimeAgo) })
	}
	resp, err := c.roundTrip(line)
	if !stop() {
		// The AfterFunc may still be about to move the deadline: this
		// connection cannot be trusted with another request.
		c.broken = fmt.Errorf("the agent connection was interrupted: %w", ctx.Err())
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			err = ctx.Err()
		case !deadline.IsZero() && errors.Is(err, os.ErrDeadlineExceeded):
			err = context.DeadlineExceeded
		}
		c.broken = fmt.Errorf("the agent connection failed earlier: %w", err)
		if c.closed.Load() {
			err = errClientClosed
		}
		return nil, fmt.Errorf("asking the awstray agent: %w", err)
	}
	if !resp.OK {
		code := resp.Code
		if code == "" {
			code = CodeError
		}
		return nil, &Error{Code: code, Message: resp.Error}
	}
	return resp, nil
}

// roundTrip writes one request line and reads one response line.
func (c *Client) roundTrip(line []byte) (*Response, error) {
	if _, err := c.conn.Write(line); err != nil {
		return nil, err
	}
	b, err := readLine(c.r, maxResponse)
	switch {
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("the agent closed the connection without an answer: %w", io.ErrUnexpectedEOF)
	case errors.Is(err, errLineTooLong):
		return nil, fmt.Errorf("the agent's answer is longer than %d bytes", maxResponse)
	case err != nil:
		return nil, err
	}
	resp := new(Response)
	if err := json.Unmarshal(b, resp); err != nil {
		return nil, fmt.Errorf("the agent's answer is not valid: %s", jsonErrorKind(err))
	}
	if resp.V != Version {
		return nil, fmt.Errorf("the agent speaks protocol version %d, not %d: restart the tray after an upgrade", resp.V, Version)
	}
	return resp, nil
}
