package agent

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/usage"
)

// Version is the protocol version this package speaks.
const Version = 1

// MaxLine is the longest request line the server reads, newline excluded.
const MaxLine = 64 << 10

// maxResponse is the longest response line the client reads: a list of
// thousands of profiles is far longer than any request.
const maxResponse = 16 << 20

// maxProfileName bounds a profile name in a request.
const maxProfileName = 1024

// maxMessage bounds Response.Error.
const maxMessage = 1024

// The ops of a Request.
const (
	OpPing        = "ping"        // is an agent there
	OpList        = "list"        // the profiles and their states
	OpCredentials = "credentials" // a profile's credentials
	OpUnlock      = "unlock"      // unlock a profile (the tray may show a dialog)
	OpLock        = "lock"        // forget a profile's credentials
	OpLog         = "log"         // the usage record: the tray's last deliveries
	// OpFederationToken asks for console sign-in credentials of an IAM
	// user profile: a federation token the tray makes with the stored key,
	// after the guard's question. Added within version 1: an older tray
	// answers bad_request ("unknown op"), and the CLI then works on its
	// own (asking at the terminal for a guarded profile).
	OpFederationToken = "federation_token"
)

// The codes of a failed Response, for programs; Response.Error is for people.
const (
	CodeLocked             = "locked"              // the profile is not unlocked and the request was not interactive
	CodeCancelled          = "cancelled"           // the person cancelled the tray's dialog
	CodeUnknownProfile     = "unknown_profile"     // the tray's config has no such profile
	CodeMFARequired        = "mfa_required"        // renewing needs an MFA code and nobody may be asked
	CodeSignInRequired     = "sign_in_required"    // renewing needs an IAM Identity Center sign-in and nobody may be asked
	CodeBadRequest         = "bad_request"         // the request line is not a valid request
	CodeUnsupportedVersion = "unsupported_version" // the request's version is not Version
	CodeRefused            = "refused"             // a guarded profile the person refused in the tray, or did not answer for
	CodeError              = "error"               // anything else
)

// The commands a credentials Request may name as Command.
const (
	CommandExec              = "exec"
	CommandExport            = "export"
	CommandCredentialProcess = "credential-process"
	CommandConsole           = "console" // awstray login: a console sign-in
)

// The federation token lifetimes STS GetFederationToken accepts, for
// Request.DurationSeconds.
const (
	minFederationSeconds = 15 * 60
	maxFederationSeconds = 36 * 60 * 60
)

// maxProgram bounds Request.Program: a file name.
const maxProgram = 255

// PurposeServer, as a credentials Request's Purpose, marks a fetch by a
// running `exec --server` endpoint for the programs in a terminal. Such a
// request is never interactive: an SDK gives up on its endpoint after a few
// seconds and would take a dialog the person is answering down with it.
// For a locked profile the tray tells the person once, by a notification.
const PurposeServer = "server"

// Request is one line from the client.
type Request struct {
	V           int    `json:"v"`
	Op          string `json:"op"`
	Profile     string `json:"profile,omitempty"`
	Interactive bool   `json:"interactive,omitempty"`
	// Purpose says on whose behalf credentials are asked for: "" (a
	// command that starts) or PurposeServer. Added after version 1 shipped:
	// an older tray ignores it, and DecodeRequest drops a value it does not
	// know, of any JSON type, rather than refusing the request.
	Purpose string `json:"purpose,omitempty"`
	// Command is the CLI command that asks (CommandExec, …) and Program,
	// for exec, the base name of the program it is about to run — never
	// its arguments, which may hold secrets. Both are for the person who
	// confirms a guarded profile and for the usage record. Added within
	// version 1 like Purpose: DecodeRequest drops a value it does not
	// know, or a Program that is not a plain file name.
	Command string `json:"command,omitempty"`
	Program string `json:"program,omitempty"`
	// DurationSeconds is the lifetime of the federation token an
	// OpFederationToken asks for (0: the tray's default); other ops drop it.
	DurationSeconds int64 `json:"duration_seconds,omitempty"`
	// PeerPID is the asking process as the system reports it (0:
	// unknown); the server sets it, it never comes from the line.
	PeerPID int `json:"-"`
}

// Response is the server's answer to one Request. A failure has OK false,
// a Code and an Error.
type Response struct {
	V           int           `json:"v"`
	OK          bool          `json:"ok"`
	Code        string        `json:"code,omitempty"`
	Error       string        `json:"error,omitempty"` // one line, never a secret
	Credentials *Creds        `json:"credentials,omitempty"`
	Profiles    []ProfileInfo `json:"profiles,omitempty"`
	// Usage answers OpLog: the records in the tray's memory, oldest first.
	Usage []usage.Record `json:"usage,omitempty"`
}

// RefusedError is a guarded profile's credentials the person refused in
// the tray (Deny, or no answer in time). Its message is what the CLI says.
type RefusedError struct{ Profile string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("credentials for profile %q were refused in the tray", e.Profile)
}

// Creds is credentials on the wire. Formatting it with fmt or slog prints
// the key ID only.
type Creds struct {
	AccessKeyID     string     `json:"access_key_id"`
	SecretAccessKey string     `json:"secret_access_key"`
	SessionToken    string     `json:"session_token,omitempty"`
	Expiration      *time.Time `json:"expiration,omitempty"` // nil: never expires
}

// String implements fmt.Stringer without the secrets.
func (c Creds) String() string { return "{" + c.AccessKeyID + " [redacted]}" }

// GoString implements fmt.GoStringer without the secrets.
func (c Creds) GoString() string { return c.String() }

// Format implements fmt.Formatter so that every verb redacts.
func (c Creds) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, c.String()) }

// LogValue implements slog.LogValuer without the secrets.
func (c Creds) LogValue() slog.Value { return slog.StringValue(c.String()) }

// ProfileInfo is one profile as the tray sees it.
type ProfileInfo struct {
	Name           string     `json:"name"`
	Kind           string     `json:"kind,omitempty"`
	State          string     `json:"state"`
	Expires        *time.Time `json:"expires,omitempty"`          // the held credentials expire
	PersonNeededAt *time.Time `json:"person_needed_at,omitempty"` // renewing needs an MFA code from then on
}

// Error is a failed Response, as the client returns it. Error() is the
// agent's message, fit to print.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Message == "" {
		return "awstray agent: " + e.Code
	}
	return e.Message
}

// Is makes errors.Is match the credentials package's sentinels, so the CLI
// handles an answer from the agent as it handles its own errors.
func (e *Error) Is(target error) bool {
	switch e.Code {
	case CodeCancelled:
		return target == credentials.ErrCancelled
	case CodeMFARequired:
		return target == credentials.ErrMFARequired
	case CodeSignInRequired:
		return target == credentials.ErrSSOLoginRequired
	}
	return false
}

// DecodeRequest parses one request line (without its newline) and checks
// it: the version, a known op, a profile for the ops that need one. The
// Purpose it returns is PurposeServer (and then Interactive is false) or
// empty. Its errors are *Error with CodeBadRequest or
// CodeUnsupportedVersion and never quote the line.
func DecodeRequest(line []byte) (Request, error) {
	if len(line) > MaxLine {
		return Request{}, &Error{Code: CodeBadRequest, Message: fmt.Sprintf("request is longer than %d bytes", MaxLine)}
	}
	// Purpose is read apart, as raw JSON: the shallower field hides the
	// embedded one from encoding/json.
	var wire struct {
		Request
		Purpose json.RawMessage `json:"purpose"`
		Command json.RawMessage `json:"command"`
		Program json.RawMessage `json:"program"`
	}
	if err := json.Unmarshal(line, &wire); err != nil {
		return Request{}, &Error{Code: CodeBadRequest, Message: "request is not valid: " + jsonErrorKind(err)}
	}
	req := wire.Request
	req.Purpose = ""
	if req.Op == OpCredentials {
		var p string
		if json.Unmarshal(wire.Purpose, &p) == nil && p == PurposeServer {
			req.Purpose = p
			req.Interactive = false // whatever the line says: see PurposeServer
		}
		req.Command, req.Program = decodeCommand(wire.Command), ""
		if req.Command == CommandExec {
			req.Program = decodeProgram(wire.Program)
		}
	} else if req.Op == OpFederationToken {
		// Always a console sign-in; the field still says so for the record.
		req.Command, req.Program = decodeCommand(wire.Command), ""
	} else {
		req.Command, req.Program = "", ""
	}
	if req.Op != OpFederationToken {
		req.DurationSeconds = 0
	}
	req.PeerPID = 0
	switch {
	case req.V == 0:
		return Request{}, &Error{Code: CodeBadRequest, Message: "request has no protocol version"}
	case req.V != Version:
		return Request{}, &Error{Code: CodeUnsupportedVersion, Message: fmt.Sprintf("protocol version %d is not supported (this agent speaks %d)", req.V, Version)}
	}
	switch req.Op {
	case OpPing, OpList, OpLog:
	case OpCredentials, OpUnlock, OpLock, OpFederationToken:
		if req.Profile == "" {
			return Request{}, &Error{Code: CodeBadRequest, Message: "request names no profile"}
		}
		if len(req.Profile) > maxProfileName {
			return Request{}, &Error{Code: CodeBadRequest, Message: "profile name is too long"}
		}
		if d := req.DurationSeconds; d != 0 && (d < minFederationSeconds || d > maxFederationSeconds) {
			return Request{}, &Error{Code: CodeBadRequest, Message: "duration is out of range (15m to 36h)"}
		}
	case "":
		return Request{}, &Error{Code: CodeBadRequest, Message: "request has no op"}
	default:
		return Request{}, &Error{Code: CodeBadRequest, Message: msgUnknownOp}
	}
	return req, nil
}

// decodeCommand is a known Command, or "".
func decodeCommand(raw json.RawMessage) string {
	var c string
	if json.Unmarshal(raw, &c) != nil {
		return ""
	}
	switch c {
	case CommandExec, CommandExport, CommandCredentialProcess, CommandConsole:
		return c
	}
	return ""
}

// decodeProgram is a Program that is a plain file name — no path, no
// control character, bounded — or "". It is shown to the person in a
// dialog and kept in the record, so nothing else gets through.
func decodeProgram(raw json.RawMessage) string {
	var p string
	if json.Unmarshal(raw, &p) != nil || p == "" || p == "." || p == ".." || len(p) > maxProgram || !utf8.ValidString(p) {
		return ""
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 {
			return ""
		}
	}
	return p
}

// jsonErrorKind names a JSON error without quoting the input.
func jsonErrorKind(err error) string {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return "malformed JSON"
	case errors.As(err, &te):
		return "unexpected JSON type"
	default:
		return "undecodable JSON"
	}
}

// msgUnknownOp is the answer to an op the agent does not serve.
const msgUnknownOp = "unknown op"

// IsUnknownOp reports whether err is the agent's answer to an op it does
// not serve: an older tray, for an op added within version 1 since.
func IsUnknownOp(err error) bool {
	var ae *Error
	return errors.As(err, &ae) && ae.Code == CodeBadRequest && ae.Message == msgUnknownOp
}

// errLineTooLong is a line over the reader's limit.
var errLineTooLong = errors.New("line too long")

// readLine returns the next line without its newline; the slice is valid
// until the next read from r. A last line without a newline is returned
// with a nil error, and io.EOF follows. A line longer than max fails with
// errLineTooLong once max+1 bytes of it are read.
func readLine(r *bufio.Reader, max int) ([]byte, error) {
	chunk, err := r.ReadSlice('\n')
	if err == nil && len(chunk) <= max+1 {
		return chunk[:len(chunk)-1], nil // the common case: no copy
	}
	var line []byte
	for {
		if len(line)+len(chunk) > max+1 || (err != nil && len(line)+len(chunk) > max) {
			return nil, errLineTooLong
		}
		line = append(line, chunk...)
		switch {
		case err == nil:
			return line[:len(line)-1], nil
		case errors.Is(err, bufio.ErrBufferFull):
			chunk, err = r.ReadSlice('\n')
		case errors.Is(err, io.EOF) && len(line) > 0:
			return line, nil
		default:
			return nil, err
		}
	}
}

// toWire converts credentials for a Response.
func toWire(c credentials.Credentials) *Creds {
	w := &Creds{
		AccessKeyID:     c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey.Reveal(),
		SessionToken:    c.SessionToken.Reveal(),
	}
	if c.CanExpire() {
		t := c.Expires
		w.Expiration = &t
	}
	return w
}

// fromWire converts credentials from a Response.
func fromWire(w *Creds) credentials.Credentials {
	c := credentials.Credentials{
		AccessKeyID:     w.AccessKeyID,
		SecretAccessKey: credentials.NewSecret(w.SecretAccessKey),
		SessionToken:    credentials.NewSecret(w.SessionToken),
	}
	if w.Expiration != nil {
		c.Expires = *w.Expiration
	}
	return c
}
