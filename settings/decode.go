package settings

import (
	"errors"
	"fmt"
	"path"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/awstray/awstray/desktop/browser"
)

// Backends are the keyring backends the backend setting accepts, as the
// keyring package names them (keystore.Backends, which this package does
// not import: it would bring the keyring package's init with it).
var Backends = []string{"secret-service", "kwallet", "pass", "keyctl", "file", "wincred", "keychain"}

// The lifetimes AWS allows: GetSessionToken for an IAM user 15m to 36h,
// AssumeRole 15m to 12h (the most a role's maximum session duration can be
// set to). A role assumed with temporary credentials gets 1h at most; the
// chain caps that itself, as a role's own duration_seconds may ask more.
// The settings file is held to the maximums only: below 15m AWS answers
// with its own clear refusal, and emulators of STS (moto, LocalStack) give
// the short sessions that tests of renewal run on.
const (
	MinDuration        = 15 * time.Minute
	MaxSessionDuration = 36 * time.Hour
	MaxRoleDuration    = 12 * time.Hour
)

// Problem is one thing wrong in a settings file.
type Problem struct {
	Line int    // 1-based; 0 when the file as a whole is at fault
	Key  string // the setting concerned; "" when the line names none
	Msg  string // what is wrong, naming the setting

	text string // the line, for a line that does not parse
}

// FileError is Load's error when part of a settings file cannot be used.
// The Settings that come with it hold every setting that could.
type FileError struct {
	Path     string
	Problems []Problem
}

var oneLine = strings.NewReplacer("\n", `\n`, "\r", `\r`)

// maxShown bounds the problems Error lists: one line stays readable.
const maxShown = 3

// Error gives each problem as PATH:LINE: MESSAGE, on one line.
func (e *FileError) Error() string {
	var parts []string
	for i, p := range e.Problems {
		if i == maxShown {
			parts = append(parts, fmt.Sprintf("and %d more", len(e.Problems)-maxShown))
			break
		}
		msg := oneLine.Replace(p.Msg) // the parser quotes what it found
		if p.Line > 0 {
			parts = append(parts, fmt.Sprintf("%s:%d: %s", e.Path, p.Line, msg))
		} else {
			parts = append(parts, fmt.Sprintf("%s: %s", e.Path, msg))
		}
	}
	return strings.Join(parts, "; ")
}

// Bad reports whether the value of key may be missing from the Settings
// because of a problem: its own value is bad, or a line that does not
// parse could have set it.
func (e *FileError) Bad(key string) bool {
	for _, p := range e.Problems {
		if p.Key == key {
			return true
		}
		if p.Key == "" && (p.Line == 0 || strings.Contains(p.text, key)) {
			return true
		}
	}
	return false
}

// fields maps each toml tag of Settings to its field.
var fields = func() map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	t := reflect.TypeFor[Settings]()
	for i := range t.NumField() {
		f := t.Field(i)
		if tag := f.Tag.Get("toml"); tag != "" {
			m[tag] = f
		}
	}
	return m
}()

// maxSyntax bounds the lines decode blanks out: each costs a parse of the
// whole text.
const maxSyntax = 20

// decode reads every setting of text on its own, so that one bad value
// or line costs that setting only.
func decode(text string) (Settings, []Problem) {
	var s Settings
	var problems []Problem
	lines := strings.SplitAfter(text, "\n")

	// The parser stops at the first syntax error: blank that line and
	// parse again, so that the other lines still count.
	var raw map[string]toml.Primitive
	var md toml.MetaData
	for attempt := 0; ; attempt++ {
		raw = nil
		var err error
		md, err = toml.Decode(strings.Join(lines, ""), &raw)
		if err == nil {
			break
		}
		var pe toml.ParseError
		n := 0
		if errors.As(err, &pe) {
			n = errorLine(lines, pe.Position.Start)
		}
		if n < 1 {
			return Settings{}, append(problems, Problem{Msg: cleanTOML(err)})
		}
		if attempt == maxSyntax {
			return Settings{}, append(problems, Problem{Msg: fmt.Sprintf("more than %d lines do not parse; is this a settings file?", maxSyntax)})
		}
		l := lines[n-1]
		key := lineKey(l)
		msg := pe.Message
		if key != "" {
			msg = key + ": " + msg
		}
		problems = append(problems, Problem{Line: n, Key: key, Msg: msg, text: l})
		lines[n-1] = ""
		if strings.HasSuffix(l, "\n") {
			lines[n-1] = "\n" // keep the line numbers
		}
	}

	sv := reflect.ValueOf(&s).Elem()
	var rules []BrowserRule
	for _, k := range md.Keys() {
		if k[0] == browsersTable {
			if r, p, ok := decodeBrowserRule(md, raw, lines, k); p != nil {
				problems = append(problems, *p)
			} else if ok {
				rules = append(rules, r)
			}
			continue
		}
		if len(k) != 1 {
			continue // inside a table: the table itself is reported
		}
		name := k[0]
		line := keyLine(lines, name)
		f, ok := fields[name]
		if !ok {
			problems = append(problems, Problem{Line: line, Key: name, Msg: fmt.Sprintf("unknown setting %q", name)})
			continue
		}
		if want, got := tomlType(f.Type), md.Type(name); got != want {
			problems = append(problems, Problem{Line: line, Key: name, Msg: fmt.Sprintf("%s is %s; it takes %s", name, describe(got), takes(f.Type))})
			continue
		}
		v := reflect.New(f.Type)
		if err := md.PrimitiveDecode(raw[name], v.Interface()); err != nil {
			msg := cleanTOML(err)
			var pe toml.ParseError
			if errors.As(err, &pe) {
				msg = pe.Message
			}
			problems = append(problems, Problem{Line: line, Key: name, Msg: name + ": " + msg})
			continue
		}
		sv.FieldByIndex(f.Index).Set(v.Elem())
	}
	if rules != nil {
		s.Browsers = BrowserRules{&rules}
	}
	return s, append(problems, validate(&s, lines)...)
}

// browsersTable is the table of per-profile browsers.
const browsersTable = "browsers"

// decodeBrowserRule reads key k of the [browsers] table (k[0]): a rule, a
// problem, or neither (the table's own key).
func decodeBrowserRule(md toml.MetaData, raw map[string]toml.Primitive, lines []string, k toml.Key) (BrowserRule, *Problem, bool) {
	if len(k) == 1 {
		if t := md.Type(k[0]); t != "Hash" {
			return BrowserRule{}, &Problem{Line: keyLine(lines, k[0]), Key: k[0], Msg: fmt.Sprintf(`browsers is %s; it takes a table: [browsers] and "glob" = "browser" lines`, describe(t))}, false
		}
		return BrowserRule{}, nil, false
	}
	if len(k) > 2 {
		return BrowserRule{}, nil, false // inside k[:2], reported there
	}
	glob := k[1]
	line := tableKeyLine(lines, k[0], glob)
	bad := func(msg string) (BrowserRule, *Problem, bool) {
		return BrowserRule{}, &Problem{Line: line, Key: k[0], Msg: fmt.Sprintf("browsers: %q: %s", glob, msg)}, false
	}
	if t := md.Type(k...); t != "String" {
		return bad(fmt.Sprintf("is %s; it takes a string in quotes", describe(t)))
	}
	var table map[string]toml.Primitive
	var cmd string
	if err := md.PrimitiveDecode(raw[k[0]], &table); err != nil {
		return bad(cleanTOML(err))
	}
	if err := md.PrimitiveDecode(table[glob], &cmd); err != nil {
		return bad(cleanTOML(err))
	}
	if _, err := path.Match(glob, ""); err != nil {
		return bad("is not a pattern such as prod-* (" + err.Error() + ")")
	}
	if _, err := browser.Parse(cmd); err != nil {
		return bad(err.Error())
	}
	return BrowserRule{Glob: glob, Command: cmd}, nil, true
}

// tableKeyLine returns the line (1-based) that sets key in [table]; 0
// when there is none.
func tableKeyLine(lines []string, table, key string) int {
	in := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			in = strings.Trim(strings.TrimSpace(strings.Trim(strings.SplitN(t, "]", 2)[0], "[")), `"'`) == table
			continue
		}
		k, _, ok := strings.Cut(t, "=")
		if !in || !ok {
			continue
		}
		k = strings.TrimSpace(k)
		if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
			k = k[1 : len(k)-1]
		}
		if k == key {
			return i + 1
		}
	}
	return 0
}

// validate checks values a TOML type cannot, and clears those that fail.
func validate(s *Settings, lines []string) []Problem {
	var problems []Problem
	bad := func(key, msg string) {
		problems = append(problems, Problem{Line: keyLine(lines, key), Key: key, Msg: msg})
	}
	inRange := func(key string, d *Duration, max time.Duration) {
		if d.Duration > max {
			bad(key, fmt.Sprintf("%s %q is longer than AWS allows (%s to %s)", key, ShortDuration(d.Duration), ShortDuration(MinDuration), ShortDuration(max)))
			d.Duration = 0
		}
	}
	inRange("session_duration", &s.SessionDuration, MaxSessionDuration)
	inRange("role_duration", &s.RoleDuration, MaxRoleDuration)
	if s.Backend != "" && !slices.Contains(Backends, s.Backend) {
		bad("backend", fmt.Sprintf("backend %q is not one of %s", s.Backend, strings.Join(Backends, ", ")))
		s.Backend = ""
	}
	switch s.ExportFormat {
	case "", "env", "env-no-export", "fish", "powershell", "windows-cmd":
	default:
		bad("export_format", fmt.Sprintf("export_format %q is not one of env, env-no-export, fish, powershell, windows-cmd", s.ExportFormat))
		s.ExportFormat = ""
	}
	switch s.Dialogs {
	case "", "auto", "zenity", "kdialog", "osascript", "powershell", "ykman":
	default:
		bad("dialogs", fmt.Sprintf("dialogs %q is not one of auto, zenity, kdialog, osascript, powershell, ykman", s.Dialogs))
		s.Dialogs = ""
	}
	if _, err := browser.Parse(s.Browser); err != nil {
		bad("browser", "browser: "+err.Error())
		s.Browser = ""
	}
	for _, pat := range s.GuardedProfiles {
		if _, err := path.Match(pat, ""); err != nil {
			bad("guarded_profiles", fmt.Sprintf("guarded_profiles: %q is not a valid pattern", pat))
		}
	}
	if s.Dialogs == "ykman" && s.YkmanAccount == "" {
		bad("dialogs", `dialogs = "ykman" needs ykman_account`)
		s.Dialogs = ""
	}
	return problems
}

// ShortDuration writes d as people write it: 36h, 1h30m, 15m.
func ShortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// tomlType is the TOML type (as MetaData.Type names it) a field takes.
func tomlType(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Bool {
		return "Bool"
	}
	if t.Kind() == reflect.Slice {
		return "Array"
	}
	return "String" // strings, and durations written as "8h"
}

func takes(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[Duration]():
		return `a duration in quotes, such as "45m"`
	case tomlType(t) == "Bool":
		return "true or false"
	case tomlType(t) == "Array":
		return `a list of strings in quotes, such as ["prod*"]`
	}
	return "a string in quotes"
}

func describe(tomlType string) string {
	switch tomlType {
	case "Integer", "Float":
		return "a number"
	case "String":
		return "a string"
	case "Bool":
		return "true or false"
	case "Array", "ArrayHash":
		return "a list"
	case "Hash":
		return "a table"
	case "":
		return "empty"
	}
	return "a date or time"
}

// cleanTOML drops the library's "toml: " prefix.
func cleanTOML(err error) string {
	return strings.TrimPrefix(err.Error(), "toml: ")
}

// errorLine is the line (1-based) of a parse error at byte offset start:
// Position.Line counts a newline the lexer has read past, and an error
// found at the end of the text belongs to its last line that has something
// on it. 0 when there is no such line.
func errorLine(lines []string, start int) int {
	n, at := len(lines), 0
	for i, l := range lines {
		if start < at+len(l) {
			n = i + 1
			break
		}
		at += len(l)
	}
	for n > 0 && strings.TrimSpace(lines[n-1]) == "" {
		n--
	}
	return n
}

// lineKey returns the key a line sets ("key = …"), or "".
func lineKey(l string) string {
	k, _, ok := strings.Cut(l, "=")
	if !ok {
		return ""
	}
	k = strings.TrimSpace(k)
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
		k = k[1 : len(k)-1]
	}
	if k == "" || strings.ContainsAny(k, " \t\"'#[]") {
		return ""
	}
	return k
}

// keyLine returns the line (1-based) that sets the top-level key, or the
// table [key]; 0 when there is none.
func keyLine(lines []string, key string) int {
	top := true
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			name := strings.Trim(strings.TrimSpace(strings.Trim(strings.SplitN(t, "]", 2)[0], "[")), `"'`)
			if name == key {
				return i + 1
			}
			top = false
			continue
		}
		if top && lineKey(l) == key {
			return i + 1
		}
	}
	return 0
}
