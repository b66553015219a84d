// Package procio holds what the desktop packages need to talk to the
// programs they run: the tail of a program's standard error and its last
// line for an error message, and scripts encoded for PowerShell's
// -EncodedCommand.
package procio

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
)

// Tail is an io.Writer that keeps the last Max bytes written: a program's
// standard error, bounded whatever it prints.
type Tail struct {
	Max int
	buf []byte
}

func (b *Tail) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	if len(b.buf) > b.Max {
		b.buf = b.buf[len(b.buf)-b.Max:]
	}
	return len(p), nil
}

// String returns what was kept.
func (b *Tail) String() string { return string(b.buf) }

// LastLine is the last non-empty line of s, for error messages.
func LastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// EncodePowerShell is a script as -EncodedCommand takes it: base64 of its
// UTF-16LE bytes.
func EncodePowerShell(script string) string {
	units := utf16.Encode([]rune(script))
	b := make([]byte, 0, 2*len(units))
	for _, u := range units {
		b = append(b, byte(u), byte(u>>8))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodePowerShell is the script EncodePowerShell encoded: tests read back
// what a PowerShell command line would run.
func DecodePowerShell(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return "", err
	}
	if len(b)%2 != 0 {
		return "", errors.New("not UTF-16: an odd number of bytes")
	}
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = uint16(b[2*i]) | uint16(b[2*i+1])<<8
	}
	return string(utf16.Decode(u)), nil
}
