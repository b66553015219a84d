// Package oneline flattens text to one line: error messages, notification
// and dialog titles, record fields. Every face keeps its messages to a
// line (the CLI's contract, the agent's wire, a dialog's title), so the
// rule lives here once.
package oneline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// String returns s on one line: each run of white space and control
// characters (newlines, tabs, escapes) becomes one space, with none at
// either end.
func String(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r)
	}), " ")
}

// Max is String(s) cut to at most n bytes, at a character boundary, with
// "…" after a cut.
func Max(s string, n int) string {
	s = String(s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
