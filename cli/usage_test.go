package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/usage"
)

// TestUsageErrors: a missing or unknown subcommand, and a wrong number of
// arguments, are one "awstray:" line on stderr with a hint and a non-zero
// exit — never the help on stdout with status 0, which a script would take
// for success, and never cobra's "accepts at most 1 arg(s)".
func TestUsageErrors(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "AWSTRAY_NO_AGENT": "1"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"completion"}, "awstray: completion needs a shell: bash, fish, powershell or zsh (see 'awstray completion --help')"},
		{[]string{"completion", "tcsh"}, `awstray: unknown completion shell "tcsh" (valid: bash, fish, powershell, zsh) (see 'awstray completion --help')`},
		{[]string{"completion", "bash", "x"}, "awstray: completion bash takes no arguments, got 1 (see 'awstray completion bash --help')"},
		{[]string{"setup"}, "awstray: setup needs a subcommand: credential-process or sso (see 'awstray setup --help')"},
		{[]string{"setup", "bogus"}, `awstray: unknown setup subcommand "bogus" (valid: credential-process, sso) (see 'awstray setup --help')`},
		{[]string{"setup", "credential-process"}, "awstray: setup credential-process needs a profile name (see 'awstray setup credential-process --help')"},
		{[]string{"setup", "sso"}, "awstray: setup sso takes 1 argument, got 0 (see 'awstray setup sso --help')"},
		{[]string{"setup", "sso", "a", "b"}, "awstray: setup sso takes 1 argument, got 2 (see 'awstray setup sso --help')"},
		{[]string{"clear", "a", "b"}, "awstray: clear takes at most 1 argument, got 2 (see 'awstray clear --help')"},
		{[]string{"list", "x"}, "awstray: list takes no arguments, got 1 (see 'awstray list --help')"},
		{[]string{"log", "x"}, "awstray: log takes no arguments, got 1 (see 'awstray log --help')"},
		{[]string{"bogus"}, `awstray: unknown command "bogus" for "awstray" (see 'awstray --help')`},
	} {
		t.Run(strings.Join(tc.args, "_"), func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", tc.args...)
			if code == 0 {
				t.Errorf("exit status 0, want non-zero")
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
			if stderr != tc.want+"\n" {
				t.Errorf("stderr = %q\nwant     %q", stderr, tc.want+"\n")
			}
		})
	}
}

// TestSubcommandsStillRun: the parents' new refusal leaves their
// subcommands and their help alone.
func TestSubcommandsStillRun(t *testing.T) {
	env := map[string]string{"HOME": t.TempDir(), "AWSTRAY_NO_AGENT": "1"}
	for _, args := range [][]string{{"completion", "bash"}, {"setup", "--help"}, {"completion", "--help"}} {
		code, stdout, stderr := run(t, env, "", args...)
		if code != 0 || stdout == "" || stderr != "" {
			t.Errorf("%v: exit %d, stdout %d bytes, stderr %q", args, code, len(stdout), stderr)
		}
	}
}

// TestDurationByKind: --duration is checked against the profile's kind —
// a role takes 12h at most (AssumeRole), an IAM user's session 36h — before
// anything asks AWS.
func TestDurationByKind(t *testing.T) {
	env := baseEnv(t, "[profile dev]\nregion = us-east-1\n[profile admin]\nsource_profile = dev\nrole_arn = arn:aws:iam::123456789012:role/admin\n")
	for _, tc := range []struct {
		profile, duration string
		want              string // the error; "" when the duration is fine
	}{
		{"admin", "13h", `awstray: --duration 13h is out of range for role profile "admin": AWS allows 15m to 12h for roles`},
		{"admin", "36h", `awstray: --duration 36h is out of range for role profile "admin": AWS allows 15m to 12h for roles`},
		{"admin", "10m", "awstray: --duration 10m is out of range: AWS allows 15m to 36h for sessions and 15m to 12h for roles"},
		{"dev", "37h", "awstray: --duration 37h is out of range: AWS allows 15m to 36h for sessions and 15m to 12h for roles"},
		{"admin", "12h", ""},
		{"dev", "36h", ""},
	} {
		t.Run(tc.profile+"_"+tc.duration, func(t *testing.T) {
			code, stdout, stderr := run(t, env, "", "export", tc.profile, "--duration", tc.duration)
			if tc.want != "" {
				if code == 0 || stdout != "" || stderr != tc.want+"\n" {
					t.Fatalf("exit %d, stderr %q\nwant the error %q", code, stderr, tc.want)
				}
				return
			}
			// Accepted: the command goes on to STS, which this test's
			// endpoint refuses.
			if code == 0 || strings.Contains(stderr, "--duration") || !strings.Contains(stderr, "127.0.0.1:1") {
				t.Fatalf("exit %d, stderr %q: want the duration accepted and the STS call to fail", code, stderr)
			}
		})
	}
}

// TestLogSinceDays: log --since takes days as key_max_age does ("7d"), and
// a bad value is a usage error naming the flag.
func TestLogSinceDays(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": dir, "XDG_RUNTIME_DIR": filepath.Join(dir, "run"), "HOME": dir}
	l := usage.NewLog(filepath.Join(dir, "awstray", usage.FileName))
	now := time.Now()
	for i, age := range []time.Duration{10 * 24 * time.Hour, 3 * 24 * time.Hour} {
		if err := l.Add(usage.Record{Time: now.Add(-age), Profile: "prod", Op: usage.OpExec, PID: 10 + i, Outcome: usage.Served}); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := run(t, env, "", "log", "--since", "7d", "--json")
	var r usage.Record
	if lines := strings.Split(strings.TrimSpace(stdout), "\n"); code != 0 || len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &r) != nil || r.PID != 11 {
		t.Fatalf("log --since 7d: exit %d, stderr %q, stdout:\n%s\nwant the record of 3 days ago only", code, stderr, stdout)
	}
	code, stdout, _ = run(t, env, "", "log", "--since", "264h", "--json")
	if code != 0 || strings.Count(stdout, "\n") != 2 {
		t.Fatalf("log --since 264h: exit %d, stdout:\n%s\nwant both records", code, stdout)
	}
	for arg, want := range map[string]string{
		"7x":  `awstray: invalid argument "7x" for "--since" flag: "7x" is not a duration such as 8h or 45m (see 'awstray log --help')`,
		"-1h": `awstray: invalid argument "-1h" for "--since" flag: "-1h" is not a positive duration (see 'awstray log --help')`,
	} {
		if code, _, stderr := run(t, env, "", "log", "--since", arg); code == 0 || stderr != want+"\n" {
			t.Errorf("log --since %s: exit %d, stderr %q\nwant %q", arg, code, stderr, want)
		}
	}
}
