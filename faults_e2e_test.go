//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

const faultsConfig = `[profile dev]
region = us-east-1

[profile admin]
source_profile = dev
role_arn = arn:aws:iam::123456789012:role/admin
`

// runFail runs awstray, which must fail with exit status 1, and returns
// its stdout, its stderr and how long it ran.
func (s *sandbox) runFail(t *testing.T, env []string, args ...string) (string, string, time.Duration) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = append(append([]string(nil), s.env...), env...)
	cmd.Dir = s.tmp
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("awstray %s: %v, want exit status 1\nstderr: %s", strings.Join(args, " "), err, e.String())
	}
	return o.String(), e.String(), took
}

// processCreds reads `export --format process` output.
func processCreds(t *testing.T, out string) (akid string, expires time.Time) {
	t.Helper()
	var v struct {
		AccessKeyID string    `json:"AccessKeyId"`
		Expiration  time.Time `json:"Expiration"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v.AccessKeyID == "" {
		t.Fatalf("export --format process printed %q (%v)", out, err)
	}
	return v.AccessKeyID, v.Expiration
}

// TestFaultsCLI runs the real binary against moto behind a proxy that
// makes each fault of a bad network in turn, and pins, per fault, the one
// line the person reads, the exit status, how many requests reached AWS,
// and that the call kept its deadline; then, with the network back, that
// nothing was lost: the cached base session serves the next run (no new
// GetSessionToken) and the stored key still works.
func TestFaultsCLI(t *testing.T) {
	moto := testenv.StartMoto(t)
	proxy := testenv.StartFaultProxy(t, moto.URL)
	s := newSandbox(t, proxy.URL)
	s.env = append(s.env, "XDG_RUNTIME_DIR="+filepath.Join(s.root, "run")) // no tray: the CLI calls STS itself
	writeHome(t, s.home, faultsConfig, "")
	s.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	s.run(t, "", "exec", "dev", "--", "true") // the base session, cached for every row below
	sessions := proxy.Count("GetSessionToken")
	if sessions != 1 {
		t.Fatalf("%d GetSessionToken calls for the first exec, want 1", sessions)
	}

	const prefix = `^awstray: assuming role arn:aws:iam::123456789012:role/admin: `
	host := `STS at 127\.0\.0\.1:\d+`
	tests := []struct {
		name     string
		fault    testenv.Fault
		timeout  string // AWSTRAY_AWS_TIMEOUT: short where the deadline is the point, long where it must not interfere
		want     string // the whole of stderr, after the prefix
		requests int    // AssumeRole requests that reached the proxy
	}{
		{"refused", testenv.Fault{Kind: testenv.FaultRefuse}, "10s",
			`cannot reach AWS: ` + host + ` \(3 attempts\): connection refused`, 0},
		{"reset", testenv.Fault{Kind: testenv.FaultReset}, "10s",
			`cannot reach AWS: ` + host + ` reset the connection \(3 attempts\)`, 3},
		{"hang", testenv.Fault{Kind: testenv.FaultHang}, "2s",
			`no answer from AWS within 2s: ` + host + ` sent nothing back`, 1},
		{"slow body", testenv.Fault{Kind: testenv.FaultSlowBody, Every: 200 * time.Millisecond}, "2s",
			`no answer from AWS within 2s: ` + host + ` started answering but did not finish`, 1},
		{"503", testenv.Fault{Kind: testenv.FaultStatus, Status: 503}, "10s",
			`AWS had a problem: STS answered HTTP 503 to all 3 attempts \(ServiceUnavailable: The request has failed due to a temporary failure of the server\.\)`, 3},
		{"500", testenv.Fault{Kind: testenv.FaultStatus, Status: 500}, "10s",
			`AWS had a problem: STS answered HTTP 500 to all 3 attempts \(InternalFailure: The request processing has failed because of an unknown error, exception or failure\.\)`, 3},
		{"throttling", testenv.Fault{Kind: testenv.FaultThrottle}, "10s",
			`AWS throttled the requests: STS answered HTTP 400 to all 3 attempts \(Throttling: Rate exceeded\); try again in a minute`, 3},
		{"truncated", testenv.Fault{Kind: testenv.FaultTruncate}, "10s",
			host + ` cut its answer short on all 3 attempts \(a flaky network, or a proxy in the way\?\)`, 3},
		{"captive portal", testenv.Fault{Kind: testenv.FaultHTML}, "10s",
			host + ` answered with something that is not an AWS response \(HTTP 200, text/html; a captive portal or a proxy\?\)`, 1},
		{"clock slow", testenv.Fault{Kind: testenv.FaultSkew, Skew: 20 * time.Minute}, "10s",
			`your clock is 20 minutes off \(slow\); correct it \(e\.g\. timedatectl set-ntp true\)`, 1},
		{"clock fast", testenv.Fault{Kind: testenv.FaultSkew, Skew: -45 * time.Minute}, "10s",
			`your clock is 45 minutes off \(fast\); correct it \(e\.g\. timedatectl set-ntp true\)`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy.Set("", tt.fault)
			defer proxy.Clear()
			before := proxy.Count("AssumeRole")
			stdout, stderr, took := s.runFail(t, []string{"AWSTRAY_AWS_TIMEOUT=" + tt.timeout}, "export", "admin")
			if stdout != "" {
				t.Errorf("stdout: %q", stdout)
			}
			if !regexp.MustCompile(prefix + tt.want + "\n$").MatchString(stderr) {
				t.Errorf("stderr:\n  %q\nwant one line:\n  %s", stderr, prefix+tt.want)
			}
			if n := proxy.Count("AssumeRole") - before; n != tt.requests {
				t.Errorf("%d AssumeRole requests reached AWS, want %d", n, tt.requests)
			}
			if limit, _ := time.ParseDuration(tt.timeout); took > limit+5*time.Second {
				t.Errorf("awstray ran %s with AWSTRAY_AWS_TIMEOUT=%s", took, tt.timeout)
			}
			checkNoSecret(t, "stderr", stderr, []string{testSecret})
		})
	}

	// The network is back: the cached base session serves (no new
	// GetSessionToken), and after `clear` the stored key makes a new one.
	proxy.Clear()
	out, _ := s.run(t, "", "export", "admin", "--format", "process")
	processCreds(t, out)
	if n := proxy.Count("GetSessionToken"); n != sessions {
		t.Fatalf("%d GetSessionToken calls after the faults, want %d: the cached session was lost", n, sessions)
	}
	s.run(t, "", "clear")
	s.run(t, "", "exec", "admin", "--", "true")
	if n := proxy.Count("GetSessionToken"); n != sessions+1 {
		t.Fatalf("%d GetSessionToken calls after clear, want %d", n, sessions+1)
	}
}
