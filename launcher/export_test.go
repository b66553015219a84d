package launcher

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

var sessionVars = Vars{
	AccessKeyID:     "ASIAIOSFODNN7EXAMPLE",
	SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	SessionToken:    "AQoDYXdzEJr+token/with+slash=",
	Expires:         time.Date(2026, 11, 27, 17, 4, 5, 0, time.UTC),
	Profile:         "work",
}

func TestExportSession(t *testing.T) {
	for _, tc := range []struct{ format, want string }{
		{"env", `export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
export AWS_SESSION_TOKEN=AQoDYXdzEJr+token/with+slash=
export AWS_CREDENTIAL_EXPIRATION=2026-11-27T17:04:05+00:00
`},
		{"env-no-export", `AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
AWS_SESSION_TOKEN=AQoDYXdzEJr+token/with+slash=
AWS_CREDENTIAL_EXPIRATION=2026-11-27T17:04:05+00:00
`},
		{"fish", `set -gx AWS_ACCESS_KEY_ID "ASIAIOSFODNN7EXAMPLE"
set -gx AWS_SECRET_ACCESS_KEY "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
set -gx AWS_SESSION_TOKEN "AQoDYXdzEJr+token/with+slash="
set -gx AWS_CREDENTIAL_EXPIRATION "2026-11-27T17:04:05+00:00"
`},
		{"powershell", `$Env:AWS_ACCESS_KEY_ID="ASIAIOSFODNN7EXAMPLE"
$Env:AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
$Env:AWS_SESSION_TOKEN="AQoDYXdzEJr+token/with+slash="
$Env:AWS_CREDENTIAL_EXPIRATION="2026-11-27T17:04:05+00:00"
`},
		{"windows-cmd", `set AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE
set AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
set AWS_SESSION_TOKEN=AQoDYXdzEJr+token/with+slash=
set AWS_CREDENTIAL_EXPIRATION=2026-11-27T17:04:05+00:00
`},
		{"process", `{
  "Version": 1,
  "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
  "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  "SessionToken": "AQoDYXdzEJr+token/with+slash=",
  "Expiration": "2026-11-27T17:04:05+00:00"
}
`},
		{"ini", `[work]
aws_access_key_id = ASIAIOSFODNN7EXAMPLE
aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
aws_session_token = AQoDYXdzEJr+token/with+slash=
`},
	} {
		t.Run(tc.format, func(t *testing.T) {
			got, err := Export(tc.format, sessionVars)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
	if _, err := Export("yaml", sessionVars); err == nil || err.Error() != `unknown export format "yaml" (one of env, env-no-export, fish, powershell, windows-cmd, process, ini)` {
		t.Fatalf("unknown format: %v", err)
	}
}

// hostile values are not credentials AWS issues, but whatever comes back
// from a credential_process must not run code when the lines are evaluated.
var hostile = []string{`a'b`, `$(touch pwned)`, "`touch pwned`", `a"b$c\d`, `x; touch pwned`, `$HOME`, `a b`, `\'`}

func TestPOSIXQuotingIsSafe(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range hostile {
		out, err := Export("env", Vars{AccessKeyID: "AKIA", SecretAccessKey: v})
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		cmd := exec.Command(sh, "-c", out+`printf %s "$AWS_SECRET_ACCESS_KEY"`)
		cmd.Dir = dir
		got, err := cmd.Output()
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if string(got) != v {
			t.Errorf("sh read %q back as %q", v, got)
		}
		if entries, _ := exec.Command("ls", dir).Output(); len(entries) != 0 {
			t.Errorf("%q ran a command", v)
		}
	}
}

func TestFishQuoting(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a$b`, `'a$b'`},
		{`a'b\c`, `'a\'b\\c'`},
		{`a"b`, `'a"b'`},
	} {
		if got := quoteFish(tc.in); got != tc.want {
			t.Errorf("quoteFish(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestPowerShellQuoting(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain", `"plain"`},
		{`a$b`, `'a$b'`},
		{"a`b", "'a`b'"},
		{`it's`, `'it''s'`},
	} {
		if got := quotePowerShell(tc.in); got != tc.want {
			t.Errorf("quotePowerShell(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestCmdRefusesWhatItCannotQuote(t *testing.T) {
	for _, v := range []string{`a%PATH%b`, `a"b`, "a\nb", `a!b`} {
		if _, err := Export("windows-cmd", Vars{AccessKeyID: "AKIA", SecretAccessKey: v}); err == nil {
			t.Errorf("%q: want an error", v)
		} else if strings.Contains(err.Error(), v) {
			t.Errorf("the error shows the value: %v", err)
		}
	}
	out, err := Export("windows-cmd", Vars{AccessKeyID: "AKIA", SecretAccessKey: "a&b"})
	if err != nil || !strings.Contains(out, `set "AWS_SECRET_ACCESS_KEY=a&b"`) {
		t.Errorf("a&b: %q %v", out, err)
	}
}

func TestFormatForShell(t *testing.T) {
	for in, want := range map[string]string{
		"/bin/bash": "env", "/usr/bin/zsh": "env", "/usr/bin/fish": "fish", "": "env",
		`C:\Program Files\PowerShell\7\pwsh.exe`: "powershell", "cmd.exe": "windows-cmd", "/bin/sh": "env",
	} {
		if got := FormatForShell(in); got != want {
			t.Errorf("FormatForShell(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestCredentialEnv(t *testing.T) {
	base := []string{"PATH=/bin", "AWS_PROFILE=x", "AWS_DEFAULT_PROFILE=y", "AWS_CREDENTIAL_FILE=/f",
		"AWS_SESSION_TOKEN=stale", "AWS_REGION=eu-west-1", "AWSTRAY=old", "HOME=/h",
		"AWS_VAULT=vaulted", "AWSUME_PROFILE=assumed", "AWSU_PROFILE=u", "AWS_SSO_PROFILE=sso", "AWSUME_EXPIRATION=2020-01-01T00:00:00Z"}
	got := CredentialEnv(base, sessionVars, "us-east-1")
	want := []string{"PATH=/bin", "HOME=/h",
		"AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
		"AWS_SESSION_TOKEN=AQoDYXdzEJr+token/with+slash=", "AWS_SECURITY_TOKEN=AQoDYXdzEJr+token/with+slash=",
		"AWS_CREDENTIAL_EXPIRATION=2026-11-27T17:04:05Z", "AWS_SESSION_EXPIRATION=2026-11-27T17:04:05Z",
		"AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_SSO_PROFILE=work", "AWSTRAY=work"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A long-term key: no token variables at all (a stale one is removed),
	// and the user's region stays when none is known.
	got = CredentialEnv(base, Vars{AccessKeyID: "AKIA1", SecretAccessKey: "s", Profile: "p"}, "")
	joined := strings.Join(got, "\n")
	for _, absent := range []string{"AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION"} {
		if strings.Contains(joined, absent) {
			t.Errorf("%s set for a long-term key", absent)
		}
	}
	if !strings.Contains(joined, "AWS_REGION=eu-west-1") {
		t.Error("the user's AWS_REGION was dropped")
	}
}

func TestServerEnv(t *testing.T) {
	base := []string{"PATH=/bin", "AWS_ACCESS_KEY_ID=stale", "AWS_SESSION_TOKEN=stale", "AWS_PROFILE=x", "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://old/", "AWS_VAULT=v", "AWS_SSO_PROFILE=s"}
	got := ServerEnv(base, []string{"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:5/", "AWS_CONTAINER_AUTHORIZATION_TOKEN=tok"}, "eu-west-1", "work")
	want := "PATH=/bin AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:5/ AWS_CONTAINER_AUTHORIZATION_TOKEN=tok AWS_REGION=eu-west-1 AWS_DEFAULT_REGION=eu-west-1 AWS_SSO_PROFILE=work AWSTRAY=work"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}
