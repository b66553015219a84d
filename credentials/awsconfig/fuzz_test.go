package awsconfig

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// syntaxMsgs are the messages a SyntaxError may carry: fixed text, with a
// quoted name or key at most, never a value.
var syntaxMsgs = regexp.MustCompile(`^(` + strings.Join([]string{
	`key outside any section`,
	`line has no "=" or ":"`,
	`empty key before "[=:]"`,
	`duplicate section "[^\n]*" \(first on line \d+\)`,
	`duplicate key "[^\n]*"`,
	`unterminated section header \(no "\]"\)`,
	`text after "\]" of a section header`,
	`empty (profile|sso-session|services|section) name`,
	`(profile|sso-session|services) name "[^\n]*" has whitespace in it`,
	`line is not valid UTF-8`,
	`line has a NUL byte`,
	`continuation line with no key before it`,
	`line in a nested block has no "="`,
	`empty key before "=" in a nested block`,
}, "|") + `)$`)

func checkMessage(t *testing.T, err error) {
	t.Helper()
	msg := err.Error()
	if !utf8.ValidString(msg) || strings.ContainsAny(msg, "\n\r\x00") {
		t.Fatalf("error is not one line of UTF-8: %q", msg)
	}
}

var fuzzKeys = [][2]string{{"region", "eu-west-1"}, {"credential_process", "/bin/x ';' #"}}

func FuzzParse(f *testing.F) {
	for _, tc := range badCases {
		f.Add([]byte(tc.data))
	}
	f.Add([]byte(realistic))
	f.Add([]byte(strings.ReplaceAll(realistic, "\n", "\r\n")))
	f.Add([]byte("\ufeff[profile a]\nregion = us-east-1"))
	f.Add(generateConfig(20))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("config", data)
		if err != nil {
			checkMessage(t, err)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("not a SyntaxError: %T %v", err, err)
			}
			if se.Line < 1 || se.Line > bytes.Count(data, []byte("\n"))+1 {
				t.Fatalf("line %d out of range", se.Line)
			}
			if !syntaxMsgs.MatchString(se.Msg) {
				t.Fatalf("unexpected message %q", se.Msg)
			}
			return
		}
		seen := map[string]bool{}
		for _, p := range cfg.Profiles {
			if p.Name == "" || hasSpace(p.Name) || strings.ContainsRune(p.Name, ']') {
				t.Fatalf("bad profile name %q", p.Name)
			}
			if seen[p.Name] {
				t.Fatalf("profile %q twice", p.Name)
			}
			seen[p.Name] = true
			if p.Raw == nil {
				t.Fatalf("profile %q has no Raw", p.Name)
			}
			if _, err := cfg.Chain(p.Name); err != nil {
				checkMessage(t, err)
			}
			if err := cfg.Validate(p.Name); err != nil {
				checkMessage(t, err)
			}
			cfg.Endpoint(p, "sts", func(string) string { return "" })
		}
		if _, err := cfg.Profile("fuzz missing"); err == nil {
			t.Fatal("found a profile whose name has a space")
		} else {
			checkMessage(t, err)
		}

		// Appending a profile keeps every byte and reads back.
		if seen["fuzz-new"] {
			return
		}
		out := appendSection(data, "fuzz-new", fuzzKeys)
		if !bytes.HasPrefix(out, data) {
			t.Fatal("appendSection changed existing bytes")
		}
		cfg2, err := Parse("config", out)
		if err != nil {
			t.Fatalf("appended config does not parse: %v", err)
		}
		if len(cfg2.Profiles) != len(cfg.Profiles)+1 {
			t.Fatalf("%d profiles after append, want %d", len(cfg2.Profiles), len(cfg.Profiles)+1)
		}
		p := cfg2.Profiles[len(cfg2.Profiles)-1]
		if p.Name != "fuzz-new" || p.Region != "eu-west-1" || p.CredentialProcess != fuzzKeys[1][1] || len(p.Raw) != 2 {
			t.Fatalf("appended profile read back as %+v", p)
		}
	})
}

// generateConfig makes a config of n profiles: IAM users with MFA, role
// chains two and three deep, SSO profiles and credential_process ones, with
// comments, as a large real config looks.
func generateConfig(n int) []byte {
	var b bytes.Buffer
	b.WriteString("# generated\n[default]\nregion = us-east-1\noutput = json\n\n")
	b.WriteString("[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\nsso_registration_scopes = sso:account:access\n\n")
	for i := 0; i < n-1; i++ {
		switch i % 5 {
		case 0:
			fmt.Fprintf(&b, "# user %d\n[profile user%d]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/user%d\n\n", i, i, i)
		case 1:
			fmt.Fprintf(&b, "[profile role%d]\nrole_arn = arn:aws:iam::123456789012:role/Role%d\nsource_profile = user%d\nrole_session_name = me\nduration_seconds = 3600\n\n", i, i, i-1)
		case 2:
			fmt.Fprintf(&b, "; chained\n[profile role%d]\nrole_arn = arn:aws:iam::210987654321:role/Chained%d\nsource_profile = role%d\nexternal_id = ext%d\n\n", i, i, i-1, i)
		case 3:
			fmt.Fprintf(&b, "[profile sso%d]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Dev%d\nRegion = ap-southeast-2\n\n", i, i)
		case 4:
			fmt.Fprintf(&b, "[profile proc%d]\ncredential_process = /usr/local/bin/creds --name 'p;%d' # all kept\nregion = us-west-2\n\n", i, i)
		}
	}
	return b.Bytes()
}

func TestGeneratedConfig(t *testing.T) {
	cfg, err := Parse("c", generateConfig(500))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Profiles) != 500 {
		t.Fatalf("%d profiles", len(cfg.Profiles))
	}
	for _, p := range cfg.Profiles {
		if _, err := cfg.Chain(p.Name); err != nil {
			t.Fatal(err)
		}
	}
	chain, _ := cfg.Chain("role497")
	if len(chain) != 3 {
		t.Fatalf("role497 chain has %d profiles", len(chain))
	}
}

func BenchmarkParse500(b *testing.B) {
	data := generateConfig(500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("config", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChain500(b *testing.B) {
	cfg, err := Parse("config", generateConfig(500))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := cfg.Chain("role497"); err != nil {
			b.Fatal(err)
		}
	}
}
