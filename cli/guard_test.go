package cli

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
)

// TestConfirmGuardedWithoutTray: on its own, the CLI lets a guarded
// profile through only when its name is typed on the terminal, and
// refuses without a terminal.
func TestConfirmGuardedWithoutTray(t *testing.T) {
	s := settings.Settings{GuardedProfiles: []string{"prod*"}}
	var prompts []string
	app := func(answer string, tty bool) *App {
		a := &App{Getenv: func(string) string { return "" }, settings: &s}
		if tty {
			a.TTY = func() (Terminal, error) { return fakeTerminal{answer: answer, prompts: &prompts}, nil }
		}
		return a
	}
	exec := credsInput{profile: "prod-eu", command: "exec", program: "terraform"}
	if err := app("", false).confirmGuarded(credsInput{profile: "dev"}); err != nil {
		t.Fatalf("an unguarded profile: %v", err)
	}
	if err := app("", false).confirmGuarded(exec); err == nil || !strings.Contains(err.Error(), "needs the tray or a terminal") {
		t.Fatalf("no terminal: %v", err)
	}
	if err := app("prod", true).confirmGuarded(exec); err == nil || err.Error() != `credentials for profile "prod-eu" were refused at the terminal` {
		t.Fatalf("a wrong name: %v", err)
	}
	if err := app("prod-eu", true).confirmGuarded(exec); err != nil {
		t.Fatalf("the right name: %v", err)
	}
	if len(prompts) != 2 || !strings.Contains(prompts[0], `"prod-eu" is guarded`) || !strings.Contains(prompts[0], "exec of terraform") {
		t.Fatalf("prompts: %q", prompts)
	}
}

// TestLogFromFile: with no tray, `awstray log` reads the record file (and
// its rotated predecessor), filtered by --since and --profile.
func TestLogFromFile(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"XDG_STATE_HOME": dir, "XDG_RUNTIME_DIR": filepath.Join(dir, "run"), "HOME": dir}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := usage.NewLog(filepath.Join(dir, "awstray", usage.FileName))
	for i, p := range []string{"prod", "dev", "prod"} {
		if err := l.Add(usage.Record{Time: now.Add(time.Duration(i-3) * time.Hour), Profile: p, Op: usage.OpExec, PID: 10 + i, Exe: "/usr/bin/awstray", ParentExe: "/bin/bash", Program: "terraform", Outcome: usage.Served}); err != nil {
			t.Fatal(err)
		}
	}
	var out strings.Builder
	a := &App{Getenv: func(k string) string { return env[k] }, Now: func() time.Time { return now }, Stdout: &out}
	if err := runLog(a, logInput{json: true, since: 150 * time.Minute, profile: "prod"}); err != nil {
		t.Fatal(err)
	}
	var r usage.Record
	if lines := strings.Split(strings.TrimSpace(out.String()), "\n"); len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &r) != nil || r.PID != 12 {
		t.Fatalf("log --json --since 150m --profile prod:\n%s", out.String())
	}
	out.Reset()
	if err := runLog(a, logInput{}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(out.String(), "\n"); n != 3 || !strings.Contains(out.String(), "runs terraform") {
		t.Fatalf("log:\n%s", out.String())
	}
	// Nothing recorded yet is no error.
	if err := os.RemoveAll(filepath.Join(dir, "awstray")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := runLog(a, logInput{}); err != nil || out.Len() != 0 {
		t.Fatalf("no record: %v %q", err, out.String())
	}
	if err := runLog(a, logInput{since: -time.Hour}); err == nil || errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a negative --since: %v", err)
	}
}
