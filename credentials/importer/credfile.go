package importer

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/awstray/awstray/credentials"

	"github.com/awstray/awstray/internal/atomicfile"
)

// The keys of a credentials file section that hold a key pair, and the one
// that marks the pair as temporary.
const (
	keyAccessKeyID  = "aws_access_key_id"
	keySecretKey    = "aws_secret_access_key"
	keySessionToken = "aws_session_token"
)

// CredentialsFilePath returns the shared credentials file the AWS CLI
// reads: AWS_SHARED_CREDENTIALS_FILE (a leading ~ is the home folder), else
// ~/.aws/credentials.
func CredentialsFilePath(getenv func(string) string) (string, error) {
	p := getenv("AWS_SHARED_CREDENTIALS_FILE")
	if p != "" && p != "~" && !strings.HasPrefix(p, "~/") && !(runtime.GOOS == "windows" && strings.HasPrefix(p, `~\`)) {
		return p, nil
	}
	home := getenv("HOME")
	if runtime.GOOS == "windows" && getenv("USERPROFILE") != "" {
		home = getenv("USERPROFILE")
	}
	if home == "" {
		return "", errors.New("cannot find the home folder: HOME is not set")
	}
	if p != "" {
		return filepath.Join(home, p[1:]), nil
	}
	return filepath.Join(home, ".aws", "credentials"), nil
}

// CredentialsFile is a parsed shared credentials file. It keeps the bytes
// it was read from so that Without can remove lines and keep every other
// byte.
type CredentialsFile struct {
	path     string
	data     []byte
	sections []*credSection
}

type credSection struct {
	name string
	line int
	// keys maps a lower-cased key to its lines; more than one entry means
	// the key is given twice.
	keys map[string][]*credKey
	dup  bool // the section's name appears again in the file
}

// credKey is one "key = value" line and its continuation lines.
type credKey struct {
	value      string
	start, end int // byte span in data, line endings included
}

// ParseCredentialsFile reads a credentials file the way the AWS CLI does
// (Python's RawConfigParser): [name] sections, whole-line comments starting
// with # or ;, the first "=" or ":" splits a key from its value, keys are
// case-insensitive, values are taken whole, indented lines continue a value.
// path is used in messages only; messages never quote the file's content.
func ParseCredentialsFile(path string, data []byte) (*CredentialsFile, error) {
	f := &CredentialsFile{path: path, data: data}
	seen := map[string]*credSection{}
	var cur *credSection
	var last *credKey // the key an indented line would continue
	off := 0
	if bytes.HasPrefix(data, []byte("\ufeff")) {
		off = 3
	}
	for n := 1; off < len(data); n++ {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += off + 1
		}
		raw := data[off:end]
		start := off
		off = end
		fail := func(msg string) error {
			return fmt.Errorf("%s:%d: %s", path, n, msg)
		}
		if !utf8.Valid(raw) {
			return nil, fail("not valid UTF-8")
		}
		if bytes.IndexByte(raw, 0) >= 0 {
			return nil, fail("NUL byte")
		}
		text := strings.TrimRight(string(raw), "\r\n")
		trimmed := strings.TrimSpace(text)
		indented := len(text) > 0 && (text[0] == ' ' || text[0] == '\t')
		switch {
		case trimmed == "":
			last = nil
			continue
		case trimmed[0] == '#' || trimmed[0] == ';':
			continue
		case indented && last != nil:
			last.value = strings.TrimSpace(last.value + "\n" + trimmed)
			last.end = end
			continue
		case trimmed[0] == '[':
			if !strings.HasSuffix(trimmed, "]") {
				return nil, fail(`section header without "]"`)
			}
			name := strings.TrimSpace(trimmed[1 : len(trimmed)-1])
			if name == "" {
				return nil, fail("empty section name")
			}
			cur = &credSection{name: name, line: n, keys: map[string][]*credKey{}}
			if prev := seen[name]; prev != nil {
				prev.dup, cur.dup = true, true
			}
			seen[name] = cur
			f.sections = append(f.sections, cur)
			last = nil
			continue
		}
		d := strings.IndexAny(trimmed, "=:")
		if d < 0 {
			return nil, fail(`line has no "=" or ":"`)
		}
		if cur == nil {
			return nil, fail("key outside any section")
		}
		key := strings.ToLower(strings.TrimSpace(trimmed[:d]))
		if key == "" {
			return nil, fail(`empty key before "` + trimmed[d:d+1] + `"`)
		}
		last = &credKey{value: strings.TrimSpace(trimmed[d+1:]), start: start, end: end}
		cur.keys[key] = append(cur.keys[key], last)
	}
	return f, nil
}

// Path is the file's path, as given to ParseCredentialsFile.
func (f *CredentialsFile) Path() string { return f.path }

// Keys returns one Key per section, in file order (a name given twice, once,
// at its first section). A section that cannot be imported has Skip set.
func (f *CredentialsFile) Keys() []Key {
	var out []Key
	done := map[string]bool{}
	for _, s := range f.sections {
		if done[s.name] {
			continue
		}
		done[s.name] = true
		out = append(out, s.key())
	}
	return out
}

func (s *credSection) key() Key {
	k := Key{Profile: s.name}
	id, secret, token := s.keys[keyAccessKeyID], s.keys[keySecretKey], s.keys[keySessionToken]
	switch {
	case s.dup:
		k.Skip = "the section appears more than once in the file"
	case len(id) > 1 || len(secret) > 1 || len(token) > 1:
		k.Skip = "the section gives a key more than once"
	case len(token) == 1:
		k.Skip = "it holds temporary credentials (aws_session_token); only long-term keys are imported"
	case len(id) == 0 && len(secret) == 0:
		k.Skip = "the section holds no access key"
	case len(id) == 0:
		k.Skip = "the section has no aws_access_key_id"
	case len(secret) == 0:
		k.Skip = "the section has no aws_secret_access_key"
	default:
		k.AccessKeyID = id[0].value
		k.Secret = credentials.NewSecret(secret[0].value)
	}
	return k
}

// Without returns the file's bytes without the aws_access_key_id and
// aws_secret_access_key lines of the named profiles' sections; every other
// byte stays as it was. Only sections Keys offers for import (not skipped)
// lose lines.
func (f *CredentialsFile) Without(profiles []string) []byte {
	want := map[string]bool{}
	for _, p := range profiles {
		want[p] = true
	}
	var cut [][2]int
	for _, s := range f.sections {
		if !want[s.name] || s.key().Skip != "" {
			continue
		}
		for _, name := range []string{keyAccessKeyID, keySecretKey} {
			for _, k := range s.keys[name] {
				cut = append(cut, [2]int{k.start, k.end})
			}
		}
	}
	if len(cut) == 0 {
		return bytes.Clone(f.data)
	}
	slices.SortFunc(cut, func(a, b [2]int) int { return a[0] - b[0] })
	out := make([]byte, 0, len(f.data))
	pos := 0
	for _, c := range cut {
		out = append(out, f.data[pos:c[0]]...)
		pos = c[1]
	}
	return append(out, f.data[pos:]...)
}

// ErrFileChanged is matched by RemoveKeys' error when the file no longer
// holds what was parsed.
var ErrFileChanged = errors.New("the file changed while importing")

// RemoveKeys rewrites the file f was parsed from without the key lines of
// profiles (see Without). It does nothing, and returns an error matching
// ErrFileChanged, when the file on disk is no longer what f was parsed from
// (checked under the writers' lock and again just before the new file takes
// its place). The file is replaced atomically, keeping its mode; a symbolic
// link is followed, not replaced (see atomicfile.Edit).
func (f *CredentialsFile) RemoveKeys(profiles []string) error {
	err := atomicfile.Edit(f.path, 0o600, func(now []byte, exists bool) ([]byte, error) {
		if !exists || !bytes.Equal(now, f.data) {
			return nil, ErrFileChanged
		}
		return f.Without(profiles), nil
	})
	if errors.Is(err, ErrFileChanged) {
		return fmt.Errorf("rewriting %s: %w; nothing removed", f.path, err)
	}
	if err != nil {
		return fmt.Errorf("rewriting %s: %w", f.path, err)
	}
	return nil
}
