package awsconfig

import (
	"strconv"
	"strings"
)

// TokenKind says what a line of an AWS config or credentials file is.
type TokenKind uint8

// The kinds of line. A line indented deeper than the key line before it
// continues that key's value (TokenContinuation), or, when the key's own
// value was empty, is one "k = v" line of a nested block (TokenSubKey), as
// in "s3 =" followed by "  max_concurrent_requests = 20".
const (
	TokenBlank        TokenKind = iota + 1 // empty or only whitespace
	TokenComment                           // "#" or ";" first, after any indentation
	TokenSection                           // "[name]"
	TokenKey                               // "key = value" or "key: value"
	TokenContinuation                      // more of the value of the key before it
	TokenSubKey                            // "k = v" inside a nested block
)

// Token is one line of the file.
type Token struct {
	Kind TokenKind
	// Line is the line's number, from 1.
	Line int
	// Start and End are the line's byte offsets in the data given to
	// NewTokenizer; End is past the line break.
	Start, End int
	// Name is the section's name, trimmed, for TokenSection; else the
	// lower-cased key the line belongs to.
	Name string
	// Value is the key's value, trimmed. On a continuation or sub-key line
	// it is the key's whole value so far: its lines joined with "\n",
	// blank lines between them kept, as Python's configparser joins them.
	Value string
	// SubName (lower-cased) and SubValue are a TokenSubKey's own key and
	// value.
	SubName, SubValue string
}

// Tokenizer reads an AWS config or credentials file line by line, the way
// the AWS CLI does (botocore's configloader.raw_config_parse, which uses
// Python's configparser.RawConfigParser with its defaults):
//
//   - a UTF-8 byte order mark at the start is skipped;
//   - comments are whole lines starting with "#" or ";" (after any
//     indentation); a "#" or ";" after a value is part of the value;
//   - the first "=" or ":" splits a key from its value; keys are
//     case-insensitive; both are trimmed;
//   - a line indented deeper than the key line before it continues that
//     key's value, even after blank or comment lines; a nested block's
//     lines (after a key with an empty value) must each hold "=";
//   - a key given twice in one section is an error: RawConfigParser is
//     strict by default and raises DuplicateOptionError, so the AWS CLI
//     refuses the whole file rather than letting the first or the last win
//     (botocore configloader.raw_config_parse; aws/aws-sam-cli#1035 shows
//     the same for a duplicate section).
//
// Whether two section headers name the same section depends on the file
// (in the config file "[profile a]" and "[profile  a]" are one profile),
// so duplicate sections are left to the reader.
//
// Errors are *SyntaxError with the line number; they never quote the
// file's content, which can hold secrets.
type Tokenizer struct {
	path string
	src  string
	pos  int // offset in src of the next line
	err  error

	// The current line. Its name and value are the fields below (section,
	// key and value, subName and subValue): a line writes only what it
	// changes, which keeps the parse's pointer writes, and so its GC write
	// barriers, down.
	kind       TokenKind
	line       int
	start, end int

	section           string // the current section's name
	subName, subValue string // the current sub-key line's

	bad    int // first line with a NUL or bytes that are not UTF-8, 0 if none
	badMsg string

	inSection bool
	keys      []string            // keys of the current section, for duplicates
	keySet    map[string]struct{} // keys again, once the section has many

	// The current key, which deeper-indented lines continue; "" when none.
	key       string
	value     string // its value so far
	keyIndent int
	nested    bool // its first value was empty: a "k = v" block follows
	blanks    int  // blank lines since its last line
}

// keySetFrom is the number of keys in a section past which duplicates are
// found with a map rather than by scanning: sections are short.
const keySetFrom = 16

// NewTokenizer returns a Tokenizer over data; path is used in errors only.
func NewTokenizer(path string, data []byte) *Tokenizer {
	t := new(Tokenizer)
	t.init(path, string(data))
	return t
}

// init readies t to read src; the parser keeps its Tokenizer by value.
func (t *Tokenizer) init(path, src string) {
	*t = Tokenizer{path: path, src: src, keys: make([]string, 0, keySetFrom)}
	if strings.HasPrefix(src, "\ufeff") {
		t.pos = len("\ufeff")
	}
	t.bad, t.badMsg = badLine(src[t.pos:])
}

// Next reads the next line; it reports false at the end of the data or at
// the first error (see Err).
func (t *Tokenizer) Next() bool {
	if t.err != nil || t.pos >= len(t.src) {
		return false
	}
	t.line++
	start := t.pos
	line := t.src[start:]
	if i := strings.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
		t.pos = start + i + 1
	} else {
		t.pos = len(t.src)
	}
	t.start, t.end = start, t.pos
	if t.line == t.bad {
		return t.fail(t.badMsg)
	}
	indent := 0
	for indent < len(line) && isSpace(line[indent]) {
		indent++
	}
	text := trimSpace(line[indent:])
	switch {
	case text == "":
		t.kind = TokenBlank
		if t.key != "" {
			t.blanks++
		}
	case text[0] == '#' || text[0] == ';':
		t.kind = TokenComment
	case t.key != "" && indent > t.keyIndent:
		return t.continuation(text)
	default:
		hadKey := t.key != ""
		t.key = ""
		if text[0] == '[' {
			return t.header(text)
		}
		return t.keyLine(text, indent, hadKey)
	}
	return true
}

// Token returns the line Next read.
func (t *Tokenizer) Token() Token {
	tok := Token{Kind: t.kind, Line: t.line, Start: t.start, End: t.end}
	switch t.kind {
	case TokenSection:
		tok.Name = t.section
	case TokenSubKey:
		tok.SubName, tok.SubValue = t.subName, t.subValue
		fallthrough
	case TokenKey, TokenContinuation:
		tok.Name, tok.Value = t.key, t.value
	}
	return tok
}

// Err returns the error that stopped Next, or nil.
func (t *Tokenizer) Err() error { return t.err }

// Fail returns a *SyntaxError at the line of the current token, for a
// reader's own checks (a duplicate section, say). msg must not quote a
// value of the file.
func (t *Tokenizer) Fail(msg string) error {
	return &SyntaxError{Path: t.path, Line: t.line, Msg: msg}
}

func (t *Tokenizer) fail(msg string) bool {
	t.err = t.Fail(msg)
	return false
}

func (t *Tokenizer) header(text string) bool {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return t.fail(`unterminated section header (no "]")`)
	}
	if after := trimSpace(text[end+1:]); after != "" && after[0] != '#' && after[0] != ';' {
		return t.fail(`text after "]" of a section header`)
	}
	name := trimSpace(text[1:end])
	if name == "" {
		return t.fail("empty section name")
	}
	t.kind, t.section = TokenSection, name
	t.inSection = true
	t.keys, t.keySet = t.keys[:0], nil
	return true
}

// keyLine reads a "key = value" line; hadKey tells whether a key came
// before it, which an indented line could have continued.
func (t *Tokenizer) keyLine(text string, indent int, hadKey bool) bool {
	d := 0
	for d < len(text) && text[d] != '=' && text[d] != ':' {
		d++
	}
	if d == len(text) {
		if indent > 0 && !hadKey {
			return t.fail("continuation line with no key before it")
		}
		return t.fail(`line has no "=" or ":"`)
	}
	if !t.inSection {
		return t.fail("key outside any section")
	}
	key := strings.ToLower(trimSpace(text[:d]))
	if key == "" {
		return t.fail(`empty key before "` + text[d:d+1] + `"`)
	}
	if t.seenKey(key) {
		return t.fail("duplicate key " + strconv.Quote(key))
	}
	val := trimSpace(text[d+1:])
	t.key, t.value, t.keyIndent, t.nested, t.blanks = key, val, indent, val == "", 0
	t.kind = TokenKey
	return true
}

// seenKey reports whether the current section has key already, and
// records it.
func (t *Tokenizer) seenKey(key string) bool {
	if t.keySet != nil {
		if _, ok := t.keySet[key]; ok {
			return true
		}
		t.keySet[key] = struct{}{}
		return false
	}
	for _, k := range t.keys {
		if k == key {
			return true
		}
	}
	t.keys = append(t.keys, key)
	if len(t.keys) > keySetFrom {
		t.keySet = make(map[string]struct{}, 2*len(t.keys))
		for _, k := range t.keys {
			t.keySet[k] = struct{}{}
		}
	}
	return false
}

// continuation reads a line indented under the current key.
func (t *Tokenizer) continuation(text string) bool {
	t.kind = TokenContinuation
	if t.nested {
		eq := strings.IndexByte(text, '=')
		if eq < 0 {
			return t.fail(`line in a nested block has no "="`)
		}
		k := strings.ToLower(trimSpace(text[:eq]))
		if k == "" {
			return t.fail(`empty key before "=" in a nested block`)
		}
		t.kind, t.subName, t.subValue = TokenSubKey, k, trimSpace(text[eq+1:])
	}
	if t.blanks == 0 {
		t.value = t.value + "\n" + text
	} else {
		t.value = t.value + strings.Repeat("\n", t.blanks+1) + text
		t.blanks = 0
	}
	return true
}
