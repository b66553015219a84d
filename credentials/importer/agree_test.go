package importer

import (
	"strings"
	"testing"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// TestReadersAgree feeds the same text to the credentials-file reader and
// to awsconfig and checks that both read [default] the same way, or fail
// with the same error: the AWS CLI reads both files with one parser.
func TestReadersAgree(t *testing.T) {
	id, secret := testID, testSecret
	pair := "aws_access_key_id = " + id + "\naws_secret_access_key = " + secret + "\n"
	cases := []struct {
		name, file string
		id, secret string // [default]'s values, when err is ""
		err        string
	}{
		{"plain", "[default]\n" + pair, id, secret, ""},
		{"indented keys at one level", "[default]\n  aws_access_key_id = " + id + "\n  aws_secret_access_key = " + secret + "\n", id, secret, ""},
		{"form feed indents a continuation", "[default]\naws_access_key_id = " + id + "\n\faws_secret_access_key = " + secret + "\n", id + "\naws_secret_access_key = " + secret, "", ""},
		{"blank line inside a value", "[default]\n" + pair + "\n  more\n", id, secret + "\n\nmore", ""},
		{"comment inside a value", "[default]\n" + pair + "# c\n  more\n", id, secret + "\nmore", ""},
		{"nested block", "[default]\naws_access_key_id = " + id + "\naws_secret_access_key =\n  a = b\n", id, "\na = b", ""},
		{"nested block line without =", "[default]\n" + pair + "s3 =\n  junk\n", "", "", `c:5: line in a nested block has no "="`},
		{"duplicate key", "[default]\n" + pair + "AWS_Access_Key_ID = " + id + "\n", "", "", `c:4: duplicate key "aws_access_key_id"`},
		{"duplicate section", "[default]\n" + pair + "[default]\n", "", "", `c:4: duplicate section "default" (first on line 1)`},
		{"comment after a header", "[default] # team\n" + pair, id, secret, ""},
		{"text after a header", "[default] x\n" + pair, "", "", `c:1: text after "]" of a section header`},
		{"bracket after a header", "[default]]\n" + pair, "", "", `c:1: text after "]" of a section header`},
		{"unterminated header", "[default\n", "", "", `c:1: unterminated section header (no "]")`},
		{"indented line with no key", "[default]\n  junk\n", "", "", "c:2: continuation line with no key before it"},
		{"not UTF-8", "[default]\nx = \xff\n", "", "", "c:2: line is not valid UTF-8"},
		{"NUL", "[default]\nx = a\x00b\n", "", "", "c:2: line has a NUL byte"},
		{"inline comment is part of the value", "[default]\naws_access_key_id = " + id + " # c\naws_secret_access_key = " + secret + " ;c\n", id + " # c", secret + " ;c", ""},
		{"CRLF", strings.ReplaceAll("[default]\n"+pair, "\n", "\r\n"), id, secret, ""},
		{"BOM", "\ufeff[default]\n" + pair, id, secret, ""},
		{"spaces in the header", "[ default\t]\n" + pair, id, secret, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, cerr := awsconfig.Parse("c", []byte(tc.file))
			f, ferr := ParseCredentialsFile("c", []byte(tc.file))
			for who, err := range map[string]error{"awsconfig": cerr, "importer": ferr} {
				if got := errString(err); got != tc.err {
					t.Errorf("%s: error %q, want %q", who, got, tc.err)
				}
			}
			if tc.err != "" || cerr != nil || ferr != nil {
				return
			}
			p, err := cfg.Profile("default")
			if err != nil {
				t.Fatal(err)
			}
			if p.Raw["aws_access_key_id"] != tc.id || p.Raw["aws_secret_access_key"] != tc.secret {
				t.Errorf("awsconfig: %q, %q; want %q, %q", p.Raw["aws_access_key_id"], p.Raw["aws_secret_access_key"], tc.id, tc.secret)
			}
			v := f.values()["default"]
			if v == nil || v["aws_access_key_id"] != tc.id || v["aws_secret_access_key"] != tc.secret {
				t.Errorf("importer: %q; want %q, %q", v, tc.id, tc.secret)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// values is every section's keys and values.
func (f *CredentialsFile) values() map[string]map[string]string {
	out := make(map[string]map[string]string, len(f.sections))
	for _, s := range f.sections {
		m := make(map[string]string, len(s.keys))
		for k, v := range s.keys {
			m[k] = v.value
		}
		out[s.name] = m
	}
	return out
}
