package importer

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/awstray/awstray/credentials/awsconfig"
)

const (
	testID     = "AKIAIOSFODNN7EXAMPLE"
	testSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// got is a Key as the tests compare it: profile, ID, secret, skip reason.
func got(keys []Key) []string {
	var out []string
	for _, k := range keys {
		out = append(out, k.Profile+"|"+k.AccessKeyID+"|"+k.Secret.Reveal()+"|"+k.Skip)
	}
	return out
}

func TestParseCredentialsFile(t *testing.T) {
	pair := "aws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n"
	ok := "|" + testID + "|" + testSecret + "|"
	cases := []struct {
		name string
		file string
		want []string
	}{
		{"one profile", "[dev]\n" + pair, []string{"dev" + ok}},
		{"comments and blanks", "# top\n; also\n\n[dev]\n  # indented comment\n" + pair + "; end\n", []string{"dev" + ok}},
		{"CRLF", strings.ReplaceAll("[dev]\n"+pair, "\n", "\r\n"), []string{"dev" + ok}},
		{"BOM", "\ufeff[dev]\n" + pair, []string{"dev" + ok}},
		{"colon and no spaces", "[dev]\naws_access_key_id:" + testID + "\naws_secret_access_key=" + testSecret + "\n", []string{"dev" + ok}},
		{"keys are case-insensitive", "[dev]\nAWS_Access_Key_ID = " + testID + "\nAWS_SECRET_ACCESS_KEY = " + testSecret + "\n", []string{"dev" + ok}},
		{"value taken whole", "[dev]\naws_access_key_id = " + testID + "\naws_secret_access_key = a;b#c\n", []string{"dev|" + testID + "|a;b#c|"}},
		{"no final newline", "[dev]\n" + strings.TrimSuffix(pair, "\n"), []string{"dev" + ok}},
		{"missing secret", "[dev]\naws_access_key_id = " + testID + "\n", []string{"dev|||the section has no aws_secret_access_key"}},
		{"missing id", "[dev]\naws_secret_access_key = " + testSecret + "\n", []string{"dev|||the section has no aws_access_key_id"}},
		{"no key at all", "[dev]\nregion = us-east-1\n", []string{"dev|||the section holds no access key"}},
		{"session token", "[tmp]\n" + pair + "aws_session_token = tok\n", []string{"tmp|||it holds temporary credentials (aws_session_token); only long-term keys are imported"}},
		{"profile prefix is part of the name", "[profile dev]\n" + pair, []string{"profile dev" + ok}},
		{"comment after the header", "[dev] # team\n" + pair, []string{"dev" + ok}},
		{"indented keys", "[dev]\n  aws_access_key_id = " + testID + "\n  aws_secret_access_key = " + testSecret + "\n", []string{"dev" + ok}},
		{"empty file", "", nil},
		{"order kept", "[b]\n" + pair + "[a]\n" + pair, []string{"b" + ok, "a" + ok}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseCredentialsFile("credentials", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if g := got(f.Keys()); strings.Join(g, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(g, "\n  "), strings.Join(tc.want, "\n  "))
			}
		})
	}
}

func TestParseCredentialsFileErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"no delimiter", "[dev]\n" + testSecret + "\n", `credentials:2: line has no "=" or ":"`},
		{"key outside a section", "aws_access_key_id = " + testID + "\n", "credentials:1: key outside any section"},
		{"unterminated header", "[dev\n", `credentials:1: unterminated section header (no "]")`},
		{"empty header", "[ ]\n", "credentials:1: empty section name"},
		{"not UTF-8", "[dev]\nx = \xff\n", "credentials:2: line is not valid UTF-8"},
		{"NUL", "[dev]\nx = a\x00b\n", "credentials:2: line has a NUL byte"},
		{"duplicate section", "[dev]\naws_access_key_id = " + testID + "\n[other]\n[ dev ]\n", `credentials:4: duplicate section "dev" (first on line 1)`},
		{"duplicate key", "[dev]\naws_secret_access_key = " + testSecret + "\nAWS_Secret_Access_Key = " + testSecret + "\n", `credentials:3: duplicate key "aws_secret_access_key"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseCredentialsFile("credentials", []byte(tc.file))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testID) {
				t.Fatal("the error quotes the file")
			}
		})
	}
}

func TestWithout(t *testing.T) {
	cases := []struct {
		name     string
		file     string
		profiles []string
		want     string
	}{
		{
			"removes only the two lines",
			"# keep me\n[dev]\nregion = us-east-1\naws_access_key_id = " + testID + "\n  ; comment\naws_secret_access_key = " + testSecret + "\noutput = json\n\n[other]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n",
			[]string{"dev"},
			"# keep me\n[dev]\nregion = us-east-1\n  ; comment\noutput = json\n\n[other]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n",
		},
		{
			"CRLF and odd spacing kept",
			"[dev]\r\n  aws_secret_access_key=" + testSecret + "\r\nregion  =  x \r\nAWS_ACCESS_KEY_ID : " + testID + "\r\n",
			[]string{"dev"},
			"[dev]\r\nregion  =  x \r\n",
		},
		{
			"last line without newline",
			"[dev]\nregion = x\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret,
			[]string{"dev"},
			"[dev]\nregion = x\n",
		},
		{
			"session token section untouched",
			"[tmp]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\naws_session_token = t\n",
			[]string{"tmp"},
			"[tmp]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\naws_session_token = t\n",
		},
		{
			"continuation lines go with their key",
			"[dev]\naws_access_key_id = " + testID + "\n\n  # c\n  more\naws_secret_access_key = " + testSecret + "\nregion = x\n  y\n",
			[]string{"dev"},
			"[dev]\nregion = x\n  y\n",
		},
		{
			"nothing named",
			"[dev]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n",
			nil,
			"[dev]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n",
		},
		{
			"several profiles",
			"\ufeff[a]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n[b]\naws_secret_access_key = " + testSecret + "\naws_access_key_id = " + testID + "\n[c]\nregion = x\n",
			[]string{"a", "b", "c"},
			"\ufeff[a]\n[b]\n[c]\nregion = x\n",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseCredentialsFile("credentials", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if g := string(f.Without(tc.profiles)); g != tc.want {
				t.Fatalf("got\n%q\nwant\n%q", g, tc.want)
			}
		})
	}
}

func TestRemoveKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "credentials")
	data := "# team\n[dev]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\nregion = x\n"
	if err := os.WriteFile(path, []byte(data), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil { // umask
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink("credentials", link); err != nil {
		t.Fatal(err)
	}
	f, err := ParseCredentialsFile(link, []byte(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.RemoveKeys([]string{"dev"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != "# team\n[dev]\nregion = x\n" {
		t.Fatalf("file is %q", b)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, %v; want 0640", fi.Mode(), err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v", err)
	}
	// The file, the link, and the writers' lock file; no temporary file.
	entries, _ := os.ReadDir(dir)
	if len(entries) != 3 || entries[0].Name() != ".credentials.lock" {
		t.Fatalf("left behind: %v", entries)
	}

	// A file changed since it was read is left alone.
	if err := f.RemoveKeys([]string{"dev"}); !errors.Is(err, ErrFileChanged) {
		t.Fatalf("error %v, want ErrFileChanged", err)
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatal("a changed file was rewritten")
	}
}

func TestCredentialsFilePath(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cases := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"HOME": "/h"}, filepath.Join("/h", ".aws", "credentials")},
		{map[string]string{"HOME": "/h", "AWS_SHARED_CREDENTIALS_FILE": "/x/creds"}, "/x/creds"},
		{map[string]string{"HOME": "/h", "AWS_SHARED_CREDENTIALS_FILE": "~/creds"}, filepath.Join("/h", "creds")},
	}
	for _, tc := range cases {
		if got, err := CredentialsFilePath(env(tc.env)); err != nil || got != tc.want {
			t.Errorf("%v: %q, %v; want %q", tc.env, got, err, tc.want)
		}
	}
	if _, err := CredentialsFilePath(env(nil)); err == nil {
		t.Error("no HOME: no error")
	}
}

// configSpace is the whitespace of the AWS config format (awsconfig's).
const configSpace = " \t\r\v\f"

// FuzzCredentialsFile checks that the credentials-file reader and awsconfig
// read the same text alike (the same error, or the same keys and values in
// every section both keep), and that Without removes exactly the key lines.
func FuzzCredentialsFile(f *testing.F) {
	f.Add([]byte("[dev]\naws_access_key_id = " + testID + "\naws_secret_access_key = " + testSecret + "\n"))
	f.Add([]byte("\ufeff# c\r\n[a]\r\n x = y\r\n  z\r\n"))
	f.Add([]byte("[default]\n  aws_access_key_id = " + testID + "\n  aws_secret_access_key = x\n\n\t more\n[profile b] ;c\ns3 =\n  a = b\n"))
	f.Add([]byte("[default]\nx = 1\n[profile default]\nx = 2\n[profile  a]\n[profile a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cf, ferr := ParseCredentialsFile("c", data)
		cfg, cerr := awsconfig.Parse("c", data)
		if ferr != nil {
			// The credentials file adds no rule of its own but "no section
			// twice", which the config file has too (by a looser
			// identity): awsconfig fails there or on an earlier line.
			// On the same line, the same message — but a duplicate section
			// is named by each file's own identity ("profile  a" is the
			// config file's profile "a", the credentials file's section
			// "profile  a").
			var fe, ce *awsconfig.SyntaxError
			bothDuplicate := func() bool {
				return strings.HasPrefix(fe.Msg, "duplicate section ") && strings.HasPrefix(ce.Msg, "duplicate section ")
			}
			if !errors.As(ferr, &fe) || !errors.As(cerr, &ce) || ce.Line > fe.Line || (ce.Line == fe.Line && ce.Msg != fe.Msg && !bothDuplicate()) {
				t.Fatalf("importer: %v; awsconfig: %v", ferr, cerr)
			}
			return
		}
		if cerr != nil {
			// Only the config file's own section rules may fail here.
			var ce *awsconfig.SyntaxError
			if !errors.As(cerr, &ce) || !configOnly.MatchString(ce.Msg) {
				t.Fatalf("awsconfig alone fails: %v", cerr)
			}
		} else {
			vals := cf.values()
			// A section name as the config file reads it: "profile"
			// and the name, apart by any of its whitespace.
			profileName := func(name string) (string, bool) {
				rest, ok := strings.CutPrefix(name, "profile")
				if !ok || rest == "" || !strings.ContainsRune(configSpace, rune(rest[0])) {
					return "", false
				}
				prof := strings.Trim(rest, configSpace)
				return prof, prof != "" && !strings.ContainsAny(prof, configSpace)
			}
			hasProfileDefault := false
			for name := range vals {
				if p, ok := profileName(name); ok && p == "default" {
					hasProfileDefault = true
				}
			}
			for name, v := range vals {
				prof, ok := profileName(name)
				switch {
				case name == "default" && !hasProfileDefault:
					prof = "default"
				case !ok:
					continue // awsconfig keeps no such profile
				}
				if _, ok := v["include_profile"]; ok {
					continue // awsconfig merges the included keys in
				}
				i := slices.IndexFunc(cfg.Profiles, func(p *awsconfig.Profile) bool { return p.Name == prof })
				if i < 0 {
					t.Fatalf("section %q: awsconfig has no profile %q", name, prof)
				}
				if p := cfg.Profiles[i]; !maps.Equal(p.Raw, v) {
					t.Fatalf("section %q: importer %q, awsconfig %q", name, v, p.Raw)
				}
			}
		}

		var names []string
		for _, k := range cf.Keys() {
			names = append(names, k.Profile)
		}
		out := cf.Without(names)
		if len(out) > len(data) {
			t.Fatal("Without grew the file")
		}
		// What is left parses, and holds no importable key of those names.
		again, err := ParseCredentialsFile("c", out)
		if err != nil {
			t.Fatalf("the rewritten file does not parse: %v", err)
		}
		for _, k := range again.Keys() {
			if k.Skip == "" && k.AccessKeyID != "" {
				if slices.Contains(names, k.Profile) {
					t.Fatalf("profile %q still has its key", k.Profile)
				}
			}
		}
	})
}

// configOnly are the errors of awsconfig's section rules, which a
// credentials file does not have.
var configOnly = regexp.MustCompile(`^(empty (profile|sso-session|services) name|(profile|sso-session|services) name ".*" has whitespace in it|duplicate section ".*" \(first on line \d+\))$`)
