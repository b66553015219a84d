package awsconfig

import (
	"bytes"
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

// Parse reads a config file's content the way the AWS CLI does (see
// Tokenizer for the rules of the format). path is used in messages only.
// Values are checked later, when a profile is used, so one bad profile
// does not hide the others.
func Parse(path string, data []byte) (*Config, error) {
	p := parser{
		path: path,
		// Room for every profile, so the slices are made once.
		cfg: newConfig(path, bytes.Count(data, []byte("[profile"))+1),
	}
	p.tz.init(path, string(data))
	if err := p.parse(); err != nil {
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

// parser turns the Tokenizer's lines into a Config.
type parser struct {
	path string
	cfg  *Config
	tz   Tokenizer

	seen map[sectionID]int // header line of each section read so far
	slab []Profile         // profiles are cut from it: one allocation for most

	// The current section. raw holds its keys: the profile's or the
	// sso-session's Raw; nil for a section whose keys are not kept.
	kind   sectionKind
	prof   *Profile
	sso    *SSOSession
	svc    *Services
	raw    map[string]string
	defIdx int // index in cfg.Profiles of "default", -1 when none yet
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

func (p *parser) parse() error {
	tz := &p.tz
	p.seen = make(map[sectionID]int, cap(p.cfg.Profiles))
	p.slab = make([]Profile, 0, cap(p.cfg.Profiles))
	p.defIdx = -1
	for tz.Next() {
		switch tz.kind {
		case TokenSection:
			if err := p.header(tz.section, tz.line); err != nil {
				return err
			}
		case TokenKey:
			if p.raw != nil {
				p.raw[tz.key] = tz.value
				p.set(tz.key, tz.value)
			}
		case TokenSubKey:
			if p.svc != nil {
				m := p.svc.Settings[tz.key]
				if m == nil {
					m = make(map[string]string, 2)
					p.svc.Settings[tz.key] = m
				}
				m[tz.subName] = tz.subValue
			}
			fallthrough
		case TokenContinuation:
			if p.prof != nil || p.sso != nil {
				p.raw[tz.key] = tz.value
				p.set(tz.key, tz.value)
			}
		}
	}
	return tz.Err()
}

// header starts the section named h (trimmed, not empty), whose header is
// on line.
func (p *parser) header(h string, line int) error {
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
				return p.tz.Fail("empty " + word + " name")
			}
			if hasSpace(rest) {
				return p.tz.Fail(word + " name " + strconv.Quote(rest) + " has whitespace in it")
			}
			id.name = rest
		}
	}
	if first, ok := p.seen[id]; ok {
		return p.tz.Fail("duplicate section " + strconv.Quote(id.String()) + " (first on line " + strconv.Itoa(first) + ")")
	}
	p.seen[id] = line

	p.kind, p.prof, p.sso, p.svc = id.kind, nil, nil, nil
	switch id.kind {
	case secProfile, secDefaultHeader:
		p.kind = secProfile
		name := id.name
		if id.kind == secDefaultHeader {
			name = "default"
		}
		p.prof = p.newProfile()
		p.prof.Name, p.prof.Line = name, line
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
		p.sso = &SSOSession{Name: id.name, Line: line, Raw: make(map[string]string, 4)}
		p.raw = p.sso.Raw
		p.cfg.SSOSessions[id.name] = p.sso
	case secServices:
		p.svc = &Services{Name: id.name, Line: line, Settings: map[string]map[string]string{}}
		p.raw = nil
		p.cfg.Services[id.name] = p.svc
	default:
		p.raw = nil
	}
	return nil
}

// newProfile cuts a Profile from the slab.
func (p *parser) newProfile() *Profile {
	if len(p.slab) == cap(p.slab) {
		p.slab = make([]Profile, 0, max(8, cap(p.slab)))
	}
	p.slab = p.slab[:len(p.slab)+1]
	prof := &p.slab[len(p.slab)-1]
	prof.Raw = make(map[string]string, 8)
	return prof
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
