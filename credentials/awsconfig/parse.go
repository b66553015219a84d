package awsconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SyntaxError is a line of the config file that cannot be read. Msg never
// holds a value from the file: config files can hold secrets.
type SyntaxError struct {
	Path string
	Line int
	Msg  string
}

func (e *SyntaxError) Error() string {
	if e.Path == "" {
		return "line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return cleanPath(e.Path) + ":" + strconv.Itoa(e.Line) + ": " + e.Msg
}

// DefaultPath returns the config file the AWS CLI reads: AWS_CONFIG_FILE
// (a leading ~ is the home folder), else ~/.aws/config.
func DefaultPath(getenv func(string) string) (string, error) {
	if p := getenv("AWS_CONFIG_FILE"); p != "" {
		if p != "~" && !strings.HasPrefix(p, "~/") && !(runtime.GOOS == "windows" && strings.HasPrefix(p, `~\`)) {
			return p, nil
		}
		home, err := homeDir(getenv)
		if err != nil {
			return "", fmt.Errorf("expanding AWS_CONFIG_FILE: %w", err)
		}
		return filepath.Join(home, p[1:]), nil
	}
	home, err := homeDir(getenv)
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".aws", "config"), nil
}

// homeDir is the home folder as the AWS SDKs find it: USERPROFILE on
// Windows, HOME elsewhere.
func homeDir(getenv func(string) string) (string, error) {
	if runtime.GOOS == "windows" {
		if h := getenv("USERPROFILE"); h != "" {
			return h, nil
		}
	}
	if h := getenv("HOME"); h != "" {
		return h, nil
	}
	return "", errors.New("cannot find the home folder: HOME is not set")
}

// Load reads and parses the config file at path. A missing file is an empty
// config, as it is for the AWS CLI.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return newConfig(path, 0), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading AWS config: %w", err)
	}
	return Parse(path, data)
}

func newConfig(path string, sections int) *Config {
	return &Config{
		Path:        path,
		Profiles:    make([]*Profile, 0, sections),
		SSOSessions: map[string]*SSOSession{},
		Services:    map[string]*Services{},
	}
}

// Parse reads a config file's content the way the AWS CLI does (Python's
// RawConfigParser): whole-line comments only, the first "=" or ":" splits a
// key from its value, keys are case-insensitive, indented lines continue a
// value. path is used in messages only. Values are checked later, when a
// profile is used, so one bad profile does not hide the others.
func Parse(path string, data []byte) (*Config, error) {
	src := string(data)
	src = strings.TrimPrefix(src, "\ufeff")
	p := parser{
		path: path,
		// Room for every profile, so the slices are made once.
		cfg: newConfig(path, strings.Count(src, "[profile")+1),
	}
	if err := p.parse(src); err != nil {
		return nil, err
	}
	p.cfg.mergeIncludes()
	return p.cfg, nil
}

type sectionKind uint8

const (
	secNone          sectionKind = iota // before the first header
	secProfile                          // [profile NAME]
	secDefaultHeader                    // [default], a profile too
	secSSOSession                       // [sso-session NAME]
	secServices                         // [services NAME]
	secOther                            // read for syntax, then dropped
)

type sectionID struct {
	kind sectionKind
	name string
}

func (id sectionID) String() string {
	switch id.kind {
	case secProfile:
		return "profile " + id.name
	case secSSOSession:
		return "sso-session " + id.name
	case secServices:
		return "services " + id.name
	}
	return id.name
}

type parser struct {
	path string
	cfg  *Config
	line int

	seen map[sectionID]int // header line of each section read so far
	slab []Profile         // profiles are cut from it: one allocation for most

	// The current section. raw holds its keys, for duplicates; for a
	// profile it is the profile's Raw.
	kind   sectionKind
	prof   *Profile
	sso    *SSOSession
	svc    *Services
	raw    map[string]string
	defIdx int // index in cfg.Profiles of "default", -1 when none yet

	// The current key, which indented lines continue.
	key       string
	keyIndent int
	nested    bool // the key's first value was empty: a "k = v" block follows
	blanks    int  // blank lines seen since the key's last line
}

func (p *parser) fail(msg string) error {
	return &SyntaxError{Path: p.path, Line: p.line, Msg: msg}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

func trimSpace(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

func hasSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if isSpace(s[i]) {
			return true
		}
	}
	return false
}

// badLine returns the first line holding a NUL byte or bytes that are not
// UTF-8, and what is wrong with it; 0 when none.
func badLine(src string) (int, string) {
	if strings.IndexByte(src, 0) < 0 && utf8.ValidString(src) {
		return 0, ""
	}
	for n := 1; ; n++ {
		line, rest, _ := strings.Cut(src, "\n")
		if strings.IndexByte(line, 0) >= 0 {
			return n, "line has a NUL byte"
		}
		if !utf8.ValidString(line) {
			return n, "line is not valid UTF-8"
		}
		src = rest
	}
}

func (p *parser) parse(src string) error {
	bad, badMsg := badLine(src)
	p.seen = make(map[sectionID]int, cap(p.cfg.Profiles))
	p.slab = make([]Profile, 0, cap(p.cfg.Profiles))
	p.defIdx = -1
	for p.line = 1; len(src) > 0; p.line++ {
		var line string
		if i := strings.IndexByte(src, '\n'); i >= 0 {
			line, src = src[:i], src[i+1:]
		} else {
			line, src = src, ""
		}
		if p.line == bad {
			return p.fail(badMsg)
		}
		indent := 0
		for indent < len(line) && isSpace(line[indent]) {
			indent++
		}
		text := trimSpace(line[indent:])
		if text == "" {
			if p.key != "" {
				p.blanks++
			}
			continue
		}
		if text[0] == '#' || text[0] == ';' {
			continue
		}
		if p.key != "" && indent > p.keyIndent {
			if err := p.continuation(text); err != nil {
				return err
			}
			continue
		}
		hadKey := p.key != ""
		p.key = ""
		if text[0] == '[' {
			if err := p.header(text); err != nil {
				return err
			}
			continue
		}
		if err := p.keyLine(text, indent, hadKey); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) header(text string) error {
	end := strings.IndexByte(text, ']')
	if end < 0 {
		return p.fail(`unterminated section header (no "]")`)
	}
	if after := trimSpace(text[end+1:]); after != "" && after[0] != '#' && after[0] != ';' {
		return p.fail(`text after "]" of a section header`)
	}
	h := trimSpace(text[1:end])
	if h == "" {
		return p.fail("empty section name")
	}
	id := sectionID{kind: secOther, name: h}
	if h == "default" {
		id.kind = secDefaultHeader
	} else {
		word, rest := h, ""
		for i := 0; i < len(h); i++ {
			if isSpace(h[i]) {
				word, rest = h[:i], trimSpace(h[i:])
				break
			}
		}
		switch word {
		case "profile":
			id.kind = secProfile
		case "sso-session":
			id.kind = secSSOSession
		case "services":
			id.kind = secServices
		}
		if id.kind != secOther {
			if rest == "" {
				return p.fail("empty " + word + " name")
			}
			if hasSpace(rest) {
				return p.fail(word + " name " + strconv.Quote(rest) + " has whitespace in it")
			}
			id.name = rest
		}
	}
	if first, ok := p.seen[id]; ok {
		return p.fail("duplicate section " + strconv.Quote(id.String()) + " (first on line " + strconv.Itoa(first) + ")")
	}
	p.seen[id] = p.line

	p.kind, p.prof, p.sso, p.svc = id.kind, nil, nil, nil
	switch id.kind {
	case secProfile, secDefaultHeader:
		p.kind = secProfile
		name := id.name
		if id.kind == secDefaultHeader {
			name = "default"
		}
		p.prof = p.newProfile()
		p.prof.Name, p.prof.Line = name, p.line
		p.raw = p.prof.Raw
		if name != "default" {
			p.cfg.Profiles = append(p.cfg.Profiles, p.prof)
			break
		}
		// [profile default] wins over [default], in either order; the
		// loser is still read, for its syntax.
		fromProfile := id.kind == secProfile
		switch {
		case p.defIdx < 0:
			p.defIdx = len(p.cfg.Profiles)
			p.cfg.Profiles = append(p.cfg.Profiles, p.prof)
		case fromProfile:
			p.cfg.Profiles[p.defIdx] = p.prof
		}
	case secSSOSession:
		p.sso = &SSOSession{Name: id.name, Line: p.line, Raw: make(map[string]string, 4)}
		p.raw = p.sso.Raw
		p.cfg.SSOSessions[id.name] = p.sso
	case secServices:
		p.svc = &Services{Name: id.name, Line: p.line, Settings: map[string]map[string]string{}}
		p.raw = map[string]string{}
		p.cfg.Services[id.name] = p.svc
	default:
		p.raw = map[string]string{}
	}
	return nil
}

// keyLine reads a "key = value" line; hadKey tells whether a key came
// before it in the section, which an indented line could have continued.
func (p *parser) newProfile() *Profile {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]Profile, 0, max(8, cap(p.slab)))
	}
	p.slab = p.slab[:len(p.slab)+1]
	prof := &p.slab[len(p.slab)-1]
	prof.Raw = make(map[string]string, 8)
	return prof
}

func (p *parser) keyLine(text string, indent int, hadKey bool) error {
	d := 0
	for d < len(text) && text[d] != '=' && text[d] != ':' {
		d++
	}
	if d == len(text) {
		if indent > 0 && !hadKey {
			return p.fail("continuation line with no key before it")
		}
		return p.fail(`line has no "=" or ":"`)
	}
	if p.kind == secNone {
		return p.fail("key outside any section")
	}
	key := strings.ToLower(trimSpace(text[:d]))
	if key == "" {
		return p.fail(`empty key before "` + text[d:d+1] + `"`)
	}
	if _, dup := p.raw[key]; dup {
		return p.fail("duplicate key " + strconv.Quote(key))
	}
	val := trimSpace(text[d+1:])
	p.raw[key] = val
	p.key, p.keyIndent, p.nested, p.blanks = key, indent, val == "", 0
	p.set(key, val)
	return nil
}

// continuation handles a line indented under a key: more of its value, or
// one "k = v" line of a nested block when the key's own value was empty.
func (p *parser) continuation(text string) error {
	if p.nested {
		eq := strings.IndexByte(text, '=')
		if eq < 0 {
			return p.fail(`line in a nested block has no "="`)
		}
		k := strings.ToLower(trimSpace(text[:eq]))
		if k == "" {
			return p.fail(`empty key before "=" in a nested block`)
		}
		if p.svc != nil {
			m := p.svc.Settings[p.key]
			if m == nil {
				m = make(map[string]string, 2)
				p.svc.Settings[p.key] = m
			}
			m[k] = trimSpace(text[eq+1:])
		}
	}
	if p.prof == nil && p.sso == nil {
		return nil
	}
	// The value is the lines joined with "\n", blank ones kept inside, as
	// Python's configparser joins them.
	v := p.raw[p.key] + strings.Repeat("\n", p.blanks+1) + text
	p.blanks = 0
	p.raw[p.key] = v
	p.set(p.key, v)
	return nil
}

func (p *parser) set(key, val string) {
	switch {
	case p.prof != nil:
		p.prof.set(key, val)
	case p.sso != nil:
		p.sso.set(key, val)
	}
}

func (s *SSOSession) set(key, val string) {
	switch key {
	case "sso_start_url":
		s.StartURL = val
	case "sso_region":
		s.Region = val
	case "sso_registration_scopes":
		s.RegistrationScopes = val
	}
}

// set stores a key's value in its field, if it has one. An invalid
// duration_seconds leaves Duration 0; validation reports it from Raw.
func (p *Profile) set(key, val string) {
	switch key {
	case "region":
		p.Region = val
	case "source_profile":
		p.SourceProfile = val
	case "role_arn":
		p.RoleARN = val
	case "mfa_serial":
		p.MFASerial = val
	case "mfa_process":
		p.MFAProcess = val
	case "role_session_name":
		p.RoleSessionName = val
	case "external_id":
		p.ExternalID = val
	case "duration_seconds":
		p.Duration = 0
		if n, err := strconv.ParseInt(val, 10, 32); err == nil && n > 0 {
			p.Duration = time.Duration(n) * time.Second
		}
	case "include_profile":
		p.IncludeProfile = val
	case "credential_process":
		p.CredentialProcess = val
	case "sso_session":
		p.SSOSession = val
	case "sso_start_url":
		p.SSOStartURL = val
	case "sso_region":
		p.SSORegion = val
	case "sso_account_id":
		p.SSOAccountID = val
	case "sso_role_name":
		p.SSORoleName = val
	case "endpoint_url":
		p.EndpointURL = val
	case "services":
		p.Services = val
	}
}

// cleanPath makes a path safe for a one-line message.
func cleanPath(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
