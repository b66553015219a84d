package awsconfig

import (
	"errors"
	"strings"
	"testing"
)

// badCase is a config that awstray must refuse. op is "" for a syntax error
// (Parse fails at line), "profile NAME" or "chain NAME" for an error found
// when a profile is used. Values in these configs hold "SECRET", which no
// message may repeat.
type badCase struct {
	name string
	data string
	op   string
	line int
	want string
}

const goodRole = "arn:aws:iam::123456789012:role/SECRET"

var badCases = []badCase{
	// Syntax.
	{"key outside section", "region = SECRET\n[profile a]\n", "", 1, "c:1: key outside any section"},
	{"key outside section after comment", "# hi\n\nx: SECRET\n", "", 3, "c:3: key outside any section"},
	{"no delimiter", "[profile a]\nregion = us-east-1\nSECRETVALUE\n", "", 3, `c:3: line has no "=" or ":"`},
	{"no delimiter outside section", "SECRETVALUE\n", "", 1, `c:1: line has no "=" or ":"`},
	{"no delimiter at key indent", "[profile a]\n  x = 1\n  SECRET\n", "", 3, `c:3: line has no "=" or ":"`},
	{"empty key", "[profile a]\n= SECRET\n", "", 2, `c:2: empty key before "="`},
	{"empty key colon", "[profile a]\n  : SECRET\n", "", 2, `c:2: empty key before ":"`},
	{"duplicate profile", "[profile a]\nx = 1\n[profile a]\n", "", 3, `c:3: duplicate section "profile a" (first on line 1)`},
	{"duplicate profile spacing", "[profile a]\n[ profile\t a ]\n", "", 2, `c:2: duplicate section "profile a" (first on line 1)`},
	{"duplicate default", "[default]\n[default]\n", "", 2, `c:2: duplicate section "default" (first on line 1)`},
	{"duplicate profile default", "[profile default]\n[default]\n[profile default]\n", "", 3, `c:3: duplicate section "profile default" (first on line 1)`},
	{"duplicate sso-session", "[sso-session s]\n[sso-session s]\n", "", 2, `c:2: duplicate section "sso-session s" (first on line 1)`},
	{"duplicate services", "[services s]\n[services s]\n", "", 2, `c:2: duplicate section "services s" (first on line 1)`},
	{"duplicate other section", "[plugins]\n[plugins]\n", "", 2, `c:2: duplicate section "plugins" (first on line 1)`},
	{"duplicate key", "[profile a]\nregion = us-east-1\nRegion = SECRET\n", "", 3, `c:3: duplicate key "region"`},
	{"duplicate key sso-session", "[sso-session s]\nsso_region = x\nsso_region : SECRET\n", "", 3, `c:3: duplicate key "sso_region"`},
	{"duplicate key ignored section", "[plugins]\na = 1\nA = SECRET\n", "", 3, `c:3: duplicate key "a"`},
	{"duplicate key in losing default", "[profile default]\n[default]\nx = 1\nx = SECRET\n", "", 4, `c:4: duplicate key "x"`},
	{"unterminated header", "[profile a\nx = SECRET\n", "", 1, `c:1: unterminated section header (no "]")`},
	{"unterminated header later", "[profile a]\n\n[profile b SECRET\n", "", 3, `c:3: unterminated section header (no "]")`},
	{"text after header", "[profile a] SECRET\n", "", 1, `c:1: text after "]" of a section header`},
	{"text after header bracket", "[profile a]]\n", "", 1, `c:1: text after "]" of a section header`},
	{"empty profile name", "[profile]\n", "", 1, "c:1: empty profile name"},
	{"blank profile name", "[profile   ]\n", "", 1, "c:1: empty profile name"},
	{"empty sso-session name", "[sso-session]\n", "", 1, "c:1: empty sso-session name"},
	{"empty services name", "[services\t]\n", "", 1, "c:1: empty services name"},
	{"empty section name", "[profile a]\n[ ]\n", "", 2, "c:2: empty section name"},
	{"profile name with space", "[profile a b]\n", "", 1, `c:1: profile name "a b" has whitespace in it`},
	{"sso-session name with tab", "[sso-session a\tb]\n", "", 1, `c:1: sso-session name "a\tb" has whitespace in it`},
	{"not utf-8 value", "[profile a]\nx = \xff\xfeSECRET\n", "", 2, "c:2: line is not valid UTF-8"},
	{"not utf-8 name", "[profile a]\n[profile \xc3(]\n", "", 2, "c:2: line is not valid UTF-8"},
	{"not utf-8 crlf", "[profile a]\r\n\r\n\xed\xa0\x80 = 1\r\n", "", 3, "c:3: line is not valid UTF-8"},
	{"nul", "[profile a]\nx = SE\x00CRET\n", "", 2, "c:2: line has a NUL byte"},
	{"nul in comment", "# \x00\n", "", 1, "c:1: line has a NUL byte"},
	{"first error wins", "SECRET\n\xff\n", "", 1, `c:1: line has no "=" or ":"`},
	{"continuation without key", "[profile a]\n  SECRET\n", "", 2, "c:2: continuation line with no key before it"},
	{"continuation before section", "  SECRET\n[profile a]\n", "", 1, "c:1: continuation line with no key before it"},
	{"continuation after header", "[profile a]\nx = 1\n[profile b]\n    SECRET\n", "", 4, "c:4: continuation line with no key before it"},
	{"nested without equals", "[services s]\nsts =\n  SECRET\n", "", 3, `c:3: line in a nested block has no "="`},
	{"nested colon only", "[profile a]\ns3 =\n  max: SECRET\n", "", 3, `c:3: line in a nested block has no "="`},
	{"indented header in nested block", "[profile a]\ns3 =\n  [profile b]\n", "", 3, `c:3: line in a nested block has no "="`},
	{"nested empty key", "[services s]\nsts =\n  = SECRET\n", "", 3, `c:3: empty key before "=" in a nested block`},
	{"line after bom", "\ufeff[profile a]\nSECRET\n", "", 2, `c:2: line has no "=" or ":"`},
	{"line numbers with crlf", "[profile a]\r\nx = 1\r\n\r\nSECRET\r\n", "", 4, `c:4: line has no "=" or ":"`},

	// Unknown profiles.
	{"unknown with hint", "[profile prod]\n[profile dev]\n", "profile prd", 0, `profile "prd" not found in c (did you mean "prod"?)`},
	{"unknown case hint", "[profile Prod]\n", "profile prod", 0, `profile "prod" not found in c (did you mean "Prod"?)`},
	{"unknown no hint", "[profile prod]\n", "profile staging", 0, `profile "staging" not found in c`},
	{"unknown short", "[profile a]\n", "profile b", 0, `profile "b" not found in c`},
	{"unknown quoted", "[profile a]\n", "profile x\ny", 0, `profile "x\ny" not found in c`},

	// Values.
	{"duration abc", "[profile a]\nduration_seconds = abcSECRET\n", "profile a", 0, `profile "a": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"duration 100", "[profile a]\nduration_seconds = 100\n", "profile a", 0, `profile "a": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"duration 99999", "[profile a]\nduration_seconds = 99999\n", "profile a", 0, `profile "a": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"duration -5", "[profile a]\nduration_seconds = -5\n", "profile a", 0, `profile "a": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"duration float", "[profile a]\nduration_seconds = 3600.0\n", "profile a", 0, `profile "a": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"role arn short account", "[profile a]\nsource_profile = a\nrole_arn = arn:aws:iam::123:role/SECRET\n", "profile a", 0, `profile "a": role_arn must look like "arn:aws:iam::123456789012:role/NAME"`},
	{"role arn wrong service", "[profile a]\nsource_profile = a\nrole_arn = arn:aws:sts::123456789012:role/SECRET\n", "profile a", 0, `profile "a": role_arn must look like "arn:aws:iam::123456789012:role/NAME"`},
	{"role arn no name", "[profile a]\nsource_profile = a\nrole_arn = arn:aws:iam::123456789012:role/\n", "profile a", 0, `profile "a": role_arn must look like "arn:aws:iam::123456789012:role/NAME"`},
	{"role arn user", "[profile a]\nsource_profile = a\nrole_arn = arn:aws:iam::123456789012:user/SECRET\n", "profile a", 0, `profile "a": role_arn must look like "arn:aws:iam::123456789012:role/NAME"`},
	{"role arn not arn", "[profile a]\nsource_profile = a\nrole_arn = SECRET\n", "profile a", 0, `profile "a": role_arn must look like "arn:aws:iam::123456789012:role/NAME"`},
	{"role without source", "[profile a]\nrole_arn = " + goodRole + "\n", "profile a", 0, `profile "a": role_arn needs a source_profile or a credential_process to assume it with`},
	{"mfa serial user arn", "[profile a]\nmfa_serial = arn:aws:iam::123456789012:user/SECRET\n", "profile a", 0, `profile "a": mfa_serial must be an MFA device ARN ("arn:aws:iam::123456789012:mfa/NAME") or a hardware serial (9 to 256 letters and digits)`},
	{"mfa serial short", "[profile a]\nmfa_serial = SECRET1\n", "profile a", 0, `profile "a": mfa_serial must be an MFA device ARN ("arn:aws:iam::123456789012:mfa/NAME") or a hardware serial (9 to 256 letters and digits)`},
	{"mfa serial symbols", "[profile a]\nmfa_serial = SECRET-12345\n", "profile a", 0, `profile "a": mfa_serial must be an MFA device ARN ("arn:aws:iam::123456789012:mfa/NAME") or a hardware serial (9 to 256 letters and digits)`},
	{"region upper", "[profile a]\nregion = US-EAST-1\n", "profile a", 0, `profile "a": region must look like "us-east-1" (lowercase letters, digits and dashes)`},
	{"region underscore", "[profile a]\nregion = us_east_1\n", "profile a", 0, `profile "a": region must look like "us-east-1" (lowercase letters, digits and dashes)`},
	{"region double dash", "[profile a]\nregion = us--east-1\n", "profile a", 0, `profile "a": region must look like "us-east-1" (lowercase letters, digits and dashes)`},
	{"region space", "[profile a]\nregion = us east 1\n", "profile a", 0, `profile "a": region must look like "us-east-1" (lowercase letters, digits and dashes)`},
	{"endpoint no scheme", "[profile a]\nendpoint_url = localhost:4566\n", "profile a", 0, `profile "a": endpoint_url must be an absolute http:// or https:// URL`},
	{"endpoint ftp", "[profile a]\nendpoint_url = ftp://SECRET.example.com\n", "profile a", 0, `profile "a": endpoint_url must be an absolute http:// or https:// URL`},
	{"endpoint no host", "[profile a]\nendpoint_url = http://\n", "profile a", 0, `profile "a": endpoint_url must be an absolute http:// or https:// URL`},
	{"endpoint relative", "[profile a]\nendpoint_url = /SECRET\n", "profile a", 0, `profile "a": endpoint_url must be an absolute http:// or https:// URL`},
	{"services missing", "[profile a]\nservices = x\n", "profile a", 0, `profile "a": services "x" does not exist`},
	{"services bad url", "[profile a]\nservices = x\n[services x]\nsts =\n  endpoint_url = SECRET\n", "profile a", 0, `profile "a": endpoint_url of "sts" in services "x" must be an absolute http:// or https:// URL`},
	{"sso session missing", "[profile a]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = r\n", "profile a", 0, `profile "a": sso_session "corp" does not exist`},
	{"sso session no url", "[profile a]\nsso_session = corp\n[sso-session corp]\nsso_region = us-east-1\n", "profile a", 0, `profile "a": sso-session "corp" has no sso_start_url`},
	{"sso session no region", "[profile a]\nsso_session = corp\n[sso-session corp]\nsso_start_url = https://x\n", "profile a", 0, `profile "a": sso-session "corp" has no sso_region`},
	{"sso session bad url", "[profile a]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = r\n[sso-session corp]\nsso_start_url = SECRET\nsso_region = us-east-1\n", "profile a", 0, `profile "a": sso_start_url of sso-session "corp" must be an absolute http:// or https:// URL`},
	{"sso url differs", "[profile a]\nsso_session = corp\nsso_start_url = https://SECRET\n[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n", "profile a", 0, `profile "a": sso_start_url differs from the one of sso-session "corp"`},
	{"sso missing account", "[profile a]\nsso_session = corp\nsso_role_name = r\n[sso-session corp]\nsso_start_url = https://x\nsso_region = us-east-1\n", "profile a", 0, `profile "a": sso_account_id is missing`},
	{"sso missing role", "[profile a]\nsso_start_url = https://x\nsso_region = us-east-1\nsso_account_id = 111122223333\n", "profile a", 0, `profile "a": sso_role_name is missing`},
	{"sso legacy missing url", "[profile a]\nsso_account_id = 111122223333\nsso_role_name = r\n", "profile a", 0, `profile "a": sso_start_url is missing (or sso_session)`},
	{"sso legacy missing region", "[profile a]\nsso_start_url = https://x\nsso_account_id = 111122223333\nsso_role_name = r\n", "profile a", 0, `profile "a": sso_region is missing`},
	{"sso bad region", "[profile a]\nsso_start_url = https://x\nsso_region = EU\nsso_account_id = 111122223333\nsso_role_name = r\n", "profile a", 0, `profile "a": sso_region must look like "us-east-1" (lowercase letters, digits and dashes)`},
	{"sso bad account", "[profile a]\nsso_start_url = https://x\nsso_region = eu-west-1\nsso_account_id = 1111-2222-3333\nsso_role_name = r\n", "profile a", 0, `profile "a": sso_account_id must be 12 digits`},

	// include_profile.
	{"include missing", "[profile a]\ninclude_profile = zz\n", "profile a", 0, `profile "a": include_profile "zz" does not exist`},
	{"include self", "[profile a]\ninclude_profile = a\n", "profile a", 0, "include_profile cycle: a -> a"},
	{"include cycle 2", "[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n", "profile a", 0, "include_profile cycle: a -> b -> a"},
	{"include cycle 2 other end", "[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n", "profile b", 0, "include_profile cycle: b -> a -> b"},
	{"include cycle 3", "[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = c\n[profile c]\ninclude_profile = a\n", "profile c", 0, "include_profile cycle: c -> a -> b -> c"},
	{"include into cycle", "[profile x]\ninclude_profile = a\n[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n", "profile x", 0, "include_profile cycle: a -> b -> a"},
	{"include of missing include", "[profile x]\ninclude_profile = a\n[profile a]\ninclude_profile = zz\n", "profile x", 0, `profile "a": include_profile "zz" does not exist`},
	{"include brings bad value", "[profile x]\ninclude_profile = a\n[profile a]\nregion = SECRET\n", "profile x", 0, `profile "x": region must look like "us-east-1" (lowercase letters, digits and dashes)`},

	// source_profile chains.
	{"source missing", "[profile a]\nrole_arn = " + goodRole + "\nsource_profile = b\n", "chain a", 0, `profile "a": source_profile "b" does not exist`},
	{"source missing deep", "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = c\n", "chain a", 0, `profile "b": source_profile "c" does not exist`},
	{"source cycle 2", "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n", "chain a", 0, "profile cycle: a -> b -> a"},
	{"source cycle 3", "[profile a]\nsource_profile = b\n[profile b]\nsource_profile = c\n[profile c]\nsource_profile = a\n", "chain a", 0, "profile cycle: a -> b -> c -> a"},
	{"source cycle entered midway", "[profile x]\nsource_profile = a\n[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n", "chain x", 0, "profile cycle: a -> b -> a"},
	{"source invalid", "[profile a]\nrole_arn = " + goodRole + "\nsource_profile = b\n[profile b]\nduration_seconds = 1\n", "chain a", 0, `profile "b": duration_seconds must be a whole number of seconds from 900 to 43200`},
	{"source role without source", "[profile a]\nrole_arn = " + goodRole + "\nsource_profile = b\n[profile b]\nrole_arn = " + goodRole + "\n", "chain a", 0, `profile "b": role_arn needs a source_profile or a credential_process to assume it with`},
}

func runBad(tc badCase) error {
	cfg, err := Parse("c", []byte(tc.data))
	if tc.op == "" || err != nil {
		return err
	}
	op, name, _ := strings.Cut(tc.op, " ")
	if op == "chain" {
		_, err = cfg.Chain(name)
	} else {
		_, err = cfg.Profile(name)
		if verr := cfg.Validate(name); (verr == nil) != (err == nil) || (err != nil && verr.Error() != err.Error()) {
			return errors.New("Validate and Profile disagree")
		}
	}
	return err
}

func TestBadInput(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range badCases {
		t.Run(tc.name, func(t *testing.T) {
			if seen[tc.name] {
				t.Fatal("duplicate test name")
			}
			seen[tc.name] = true
			err := runBad(tc)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			msg := err.Error()
			if msg != tc.want {
				t.Errorf("error\n got: %q\nwant: %q", msg, tc.want)
			}
			if strings.ContainsAny(msg, "\n\r") {
				t.Errorf("error has a line break: %q", msg)
			}
			if strings.Contains(msg, "SECRET") {
				t.Errorf("error shows a value: %q", msg)
			}
			var se *SyntaxError
			isSyntax := errors.As(err, &se)
			if isSyntax != (tc.op == "") {
				t.Fatalf("syntax error = %v, want %v (%T)", isSyntax, tc.op == "", err)
			}
			if isSyntax && se.Line != tc.line {
				t.Errorf("line = %d, want %d", se.Line, tc.line)
			}
		})
	}
	if len(badCases) < 30 {
		t.Fatalf("only %d bad cases", len(badCases))
	}
}

func TestErrorTypes(t *testing.T) {
	cfg, err := Parse("c", []byte("[profile prod]\nduration_seconds = 5\n[profile a]\nsource_profile = a2\n[profile a2]\nsource_profile = a\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = cfg.Profile("prd")
	var ue *UnknownProfileError
	if !errors.As(err, &ue) || ue.Name != "prd" || ue.Suggestion != "prod" || ue.Path != "c" {
		t.Errorf("unknown: %#v", err)
	}
	_, err = cfg.Chain("prod")
	var pe *ProfileError
	if !errors.As(err, &pe) || pe.Profile != "prod" || pe.Key != "duration_seconds" {
		t.Errorf("profile error: %#v", err)
	}
	_, err = cfg.Chain("a")
	var ce *CycleError
	if !errors.As(err, &ce) || ce.Key != "source_profile" || strings.Join(ce.Cycle, ",") != "a,a2,a" {
		t.Errorf("cycle: %#v", err)
	}
}

func TestSyntaxErrorFormat(t *testing.T) {
	for _, tc := range []struct {
		err  SyntaxError
		want string
	}{
		{SyntaxError{Path: "/home/u/.aws/config", Line: 3, Msg: "m"}, "/home/u/.aws/config:3: m"},
		{SyntaxError{Line: 3, Msg: "m"}, "line 3: m"},
		{SyntaxError{Path: "a\nb", Line: 1, Msg: "m"}, `"a\nb":1: m`},
	} {
		t.Run(tc.want, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
