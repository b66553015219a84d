package awsconfig

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"
)

// realistic has every key awstray reads, mixed-case keys, both comment
// styles, nested blocks and commands with ";" and "#" in them.
const realistic = `# AWS config
; another comment style
[default]
region = eu-west-1
output = json

[profile base]
Region = us-east-1
MFA_Serial = arn:aws:iam::123456789012:mfa/alice
mfa_process = /usr/bin/ykman oath accounts code --single 'aws;alice' # not a comment
s3 =
  max_concurrent_requests = 20
  # a comment inside the block
  multipart_threshold = 64MB

[profile admin]
role_arn : arn:aws:iam::123456789012:role/Admin
source_profile=base
role_session_name = alice
external_id = ext-123
duration_seconds = 3600
mfa_serial = arn:aws:iam::123456789012:mfa/alice
include_profile = common
services = local

[profile common]
region = eu-central-1
endpoint_url = https://common.example.com
cli_pager =

[profile  proc ]
    credential_process = /opt/bin/creds --profile proc --sep ';' # kept; all of it
    region = ap-southeast-2

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Developer
region = us-west-2

[profile legacy-sso]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1
sso_account_id = 111122223333
sso_role_name = ReadOnly

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start#/
sso_region = eu-west-1
sso_registration_scopes = sso:account:access

[services local]
sts =
  endpoint_url = http://localhost:4566
IAM =
  Endpoint_URL = http://localhost:4567

[plugins]
cli_legacy_plugin_path = /x
[preview]
cloudfront = true
`

func TestParseRealistic(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
	}{
		{"lf", realistic},
		{"crlf", strings.ReplaceAll(realistic, "\n", "\r\n")},
		{"bom", "\ufeff" + realistic},
		{"no final newline", strings.TrimSuffix(realistic, "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("config", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range cfg.Profiles {
				names = append(names, p.Name)
			}
			want := []string{"default", "base", "admin", "common", "proc", "sso-dev", "legacy-sso"}
			if !reflect.DeepEqual(names, want) {
				t.Fatalf("profiles = %q, want %q", names, want)
			}
			p := func(name string) *Profile {
				t.Helper()
				p, err := cfg.Profile(name)
				if err != nil {
					t.Fatal(err)
				}
				return p
			}
			check := func(what, got, want string) {
				t.Helper()
				if got != want {
					t.Errorf("%s = %q, want %q", what, got, want)
				}
			}
			check("default region", p("default").Region, "eu-west-1")
			check("default output", p("default").Raw["output"], "json")
			base := p("base")
			check("base region", base.Region, "us-east-1")
			check("base mfa_serial", base.MFASerial, "arn:aws:iam::123456789012:mfa/alice")
			check("base mfa_process", base.MFAProcess, "/usr/bin/ykman oath accounts code --single 'aws;alice' # not a comment")
			check("base s3", base.Raw["s3"], "\nmax_concurrent_requests = 20\nmultipart_threshold = 64MB")
			if base.Line != 7 {
				t.Errorf("base line = %d, want 7", base.Line)
			}
			admin := p("admin")
			check("admin role_arn", admin.RoleARN, "arn:aws:iam::123456789012:role/Admin")
			check("admin source_profile", admin.SourceProfile, "base")
			check("admin role_session_name", admin.RoleSessionName, "alice")
			check("admin external_id", admin.ExternalID, "ext-123")
			check("admin include_profile", admin.IncludeProfile, "common")
			check("admin services", admin.Services, "local")
			check("admin region (included)", admin.Region, "eu-central-1")
			check("admin endpoint_url (included)", admin.EndpointURL, "https://common.example.com")
			if admin.Duration != time.Hour {
				t.Errorf("admin duration = %v, want 1h", admin.Duration)
			}
			if admin.Kind() != KindRole {
				t.Errorf("admin kind = %s", admin.Kind())
			}
			check("common cli_pager", p("common").Raw["cli_pager"], "")
			proc := p("proc")
			check("proc credential_process", proc.CredentialProcess, "/opt/bin/creds --profile proc --sep ';' # kept; all of it")
			check("proc region", proc.Region, "ap-southeast-2")
			if proc.Kind() != KindProcess {
				t.Errorf("proc kind = %s", proc.Kind())
			}
			dev := p("sso-dev")
			check("sso-dev sso_session", dev.SSOSession, "corp")
			check("sso-dev account", dev.SSOAccountID, "111122223333")
			check("sso-dev role", dev.SSORoleName, "Developer")
			if dev.Kind() != KindSSO {
				t.Errorf("sso-dev kind = %s", dev.Kind())
			}
			legacy := p("legacy-sso")
			check("legacy start url", legacy.SSOStartURL, "https://corp.awsapps.com/start")
			check("legacy sso_region", legacy.SSORegion, "us-east-1")
			s := cfg.SSOSessions["corp"]
			if s == nil {
				t.Fatal("no sso-session corp")
			}
			check("corp start url", s.StartURL, "https://corp.awsapps.com/start#/")
			check("corp region", s.Region, "eu-west-1")
			check("corp scopes", s.RegistrationScopes, "sso:account:access")
			svc := cfg.Services["local"]
			if svc == nil {
				t.Fatal("no services local")
			}
			wantSvc := map[string]map[string]string{
				"sts": {"endpoint_url": "http://localhost:4566"},
				"iam": {"endpoint_url": "http://localhost:4567"},
			}
			if !reflect.DeepEqual(svc.Settings, wantSvc) {
				t.Errorf("services = %v, want %v", svc.Settings, wantSvc)
			}
			if len(cfg.Services) != 1 || len(cfg.SSOSessions) != 1 {
				t.Errorf("extra sections: %d services, %d sso-sessions", len(cfg.Services), len(cfg.SSOSessions))
			}
		})
	}
}

func TestParseSemantics(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		profile    string
		key, want  string
	}{
		{"colon delimiter", "[profile a]\nregion: us-east-1\n", "a", "region", "us-east-1"},
		{"first delimiter wins", "[profile a]\nx = a:b=c\n", "a", "x", "a:b=c"},
		{"colon before equals", "[profile a]\nx: a=b\n", "a", "x", "a=b"},
		{"hash in value", "[profile a]\nx = a # b\n", "a", "x", "a # b"},
		{"semicolon in value", "[profile a]\nx = a ; b\n", "a", "x", "a ; b"},
		{"key with spaces", "[profile a]\nmy key = v\n", "a", "my key", "v"},
		{"upper key", "[profile a]\nREGION = us-east-1\n", "a", "region", "us-east-1"},
		{"indented keys", "[profile a]\n  region = us-east-1\n  output = json\n", "a", "output", "json"},
		{"multi-line value", "[profile a]\nx = one\n  two\n\n  three\n\n", "a", "x", "one\ntwo\n\nthree"},
		{"comment inside value", "[profile a]\nx = one\n  # no\n  two\n", "a", "x", "one\ntwo"},
		{"indented comment line", "[profile a]\n   ; c\nx = v\n", "a", "x", "v"},
		{"header comment", "[profile a] # comment\nx = v\n", "a", "x", "v"},
		{"header semicolon comment", "[profile a] ;c\nx = v\n", "a", "x", "v"},
		{"tabs in header", "[profile\ta\t]\nx = v\n", "a", "x", "v"},
		{"spaced header", "[ profile   a ]\nx = v\n", "a", "x", "v"},
		{"profile default wins", "[default]\nx = 1\n[profile default]\nx = 2\n", "default", "x", "2"},
		{"profile default wins first", "[profile default]\nx = 2\n[default]\nx = 1\n", "default", "x", "2"},
		{"ignored sections", "[Profile a]\nx = 1\n[profilex]\ny = 2\n[profile a]\nx = 3\n", "a", "x", "3"},
		{"cr only blank", "[profile a]\r\n\r\nx = v\r\n", "a", "x", "v"},
		{"empty value", "[profile a]\nx =\n", "a", "x", ""},
		{"unicode value", "[profile a]\nx = héllo ✓\n", "a", "x", "héllo ✓"},
		{"unicode key lower", "[profile a]\nÉTÉ = v\n", "a", "été", "v"},
		{"indented header continues a value", "[profile a]\nx = v\n  [profile b]\n", "a", "x", "v\n[profile b]"},
		{"blank line then indented key continues", "[profile a]\nx = v\n\n  y = w\n", "a", "x", "v\n\ny = w"},
		{"name with brackets", "[profile a[b]\nx = v\n", "a[b", "x", "v"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c", []byte(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.lookup(tc.profile)
			if p == nil {
				t.Fatalf("no profile %q", tc.profile)
			}
			got, ok := p.Raw[tc.key]
			if !ok || got != tc.want {
				t.Fatalf("%s = %q (%v), want %q", tc.key, got, ok, tc.want)
			}
		})
	}
}

func TestParseDefaultCount(t *testing.T) {
	cfg, err := Parse("c", []byte("[default]\n[profile x]\n[profile default]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Profiles) != 2 || cfg.Profiles[0].Name != "default" || cfg.Profiles[0].Line != 3 {
		t.Fatalf("profiles: %+v", cfg.Profiles)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "nope", "config")
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Path != path || len(cfg.Profiles) != 0 {
			t.Fatalf("cfg = %+v", cfg)
		}
		if _, err := cfg.Profile("x"); err == nil {
			t.Fatal("no error for a profile of an empty config")
		}
	})
	t.Run("ok", func(t *testing.T) {
		path := filepath.Join(dir, "config")
		if err := os.WriteFile(path, []byte(realistic), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Path != path || len(cfg.Profiles) != 7 {
			t.Fatalf("path %q, %d profiles", cfg.Path, len(cfg.Profiles))
		}
	})
	t.Run("directory", func(t *testing.T) {
		_, err := Load(dir)
		if err == nil || !strings.HasPrefix(err.Error(), "reading AWS config: ") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("unreadable", func(t *testing.T) {
		if runtime.GOOS == "windows" || os.Geteuid() == 0 {
			t.Skip("file modes do not stop this user")
		}
		path := filepath.Join(dir, "locked")
		if err := os.WriteFile(path, []byte("[default]\n"), 0o000); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		if !errors.Is(err, os.ErrPermission) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("syntax", func(t *testing.T) {
		path := filepath.Join(dir, "bad")
		if err := os.WriteFile(path, []byte("[default]\nnonsense\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Line != 2 || se.Path != path {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestDefaultPath(t *testing.T) {
	home := filepath.Join(string(filepath.Separator)+"home", "u")
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
		err  string
	}{
		{"default", map[string]string{"HOME": home, "USERPROFILE": home}, filepath.Join(home, ".aws", "config"), ""},
		{"env", map[string]string{"HOME": home, "AWS_CONFIG_FILE": "/etc/aws.conf"}, "/etc/aws.conf", ""},
		{"env tilde", map[string]string{"HOME": home, "USERPROFILE": home, "AWS_CONFIG_FILE": "~/cfg/aws"}, filepath.Join(home, "cfg", "aws"), ""},
		{"env tilde alone", map[string]string{"HOME": home, "USERPROFILE": home, "AWS_CONFIG_FILE": "~"}, home, ""},
		{"env tilde user", map[string]string{"HOME": home, "AWS_CONFIG_FILE": "~bob/x"}, "~bob/x", ""},
		{"no home", map[string]string{}, "", "cannot find the home folder: HOME is not set"},
		{"no home tilde", map[string]string{"AWS_CONFIG_FILE": "~/x"}, "", "expanding AWS_CONFIG_FILE: cannot find the home folder: HOME is not set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DefaultPath(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("DefaultPath = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}
