//go:build linux

package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testfake"
	"github.com/awstray/awstray/internal/usage"
)

// guardZenity puts a zenity stand-in first on d's PATH that answers the
// guard's question by its exit status (0 yes, 1 no, as zenity --question)
// and keeps its arguments. answer sets the next answers; asked is every
// argument it was given so far.
func guardZenity(t *testing.T, d *agentDesk) (answer func(code string), asked func() string) {
	t.Helper()
	bin := filepath.Join(d.root, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	argvLog, answerFile := filepath.Join(d.root, "zenity-argv"), filepath.Join(d.root, "zenity-answer")
	zenity := "#!/bin/sh\nprintf '%s\\n' \"$@\" >> " + argvLog + "\necho --- >> " + argvLog + "\nexit \"$(cat " + answerFile + ")\"\n"
	if err := os.WriteFile(filepath.Join(bin, "zenity"), []byte(zenity), 0o755); err != nil {
		t.Fatal(err)
	}
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "PATH=") {
			d.env[i] = "PATH=" + bin + ":" + strings.TrimPrefix(kv, "PATH=")
		}
	}
	d.env = append(d.env, "DISPLAY=:99")
	answer = func(code string) {
		if err := os.WriteFile(answerFile, []byte(code), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	asked = func() string {
		b, _ := os.ReadFile(argvLog)
		return string(b)
	}
	return answer, asked
}

// TestGuardedLogin: `awstray login` of a guarded IAM user profile is a
// delivery like export's. With no tray and no terminal it is refused
// before STS is called. Through the real tray the guard asks (a no is the
// refusal line and exit 1, with no STS call; a yes a sign-in link with a
// federation token the tray made), and the usage record keeps both.
func TestGuardedLogin(t *testing.T) {
	d := newAgentDesk(t, agentConfig+"\n[profile w1]\nregion = us-east-1\n",
		"dialogs = \"zenity\"\nguarded_profiles = [\"w1\"]\n")
	id, secret, err := d.moto.CreateUserKey("w1")
	if err != nil {
		t.Fatal(err)
	}
	leaks.secret(secret)
	d.run(t, id+"\n"+secret+"\n", "add", "w1")
	fed := testfake.StartFederation(t, d.proxy.IssuedBy)
	d.env = append(d.env, "AWSTRAY_FEDERATION_URL="+fed.URL)
	answer, asked := guardZenity(t, d)

	// No tray, no terminal: refused before the keyring or STS.
	out, stderr, err := d.runNoTTY(t, "login", "w1", "--stdout")
	if err == nil || out != "" || stderr != "awstray: profile \"w1\" is guarded: allowing it needs the tray or a terminal to confirm on\n" {
		t.Fatalf("a login with no tray and no terminal: %v %q %q", err, out, stderr)
	}
	if n := d.proxy.Count("GetFederationToken"); n != 0 {
		t.Fatalf("a refused login made %d federation tokens", n)
	}

	d.startTray(t)

	answer("1")
	out, stderr, err = d.runNoTTY(t, "login", "w1", "--stdout")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || out != "" ||
		stderr != "awstray: credentials for profile \"w1\" were refused in the tray\n" {
		t.Fatalf("a denied login: %v %q %q", err, out, stderr)
	}
	if q := asked(); strings.Count(q, "--question") != 1 || !strings.Contains(q, `"w1"`) || !strings.Contains(q, "console (pid ") {
		t.Fatalf("the question of a denied login:\n%s", q)
	}
	if n := d.proxy.Count("GetFederationToken"); n != 0 {
		t.Fatalf("a denied login made %d federation tokens", n)
	}

	answer("0")
	out, stderr, err = d.runNoTTY(t, "login", "w1", "--stdout")
	if err != nil || !strings.HasPrefix(out, fed.URL+"?") || stderr != "" {
		t.Fatalf("an allowed login: %v %q %q", err, out, stderr)
	}
	if n := strings.Count(asked(), "--question"); n != 2 {
		t.Fatalf("%d questions after the allowed login, want 2", n)
	}
	resp, err := http.Get(strings.TrimSpace(out))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(body), "signed in as GetFederationToken:") {
		t.Fatalf("the sign-in link: %d %s", resp.StatusCode, body)
	}
	if n := d.proxy.Count("GetFederationToken"); n != 1 {
		t.Fatalf("%d federation tokens made, want 1", n)
	}

	logOut, _ := d.run(t, "", "log", "--json")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(logOut), "\n") {
		var r usage.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("awstray log --json: %v in %q", err, line)
		}
		got = append(got, r.Profile+"/"+r.Op+"/"+r.Outcome)
	}
	if want := "w1/console/denied w1/console/served"; strings.Join(got, " ") != want {
		t.Fatalf("the record:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	leaks.secret(secretsOfLink(out)...)
}

// secretsOfLink is the sign-in token of a sign-in link, for the leak scan.
func secretsOfLink(link string) []string {
	for _, kv := range strings.Split(strings.TrimSpace(link), "&") {
		if v, ok := strings.CutPrefix(kv, "SigninToken="); ok {
			return []string{v}
		}
	}
	return nil
}

// TestTrayForgetsCleared: `awstray clear` tells the running tray, which
// serves from memory: after `clear dev` the next exec through the tray
// asks for an MFA code again, and after `clear` (all) so does a role.
func TestTrayForgetsCleared(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	d.startTray(t)
	whoami := func(profile string, wantMFA int) {
		t.Helper()
		out, stderr, err := d.runNoTTY(t, "exec", profile, "--", "awstray-whoami")
		if err != nil || !strings.HasPrefix(out, "arn:aws:") || stderr != "" {
			t.Fatalf("exec %s: %v %q %q", profile, err, out, stderr)
		}
		if n := d.mfaCalls(); n != wantMFA {
			t.Fatalf("exec %s: %d MFA codes asked in all, want %d", profile, n, wantMFA)
		}
	}
	whoami("dev", 1)
	whoami("dev", 1) // held: no code
	if _, stderr, err := d.runNoTTY(t, "clear", "dev"); err != nil || stderr != "cleared 1 cached session\n" {
		t.Fatalf("clear dev: %v %q", err, stderr)
	}
	whoami("dev", 2)
	whoami("admin", 2) // from dev's session, cached again
	if _, stderr, err := d.runNoTTY(t, "clear"); err != nil || !strings.HasPrefix(stderr, "cleared ") || strings.Contains(stderr, "warning") {
		t.Fatalf("clear: %v %q", err, stderr)
	}
	whoami("admin", 3)
}

// TestTrayForgetsRemoved: after `awstray remove`, nothing made with the
// removed key is served — the profile's session nor a role's made from it,
// from the tray's memory or the keyring's cache: exec fails with the
// no-key error.
func TestTrayForgetsRemoved(t *testing.T) {
	d := newAgentDesk(t, agentConfig, "")
	d.startTray(t)
	for _, p := range []string{"dev", "admin"} {
		if out, stderr, err := d.runNoTTY(t, "exec", p, "--", "awstray-whoami"); err != nil || !strings.HasPrefix(out, "arn:aws:") {
			t.Fatalf("exec %s: %v %q %q", p, err, out, stderr)
		}
	}
	_, stderr, err := d.runNoTTY(t, "remove", "-f", "dev")
	if err != nil || !strings.HasPrefix(stderr, "removed the key ") || !strings.Contains(stderr, "cleared 1 cached session of admin") || strings.Contains(stderr, "warning") {
		t.Fatalf("remove -f dev: %v %q", err, stderr)
	}
	// Neither the profile nor the role made from it is served: not from
	// the tray's memory, not from the keyring's cache.
	for _, p := range []string{"dev", "admin"} {
		out, stderr, err := d.runNoTTY(t, "exec", p, "--", "awstray-whoami")
		if err == nil || out != "" || !strings.Contains(stderr, `no key stored for profile "dev"`) {
			t.Fatalf("exec %s after remove: %v %q %q", p, err, out, stderr)
		}
	}
	if n := d.mfaCalls(); n != 1 {
		t.Fatalf("%d MFA codes asked, want 1", n)
	}
}
