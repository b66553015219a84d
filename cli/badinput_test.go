package cli

import (
	"bytes"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

const (
	goodID     = "AKIAIOSFODNN7EXAMPLE"
	goodSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

// run runs the CLI in-process with env and stdin, and returns the exit
// status and what it printed. There is no terminal.
func run(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	app := &App{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { return env[k] },
		Environ: func() []string { return nil },
		Now:     time.Now,
		TTY:     func() (Terminal, error) { return nil, errors.New("no terminal") },
	}
	var code int
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Fatalf("panic: %v", r)
			}
		}()
		code = Main(app, args)
	}()
	return code, out.String(), errb.String()
}

// baseEnv is a HOME with a file keyring holding a key for "dev".
func baseEnv(t *testing.T, config string) map[string]string {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"HOME":                    dir,
		"AWS_CONFIG_FILE":         filepath.Join(dir, "config"),
		"XDG_CONFIG_HOME":         filepath.Join(dir, "xdg"),
		"AWSTRAY_BACKEND":         "file",
		"AWSTRAY_FILE_DIR":        filepath.Join(dir, "keyring"),
		"AWSTRAY_FILE_PASSPHRASE": "pass",
		"AWS_ENDPOINT_URL":        "http://127.0.0.1:1",
		"AWSTRAY_AWS_TIMEOUT":     "2s",
		"AWSTRAY_NO_AGENT":        "1",
	}
	if code, _, stderr := run(t, env, goodID+"\n"+goodSecret+"\n", "add", "dev"); code != 0 {
		t.Fatalf("add: %s", stderr)
	}
	if config != "" {
		if err := os.WriteFile(env["AWS_CONFIG_FILE"], []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return env
}

// hangingServer accepts connections and never answers.
func hangingServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		l.Close()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + l.Addr().String()
}

// TestBadInput: every case gives exactly one line on stderr, starting
// "awstray: ", matching want, a non-zero exit, and no panic; and the stored
// key survives.
func TestBadInput(t *testing.T) {
	const okConfig = "[profile dev]\nregion = us-east-1\n"
	hang := hangingServer(t)
	cases := []struct {
		name   string
		config string // "" keeps the config add wrote
		env    map[string]string
		stdin  string
		args   []string
		want   string // a regexp for the line after "awstray: "
	}{
		{"line without delimiter", "[profile dev]\nregion\n", nil, "", []string{"exec", "dev", "--", "true"}, `.*/config:2: .*`},
		{"key outside a section", "region = x\n[profile dev]\n", nil, "", []string{"list"}, `.*/config:1: .*section.*`},
		{"unterminated header", "[profile dev\n", nil, "", []string{"list"}, `.*/config:1: .*`},
		{"non-UTF-8 bytes", "[profile dev]\nregion = \xff\xfe\n", nil, "", []string{"list"}, `.*/config:2: .*not valid UTF-8.*`},
		{"NUL byte", "[profile dev]\nregion = a\x00b\n", nil, "", []string{"list"}, `.*/config:2: .*`},
		{"duplicate section", "[profile dev]\n[profile dev]\n", nil, "", []string{"list"}, `.*/config:2: .*duplicate.*`},
		{"duplicate key", "[profile dev]\nregion = a\nregion = b\n", nil, "", []string{"list"}, `.*/config:3: .*duplicate.*`},
		{"empty profile name", "[profile ]\n", nil, "", []string{"list"}, `.*/config:1: .*`},
		{"continuation without key", "[profile dev]\n  indented\n", nil, "", []string{"list"}, `.*/config:2: .*`},
		{"source cycle", "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n", nil, "", []string{"exec", "a", "--", "true"}, `profile cycle: a -> b -> a`},
		{"missing source profile", "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = nope\n", nil, "", []string{"export", "a"}, `profile "a": source_profile "nope" does not exist`},
		{"include cycle", "[profile a]\ninclude_profile = b\n[profile b]\ninclude_profile = a\n", nil, "", []string{"export", "a"}, `include_profile cycle: .*`},
		{"duration not a number", okConfig + "[profile r]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/r\nduration_seconds = abc\n", nil, "", []string{"export", "r"}, `profile "r": duration_seconds .*900 to 43200`},
		{"duration too short", okConfig + "[profile r]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/r\nduration_seconds = 100\n", nil, "", []string{"export", "r"}, `profile "r": duration_seconds .*900 to 43200`},
		{"duration too long", okConfig + "[profile r]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/r\nduration_seconds = 99999\n", nil, "", []string{"export", "r"}, `profile "r": duration_seconds .*900 to 43200`},
		{"bad role ARN", okConfig + "[profile r]\nsource_profile = dev\nrole_arn = admin\n", nil, "", []string{"export", "r"}, `profile "r": role_arn .*`},
		{"bad region", "[profile dev]\nregion = US East\n", nil, "", []string{"export", "dev"}, `profile "dev": region .*`},
		{"bad endpoint URL", "[profile dev]\nendpoint_url = ftp://x\n", nil, "", []string{"export", "dev"}, `profile "dev": endpoint_url .*`},
		{"unknown profile with a hint", okConfig, nil, "", []string{"export", "deb"}, `profile "deb" not found in .*config.*dev.*`},
		{"sso profile without a role", okConfig + "[profile s]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 123456789012\n", nil, "", []string{"export", "s"}, `profile "s": sso_role_name is missing`},
		{"sso profile of a missing session", okConfig + "[profile s]\nsso_session = nope\nsso_account_id = 123456789012\nsso_role_name = R\n", nil, "", []string{"export", "s"}, `profile "s": sso_session "nope" does not exist`},
		{"exec without profile", okConfig, nil, "", []string{"exec"}, `exec needs a profile name \(see 'awstray exec --help'\)`},
		{"exec with two profiles", okConfig, nil, "", []string{"exec", "dev", "other"}, `exec takes one profile name; put the command after -- \(see 'awstray exec --help'\)`},
		{"unknown export format", okConfig, nil, "", []string{"export", "dev", "--format", "yaml"}, `unknown export format "yaml" .*`},
		{"add: one line only", okConfig, nil, goodID + "\n", []string{"add", "x"}, `standard input must hold two lines: the access key ID, then the secret access key`},
		{"add: empty input", okConfig, nil, "", []string{"add", "x"}, `standard input must hold two lines.*`},
		{"add: empty key id", okConfig, nil, "\n" + goodSecret + "\n", []string{"add", "x"}, `the access key ID is empty`},
		{"add: empty secret", okConfig, nil, goodID + "\n\n", []string{"add", "x"}, `the secret access key is empty`},
		{"add: temporary key", okConfig, nil, "ASIAIOSFODNN7EXAMPLE\n" + goodSecret + "\n", []string{"add", "x"}, `the access key ID is a temporary one .*`},
		{"add: key with a space", okConfig, nil, "AKIA IOSFODNN7EXAMPLE\n" + goodSecret + "\n", []string{"add", "x"}, `the access key ID may only hold letters and digits`},
		{"add: --env without variables", okConfig, nil, "", []string{"add", "x", "--env"}, `--env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set`},
		{"add: bad profile name", okConfig, nil, goodID + "\n" + goodSecret + "\n", []string{"add", "a]b"}, `profile name "a\]b" has "\]" in it`},
		{"add: role profile", okConfig + "[profile r]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/r\n", nil, goodID + "\n" + goodSecret + "\n", []string{"add", "r"}, `profile "r" is a role profile; only IAM user profiles have a stored key`},
		{"duration out of range", okConfig, nil, "", []string{"export", "dev", "--duration", "5m"}, `--duration 5m is out of range.*`},
		{"duration not a duration", okConfig, nil, "", []string{"export", "dev", "--duration", "soon"}, `invalid argument "soon" for "--duration" flag.*`},
		{"unknown command", okConfig, nil, "", []string{"frobnicate"}, `unknown command "frobnicate" for "awstray" \(see 'awstray --help'\)`},
		{"unknown flag", okConfig, nil, "", []string{"list", "--yaml"}, `unknown flag: --yaml \(see 'awstray list --help'\)`},
		{"remove without -f and no terminal", okConfig, nil, "", []string{"remove", "dev"}, `remove asks for confirmation on a terminal; pass -f to remove without asking`},
		{"remove a profile with no key", okConfig, nil, "", []string{"remove", "nokey", "-f"}, `no key stored for profile "nokey" \(add one with: awstray add nokey\)`},
		{"exec a profile with no key", okConfig + "[profile nokey]\n", nil, "", []string{"exec", "nokey", "--", "true"}, `no key stored for profile "nokey" \(add one with: awstray add nokey\)`},
		{"unknown backend", okConfig, map[string]string{"AWSTRAY_BACKEND": "floppy"}, "", []string{"list"}, `.*"floppy".*`},
		{"malformed settings", okConfig, map[string]string{"AWSTRAY_BACKEND": "", "AWSTRAY_SETTINGS": "SETTINGS"}, "", []string{"list"}, `.*settings.toml:2: .*`},
		{"bad timeout variable", okConfig, map[string]string{"AWSTRAY_AWS_TIMEOUT": "forever"}, "", []string{"export", "dev"}, `AWSTRAY_AWS_TIMEOUT="forever" is not a duration such as 30s`},
		{"wrong keyring passphrase", okConfig, map[string]string{"AWSTRAY_FILE_PASSPHRASE": "wrong"}, "", []string{"list"}, `.*wrong passphrase.*`},
		{"config is a folder", okConfig, map[string]string{"AWS_CONFIG_FILE": "HOME"}, "", []string{"list"}, `.*`},
		{"credential_process prints junk", okConfig + "[profile p]\ncredential_process = echo not-json\n", nil, "", []string{"export", "p"}, `credential_process of profile "p" printed no valid JSON: malformed JSON`},
		{"credential_process fails", okConfig + "[profile p]\ncredential_process = exit 3\n", nil, "", []string{"export", "p"}, `credential_process of profile "p" failed: exit status 3`},
		{"credential_process wrong version", okConfig + "[profile p]\ncredential_process = echo '{\"Version\": 2}'\n", nil, "", []string{"export", "p"}, `credential_process of profile "p" printed Version 2; only 1 is supported`},
		{"dead network", okConfig, nil, "", []string{"export", "dev"}, `getting a session for profile "dev": cannot reach AWS: .*connection refused`},
		{"server that never answers", okConfig, map[string]string{"AWS_ENDPOINT_URL": hang, "AWSTRAY_AWS_TIMEOUT": "300ms"}, "", []string{"export", "dev"}, `getting a session for profile "dev": no answer from AWS within 300ms: .*`},
		{"nested exec", okConfig, map[string]string{"AWSTRAY": "dev"}, "", []string{"exec", "dev", "--", "true"}, `already in an awstray environment for profile "dev"; exit that shell first`},
		{"import: unknown source", okConfig, nil, "", []string{"import", "keepass"}, `unknown import source "keepass" \(valid: aws-vault, credentials-file\) \(see 'awstray import --help'\)`},
		{"import: no source", okConfig, nil, "", []string{"import"}, `import needs a source: aws-vault or credentials-file \(see 'awstray import --help'\)`},
		{"import: no credentials file", okConfig, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "NOFILE"}, "", []string{"import", "credentials-file"}, `no credentials file at .*/nothing \(AWS_SHARED_CREDENTIALS_FILE names another\)`},
		{"import: credentials file syntax", okConfig, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "CREDS:[dev]\n" + goodSecret + "\n"}, "", []string{"import", "credentials-file"}, `.*/credentials:2: line has no "=" or ":"`},
		{"import: profile not in the file", okConfig, map[string]string{"AWS_SHARED_CREDENTIALS_FILE": "CREDS:[a]\naws_access_key_id = " + goodID + "\naws_secret_access_key = " + goodSecret + "\n"}, "", []string{"import", "credentials-file", "a", "b"}, `profile "b" not found in .*/credentials`},
		{"import: --remove-plaintext from aws-vault", okConfig, nil, "", []string{"import", "aws-vault", "--remove-plaintext"}, `--remove-plaintext applies to credentials-file only; aws-vault's keyring is never changed \(see 'awstray import --help'\)`},
		{"import: no aws-vault file keyring", okConfig, map[string]string{"AWS_VAULT_BACKEND": "file", "AWS_VAULT_FILE_DIR": "NOFILE"}, "", []string{"import", "aws-vault"}, `no aws-vault file keyring in .*/nothing: no such file or directory`},
		{"import: unknown aws-vault backend", okConfig, map[string]string{"AWS_VAULT_BACKEND": "floppy"}, "", []string{"import", "aws-vault"}, `cannot read aws-vault's floppy keyring: the backend is not available here \(names: .*file.*\)`},
		{"mfa without a source", okConfig + "[profile m]\nmfa_serial = arn:aws:iam::123456789012:mfa/m\n", nil, goodID + "\n" + goodSecret + "\n", []string{"export", "m"}, `profile "m" needs an MFA code: pass --mfa-token, set mfa_process, or run in a terminal`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := baseEnv(t, tc.config)
			if strings.Contains(tc.name, "mfa without") {
				if code, _, stderr := run(t, env, tc.stdin, "add", "m"); code != 0 {
					t.Fatal(stderr)
				}
			}
			orig := make(map[string]string, len(env))
			for k, v := range env {
				orig[k] = v
			}
			for k, v := range tc.env {
				if content, ok := strings.CutPrefix(v, "CREDS:"); ok {
					v = filepath.Join(env["HOME"], "credentials")
					if err := os.WriteFile(v, []byte(content), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				switch v {
				case "NOFILE":
					v = filepath.Join(env["HOME"], "nothing")
				case "HOME":
					v = env["HOME"]
				case "SETTINGS":
					v = filepath.Join(env["HOME"], "settings.toml")
					if err := os.WriteFile(v, []byte("# awstray\nbackend = = file\n"), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				env[k] = v
			}
			start := time.Now()
			code, stdout, stderr := run(t, env, tc.stdin, tc.args...)
			if code == 0 {
				t.Fatalf("exit status 0; stdout %q", stdout)
			}
			if strings.Count(stderr, "\n") != 1 || !strings.HasSuffix(stderr, "\n") {
				t.Fatalf("want one line on stderr, got %q", stderr)
			}
			line := strings.TrimSuffix(stderr, "\n")
			if !regexp.MustCompile(`^awstray: ` + tc.want + `$`).MatchString(line) {
				t.Fatalf("stderr:\n  %s\nwant:\n  awstray: %s", line, tc.want)
			}
			if strings.Contains(stderr, goodSecret) || strings.Contains(stdout, goodSecret) {
				t.Fatal("a secret was printed")
			}
			if time.Since(start) > 20*time.Second {
				t.Fatalf("took %s", time.Since(start))
			}
			// Nothing was lost: the key of dev is still there, unchanged.
			orig["AWS_CONFIG_FILE"] = filepath.Join(orig["HOME"], "good-config")
			if err := os.WriteFile(orig["AWS_CONFIG_FILE"], []byte(okConfig), 0o600); err != nil {
				t.Fatal(err)
			}
			if code, stdout, stderr := run(t, orig, "", "export", "dev", "--no-session"); code != 0 || !strings.Contains(stdout, goodSecret) {
				t.Fatalf("the key of dev is lost after the error: %s", stderr)
			}
		})
	}
	if len(cases) < 25 {
		t.Fatalf("only %d cases", len(cases))
	}
}
