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
	"github.com/awstray/awstray/internal/testfake"
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
	leaks.ran(t, args, o.String(), e.String())
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
	proxy := testfake.StartFaultProxy(t, moto.URL)
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
		fault    testfake.Fault
		timeout  string // AWSTRAY_AWS_TIMEOUT: short where the deadline is the point, long where it must not interfere
		want     string // the whole of stderr, after the prefix
		requests int    // AssumeRole requests that reached the proxy
	}{
		{"refused", testfake.Fault{Kind: testfake.FaultRefuse}, "10s",
			`cannot reach AWS: ` + host + ` \(3 attempts\): connection refused`, 0},
		{"reset", testfake.Fault{Kind: testfake.FaultReset}, "10s",
			`cannot reach AWS: ` + host + ` reset the connection \(3 attempts\)`, 3},
		{"hang", testfake.Fault{Kind: testfake.FaultHang}, "2s",
			`no answer from AWS within 2s: ` + host + ` sent nothing back`, 1},
		{"slow body", testfake.Fault{Kind: testfake.FaultSlowBody, Every: 200 * time.Millisecond}, "2s",
			`no answer from AWS within 2s: ` + host + ` started answering but did not finish`, 1},
		{"503", testfake.Fault{Kind: testfake.FaultStatus, Status: 503}, "10s",
			`AWS had a problem: STS answered HTTP 503 to all 3 attempts \(ServiceUnavailable: The request has failed due to a temporary failure of the server\.\)`, 3},
		{"500", testfake.Fault{Kind: testfake.FaultStatus, Status: 500}, "10s",
			`AWS had a problem: STS answered HTTP 500 to all 3 attempts \(InternalFailure: The request processing has failed because of an unknown error, exception or failure\.\)`, 3},
		{"throttling", testfake.Fault{Kind: testfake.FaultThrottle}, "10s",
			`AWS throttled the requests: STS answered HTTP 400 to all 3 attempts \(Throttling: Rate exceeded\); try again in a minute`, 3},
		{"truncated", testfake.Fault{Kind: testfake.FaultTruncate}, "10s",
			host + ` cut its answer short on all 3 attempts \(a flaky network, or a proxy in the way\?\)`, 3},
		{"captive portal", testfake.Fault{Kind: testfake.FaultHTML}, "10s",
			host + ` answered with something that is not an AWS response \(HTTP 200, text/html; a captive portal or a proxy\?\)`, 1},
		{"clock slow", testfake.Fault{Kind: testfake.FaultSkew, Skew: 20 * time.Minute}, "10s",
			`your clock is 20 minutes off \(slow\); correct it \(e\.g\. timedatectl set-ntp true\)`, 1},
		{"clock fast", testfake.Fault{Kind: testfake.FaultSkew, Skew: -45 * time.Minute}, "10s",
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

// tryRun runs awstray and returns what it printed and its error.
func (s *sandbox) tryRun(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = s.env
	cmd.Dir = s.tmp
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	leaks.ran(t, args, o.String(), e.String())
	return o.String(), e.String(), err
}

// bursts groups request times into renewals: the SDK's retries of one
// call come within a second of each other (its backoffs are at most 0.2 s
// here); the manager's backoff between renewals is at least 1.6 s.
func bursts(times []time.Time) [][]time.Time {
	var out [][]time.Time
	for i, at := range times {
		if i == 0 || at.Sub(times[i-1]) > time.Second {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], at)
	}
	return out
}

// TestFaultsTrayRenewal: a role held by the real tray (GNOME Keyring,
// notifications and menu over D-Bus, the agent socket) whose renewal meets
// STS answering 503. The renewal is retried with the manager's backoff
// (2 s, 4 s, 8 s ± 20 %, each a bounded SDK call), the person hears once —
// one notification and the menu's error state — however many renewals
// fail, the agent keeps serving the last good credentials meanwhile, and
// once STS is back the next renewal works and the profile is active again,
// with no new MFA code.
func TestFaultsTrayRenewal(t *testing.T) {
	// Roles last 5 min 15 s: the manager renews 5 minutes before the end,
	// so renewal starts 15 s after the unlock, and the credentials are
	// still good for minutes while it fails.
	d := newTrayDesktop(t, trayConfig, "role_duration = \"5m15s\"\n")
	proxy := testfake.StartFaultProxy(t, d.moto.URL)
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			d.env[i] = "AWS_ENDPOINT_URL=" + proxy.URL
		}
	}
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	c, _ := d.startTray(t)
	click(t, c, "admin — locked", "Unlock…")
	waitLabel(t, c, "admin — 7h")
	out, _ := d.run(t, "", "export", "admin", "--format", "process")
	good, goodUntil := processCreds(t, out)
	proxy.Set("AssumeRole", testfake.Fault{Kind: testfake.FaultStatus, Status: 503})
	start := proxy.Count("AssumeRole")

	const summary = "awstray cannot renew admin"
	wantErr := "assuming role arn:aws:iam::123456789012:role/admin: AWS had a problem: STS answered HTTP 503 to all 3 attempts (ServiceUnavailable: The request has failed due to a temporary failure of the server.)"
	notes := d.notes.WaitFor(1, 90*time.Second)
	if notes[0].Summary != summary || notes[0].Body != wantErr+". The last credentials keep working until they expire." {
		t.Fatalf("notification: %q / %q", notes[0].Summary, notes[0].Body)
	}
	// Three renewals failed by then, each one SDK call of 3 attempts,
	// spaced by the manager's backoff.
	renewals := bursts(proxy.Times("AssumeRole")[start:])
	if len(renewals) < 3 {
		t.Fatalf("the person was told after %d failed renewals, want 3", len(renewals))
	}
	for i, b := range renewals {
		if len(b) != 3 {
			t.Errorf("renewal %d made %d requests, want 3", i+1, len(b))
		}
	}
	for i, min := range []time.Duration{1600 * time.Millisecond, 3200 * time.Millisecond} {
		if gap := renewals[i+1][0].Sub(renewals[i][0]); gap < min {
			t.Errorf("renewal %d came %s after the one before, want at least %s (backoff)", i+2, gap, min)
		}
	}

	// The menu shows the error, with AWS's answer.
	m, err := c.WaitFor(20*time.Second, "admin in the error state", func(m testenv.MenuItem) bool {
		_, ok := m.Find("admin — error", "Error: "+wantErr)
		return ok
	})
	if err != nil {
		t.Fatalf("%v; the menu shows %q", err, m.Labels())
	}
	if v, err := c.Property("ToolTip"); err != nil || !strings.Contains(v.String(), "admin: error") {
		t.Errorf("tooltip while failing: %v %v", v, err)
	}

	// A fourth renewal fails (all of it), and nobody is told again (below).
	proxy.WaitCount("AssumeRole", start+4*3, 60*time.Second)
	// The agent serves the last good credentials, valid for minutes yet,
	// rather than an error, and without calls to STS of its own inside
	// the backoff.
	served := 0
	for i := 0; i < 3; i++ {
		out, stderr, err := d.tryRun(t, "export", "admin", "--format", "process")
		if err != nil {
			t.Logf("request %d through the agent: %v: %s", i+1, err, strings.TrimSpace(stderr))
			continue
		}
		if akid, _ := processCreds(t, out); akid != good {
			t.Errorf("the agent served %s while renewal fails, want the last good %s", akid, good)
		}
		served++
	}
	if served != 3 {
		t.Errorf("the agent served the last good credentials (valid until %s) to %d of 3 requests while renewal fails", goodUntil.Local().Format("15:04:05"), served)
	}
	renewals = bursts(proxy.Times("AssumeRole")[start:])
	for i, b := range renewals {
		if len(b) > 3 {
			t.Errorf("renewal %d made %d requests, want at most 3", i+1, len(b))
		}
		if i > 0 && b[0].Sub(renewals[i-1][0]) < 1600*time.Millisecond {
			t.Errorf("renewal %d came %s after the one before, inside the backoff", i+1, b[0].Sub(renewals[i-1][0]))
		}
	}

	// STS is back: the next renewal works, the profile is active again,
	// with the same MFA session (no new GetSessionToken).
	proxy.Clear()
	m, err = c.WaitFor(60*time.Second, "admin active again", func(m testenv.MenuItem) bool {
		_, ok := m.Find("admin — 7h")
		return ok
	})
	if err != nil {
		t.Fatalf("%v; the menu shows %q", err, m.Labels())
	}
	out, _ = d.run(t, "", "export", "admin", "--format", "process")
	if akid, until := processCreds(t, out); akid == good || !until.After(goodUntil) {
		t.Errorf("after STS came back the agent serves %s until %s; want new credentials", akid, until)
	}
	if n := proxy.Count("GetSessionToken"); n != 1 {
		t.Errorf("%d GetSessionToken calls, want 1: renewal asked for MFA again", n)
	}
	var told []string
	for _, n := range d.notes.Notifications() {
		checkNoSecret(t, "a notification", n.Summary+n.Body, []string{testSecret})
		told = append(told, n.Summary)
	}
	if len(told) != 1 {
		t.Errorf("notifications %q, want one %q however many renewals failed", told, summary)
	}
}

// TestFaultsTrayHangingSTS: STS accepts and never answers. The tray keeps
// to AWSTRAY_AWS_TIMEOUT like the CLI: a command that asks the tray for a
// locked profile gets the deadline's message in seconds, not the default
// 30 s per attempt, and the tray keeps answering.
func TestFaultsTrayHangingSTS(t *testing.T) {
	d := newTrayDesktop(t, trayConfig, "")
	proxy := testfake.StartFaultProxy(t, d.moto.URL)
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			d.env[i] = "AWS_ENDPOINT_URL=" + proxy.URL
		}
	}
	d.env = append(d.env, "AWSTRAY_AWS_TIMEOUT=2s")
	d.run(t, testKeyID+"\n"+testSecret+"\n", "add", "dev")
	c, _ := d.startTray(t)
	waitLabel(t, c, "admin — locked")
	proxy.Set("GetSessionToken", testfake.Fault{Kind: testfake.FaultHang})
	start := time.Now()
	_, stderr, err := d.tryRun(t, "export", "admin")
	took := time.Since(start)
	if err == nil {
		t.Fatal("export through the tray worked while STS hangs")
	}
	if !strings.Contains(stderr, "no answer from AWS within 2s") {
		t.Errorf("stderr = %q, want the 2s deadline named", stderr)
	}
	// One attempt's deadline and the retries' waits, well under the
	// default timeout of a single attempt.
	if took > 20*time.Second {
		t.Errorf("the tray took %s to give up with AWSTRAY_AWS_TIMEOUT=2s", took)
	}
	proxy.Clear()
	if out, _ := d.run(t, "", "export", "admin"); !strings.Contains(out, "AWS_SECRET_ACCESS_KEY=") {
		t.Fatalf("after STS came back: %q", out)
	}
}
