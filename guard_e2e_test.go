//go:build linux

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/usage"
)

// TestGuardedProfile is issue 12's acceptance run: the real tray on a
// D-Bus session bus, moto, and a zenity stand-in that answers the guard's
// question by its exit status (0 yes, 1 no, as zenity --question) and keeps
// its arguments. A denied exec fails with one line and exit 1; an allowed
// one works; a second exec from the same terminal asks nothing;
// credential-process run by an SDK names the SDK's program; `awstray log
// --json` lists every delivery, and the record file holds no secret.
func TestGuardedProfile(t *testing.T) {
	d := newAgentDesk(t, agentConfig+"\n[profile viaproc]\nregion = us-east-1\ncredential_process = "+binary(t)+" credential-process admin\n",
		"dialogs = \"zenity\"\nguarded_profiles = [\"adm*\"]\n")
	answerWith, askedText := guardZenity(t, d)
	questions := func() int { return strings.Count(askedText(), "--question") }
	d.startTray(t)

	// Denied: one line, exit 1, and nothing run.
	answerWith("1")
	out, stderr, err := d.runNoTTY(t, "exec", "admin", "--", "awstray-whoami", "sekrit-argument")
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 || out != "" ||
		stderr != "awstray: credentials for profile \"admin\" were refused in the tray\n" {
		t.Fatalf("a denied exec: %v %q %q", err, out, stderr)
	}
	asked := askedText()
	for _, want := range []string{"--question", `"admin"`, "To run: awstray-whoami", "exec (pid "} {
		if !strings.Contains(asked, want) {
			t.Errorf("the question lacks %q:\n%s", want, asked)
		}
	}
	if strings.Contains(asked, "sekrit-argument") {
		t.Errorf("the question shows the program's arguments:\n%s", asked)
	}
	// An unguarded profile asks nothing.
	if _, _, err := d.runNoTTY(t, "exec", "dev", "--", "true"); err != nil || questions() != 1 {
		t.Fatalf("an unguarded profile: %v, %d questions", err, questions())
	}

	// Allowed: it works.
	answerWith("0")
	out, stderr, err = d.runNoTTY(t, "exec", "admin", "--", "awstray-whoami")
	if err != nil || !strings.Contains(out, ":assumed-role/admin/") || stderr != "" {
		t.Fatalf("an allowed exec: %v %q %q", err, out, stderr)
	}
	if questions() != 2 {
		t.Fatalf("%d questions after the allowed exec, want 2", questions())
	}

	// Two execs from one terminal: the second asks nothing.
	marks := filepath.Join(d.root, "ran")
	script := binary(t) + " exec admin -- sh -c 'echo one >> " + marks + "' && " + binary(t) + " exec admin -- sh -c 'echo two >> " + marks + "'"
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = d.env
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	var screen bytes.Buffer
	go func() { _, _ = screen.ReadFrom(f) }() // drained until the pty closes
	if err := cmd.Wait(); err != nil {
		t.Fatalf("two execs on one terminal: %v", err)
	}
	f.Close()
	if b, _ := os.ReadFile(marks); string(b) != "one\ntwo\n" || questions() != 3 {
		t.Fatalf("two execs on one terminal ran %q after %d questions in all, want 3", b, questions())
	}

	// credential-process run by an SDK (boto3): the question and the record
	// name the SDK's program as the parent.
	python, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 (with boto3, which moto brings) is needed: %v", err)
		return
	}
	py := exec.Command(python, "-c", "import boto3, os, sys\n"+
		"print(os.path.realpath(sys.executable))\n"+
		"print(boto3.Session(profile_name='viaproc').client('sts').get_caller_identity()['Arn'])")
	py.Env = append(d.env, "AWS_SHARED_CREDENTIALS_FILE="+os.DevNull)
	pyOut, err := py.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(pyOut)), "\n")
	if err != nil || len(lines) != 2 || !strings.Contains(lines[1], ":assumed-role/admin/") {
		t.Fatalf("boto3 with credential_process: %v\n%s", err, pyOut)
	}
	pyExe := lines[0]
	asked = askedText()
	if !strings.Contains(asked, "Started by: "+pyExe) || !strings.Contains(asked, "credential-process") {
		t.Errorf("the question of credential-process does not name %s:\n%s", pyExe, asked)
	}

	// The record: from the tray, then from the file with no tray.
	logOut, _ := d.run(t, "", "log", "--json")
	var recs []usage.Record
	for _, line := range strings.Split(strings.TrimSpace(logOut), "\n") {
		var r usage.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("awstray log --json: %v in %q", err, line)
		}
		recs = append(recs, r)
	}
	var got []string
	for _, r := range recs {
		got = append(got, r.Profile+"/"+r.Op+"/"+r.Program+"/"+r.Outcome)
		if r.Time.IsZero() || r.PID == 0 || r.Exe == "" || r.ParentExe == "" || time.Since(r.Time) > 5*time.Minute {
			t.Errorf("a record lacks a field: %+v", r)
		}
	}
	want := []string{"admin/exec/awstray-whoami/denied", "dev/exec/true/served", "admin/exec/awstray-whoami/served",
		"admin/exec/sh/served", "admin/exec/sh/served", "admin/credential-process//served"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("the record:\n got %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
	}
	if last := recs[len(recs)-1]; last.ParentExe != pyExe {
		t.Errorf("credential-process's parent is %q, want %q", last.ParentExe, pyExe)
	}
	file := filepath.Join(d.home, ".state", "awstray", usage.FileName)
	fi, err := os.Stat(file)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the record file: %v %v", err, fi)
	}
	text, _ := os.ReadFile(file)
	if n := strings.Count(string(text), "\n"); n != len(want) {
		t.Errorf("the record file has %d lines, want %d", n, len(want))
	}
	// Every secret the run handled: the key, and the session the tray
	// served (an allowed export shows it).
	exported, _ := d.run(t, "", "export", "admin", "--format", "env")
	secrets := []string{testSecret}
	for _, m := range printedSecret.FindAllStringSubmatch(exported, -1) {
		secrets = append(secrets, m[1])
	}
	for _, kv := range strings.Split(exported, "\n") {
		if v, ok := strings.CutPrefix(kv, "export AWS_SECRET_ACCESS_KEY="); ok {
			secrets = append(secrets, strings.Trim(v, `'"`))
		}
		if v, ok := strings.CutPrefix(kv, "export AWS_SESSION_TOKEN="); ok {
			secrets = append(secrets, strings.Trim(v, `'"`))
		}
	}
	if len(secrets) < 3 {
		t.Fatalf("found %d secrets in the export lines", len(secrets))
	}
	text, _ = os.ReadFile(file)
	checkNoSecret(t, "the usage record", string(text), secrets)
	leaks.secret(secrets...)
}
