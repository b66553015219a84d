package awsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/awstray/awstray/internal/atomicfile"
)

// AppendProfile adds a [profile NAME] section ([default] for "default") with
// keys as "key = value" lines at the end of the config file at path, leaving
// every byte already there as it was. It reports false, and changes nothing,
// when the file already has a section for the profile. The file (0600) and
// its folder (0700) are made when missing; the file is replaced atomically
// and keeps its mode. A symbolic link is followed, not replaced.
func AppendProfile(path, name string, keys [][2]string) (added bool, err error) {
	names, err := AppendProfiles(path, []Section{{Name: name, Keys: keys}})
	return len(names) == 1, err
}

// Section is a profile section to append: its name and "key = value" lines.
type Section struct {
	Name string
	Keys [][2]string
}

// AppendProfiles is AppendProfile for many sections in one write: it
// appends those whose profile the file does not have yet (the first of a
// name given twice) and returns their names. Nothing is written when one
// of them is not valid.
func AppendProfiles(path string, sections []Section) (added []string, err error) {
	for _, s := range sections {
		if err := checkNewProfile(s.Name, s.Keys); err != nil {
			return nil, err
		}
	}
	wrap := func(err error) error {
		if len(sections) == 1 {
			return fmt.Errorf("adding profile %q: %w", sections[0].Name, err)
		}
		return fmt.Errorf("adding profiles: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("making the AWS config folder: %w", err)
	}
	// Edit may call this again on content someone saved meanwhile: it
	// depends on data alone.
	err = atomicfile.Edit(path, 0o600, func(data []byte, _ bool) ([]byte, error) {
		added = nil
		cfg, err := Parse(path, data)
		if err != nil {
			return nil, err
		}
		out := data
		seen := map[string]bool{}
		for _, s := range sections {
			if cfg.lookup(s.Name) != nil || seen[s.Name] {
				continue
			}
			seen[s.Name] = true
			out = appendSection(out, s.Name, s.Keys)
			added = append(added, s.Name)
		}
		return out, nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	return added, nil
}

// CheckProfileName refuses a profile name that a [profile NAME] header
// could not carry.
func CheckProfileName(name string) error {
	switch {
	case name == "":
		return errors.New("empty profile name")
	case !utf8.ValidString(name):
		return errors.New("profile name is not valid UTF-8")
	case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		return fmt.Errorf("profile name %q has whitespace or control characters in it", name)
	case strings.ContainsRune(name, ']'):
		return fmt.Errorf(`profile name %q has "]" in it`, name)
	}
	return nil
}

// checkNewProfile refuses a name or keys that would not read back as
// written. Messages name keys, never values.
func checkNewProfile(name string, keys [][2]string) error {
	if err := CheckProfileName(name); err != nil {
		return err
	}
	seen := make(map[string]bool, len(keys))
	for _, kv := range keys {
		k, v := kv[0], kv[1]
		lk := strings.ToLower(k)
		switch {
		case k == "":
			return fmt.Errorf("profile %q: empty key", name)
		case !utf8.ValidString(k) || strings.ContainsFunc(k, unicode.IsControl):
			return fmt.Errorf("profile %q: key %q has characters that are not allowed", name, k)
		case strings.ContainsAny(k, "=:") || strings.ContainsAny(k[:1], "[#;") || trimSpace(k) != k:
			return fmt.Errorf("profile %q: key %q would not read back (it has \"=\" or \":\", starts with \"[\", \"#\" or \";\", or has spaces around it)", name, k)
		case seen[lk]:
			return fmt.Errorf("profile %q: key %q given twice", name, k)
		case !utf8.ValidString(v) || strings.ContainsFunc(v, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }):
			return fmt.Errorf("profile %q: value of %s has a line break or control characters", name, strconv.Quote(k))
		case trimSpace(v) != v:
			return fmt.Errorf("profile %q: value of %s has spaces around it, which would be lost", name, strconv.Quote(k))
		}
		seen[lk] = true
	}
	return nil
}

// appendSection returns data followed by the new section, written with the
// line endings data uses.
func appendSection(data []byte, name string, keys [][2]string) []byte {
	nl := "\n"
	if i := bytes.IndexByte(data, '\n'); i > 0 && data[i-1] == '\r' {
		nl = "\r\n"
	}
	out := make([]byte, 0, len(data)+len(name)+32+len(keys)*48)
	out = append(out, data...)
	if len(data) > 0 {
		if out[len(out)-1] != '\n' {
			out = append(out, nl...)
		}
		last := bytes.TrimSuffix(out[:len(out)-1], []byte("\r"))
		if trimSpace(string(last[bytes.LastIndexByte(last, '\n')+1:])) != "" {
			out = append(out, nl...)
		}
	}
	if name == "default" {
		out = append(out, "[default]"...)
	} else {
		out = append(out, "[profile "...)
		out = append(out, name...)
		out = append(out, ']')
	}
	out = append(out, nl...)
	for _, kv := range keys {
		out = append(out, kv[0]...)
		out = append(out, " ="...)
		if kv[1] != "" {
			out = append(out, ' ')
			out = append(out, kv[1]...)
		}
		out = append(out, nl...)
	}
	return out
}
