package importer

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"

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
	keys map[string]*credKey // by lower-cased key
}

// credKey is one "key = value" line and its continuation lines.
type credKey struct {
	value      string
	start, end int // byte span in data, line endings included
}

// ParseCredentialsFile reads a credentials file the way the AWS CLI does,
// with awsconfig's Tokenizer: the same rules as the config file (comments,
// continuation lines, nested blocks, a key or a section given twice is an
// error), except that a section's name is the profile's name as written:
// "[profile x]" here is a profile named "profile x", as botocore reads it.
// path is used in messages only; messages never quote the file's content.
func ParseCredentialsFile(path string, data []byte) (*CredentialsFile, error) {
	f := &CredentialsFile{path: path, data: data}
	seen := map[string]*credSection{}
	var cur *credSection
	var last *credKey // the key continuation lines belong to
	tz := awsconfig.NewTokenizer(path, data)
	for tz.Next() {
		tok := tz.Token()
		switch tok.Kind {
		case awsconfig.TokenSection:
			if prev := seen[tok.Name]; prev != nil {
				return nil, tz.Fail("duplicate section " + strconv.Quote(tok.Name) + " (first on line " + strconv.Itoa(prev.line) + ")")
			}
			cur = &credSection{name: tok.Name, line: tok.Line, keys: map[string]*credKey{}}
			seen[tok.Name] = cur
			f.sections = append(f.sections, cur)
		case awsconfig.TokenKey:
			last = &credKey{value: tok.Value, start: tok.Start, end: tok.End}
			cur.keys[tok.Name] = last
		case awsconfig.TokenContinuation, awsconfig.TokenSubKey:
			last.value, last.end = tok.Value, tok.End
		}
	}
	if err := tz.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// Path is the file's path, as given to ParseCredentialsFile.
func (f *CredentialsFile) Path() string { return f.path }

// Keys returns one Key per section, in file order. A section that cannot
// be imported has Skip set.
func (f *CredentialsFile) Keys() []Key {
	out := make([]Key, 0, len(f.sections))
	for _, s := range f.sections {
		out = append(out, s.key())
	}
	return out
}

func (s *credSection) key() Key {
	k := Key{Profile: s.name}
	id, secret, token := s.keys[keyAccessKeyID], s.keys[keySecretKey], s.keys[keySessionToken]
	switch {
	case token != nil:
		k.Skip = "it holds temporary credentials (aws_session_token); only long-term keys are imported"
	case id == nil && secret == nil:
		k.Skip = "the section holds no access key"
	case id == nil:
		k.Skip = "the section has no aws_access_key_id"
	case secret == nil:
		k.Skip = "the section has no aws_secret_access_key"
	default:
		k.AccessKeyID = id.value
		k.Secret = credentials.NewSecret(secret.value)
	}
	return k
}

// Without returns the file's bytes without the aws_access_key_id and
// aws_secret_access_key lines of the named profiles' sections (each with
// its continuation lines, and the blank and comment lines among them);
// every other byte stays as it was. Only sections Keys offers for import (not skipped)
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
			k := s.keys[name]
			cut = append(cut, [2]int{k.start, k.end})
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
