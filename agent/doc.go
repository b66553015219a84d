// Package agent is the per-user local socket through which the tray serves
// credentials to the CLI, so that a terminal gets them without a prompt and
// a locked profile is unlocked by a dialog from the tray.
//
// The package owns the socket's place and protection (SocketPath, Listen),
// the check of who connects, the wire protocol (Request, Response,
// DecodeRequest), the server (Serve, over a Backend the tray provides) and
// the client (Dial, Client).
//
// On Linux, macOS and FreeBSD the socket lives in a folder of mode 0700
// owned by the user ($XDG_RUNTIME_DIR/awstray, else a private folder in the
// temporary directory) and is itself of mode 0600; the server also checks
// every connection's peer UID and refuses another user's without a word,
// and the client checks that the server runs as the same user. On Windows
// it is a named pipe whose security descriptor grants access to the
// current user only, and the client checks the pipe's owner.
//
// The protocol is newline-delimited JSON: one Request line answered by one
// Response line, in turn, any number of times on one connection. Every
// message carries the protocol version ("v": 1). A line longer than
// MaxLine, malformed JSON, an unknown op or an unknown version is answered
// with a bad_request or unsupported_version Response.
//
// The server's resources are bounded whatever its clients do: a request
// line may take 10 s to arrive, an answer 10 s to be read; at most 256
// connections are served at once, and at that limit the one that has
// waited longest (half a second at least) for a request is closed to make
// room, so a leaked, stuck or trickling connection never keeps out a client
// that would be answered at once. A connection whose request is being
// handled is never closed for room: the next one waits in the listen
// backlog.
package agent
