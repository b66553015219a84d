//go:build !windows

package dialog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/internal/testenv"
)

// fakeTools puts scripts first on PATH that stand in for dialog programs:
// each call records its argv and environment and answers what the test
// queued for it (stdout, stderr, exit status), in call order.
type fakeTools struct {
	t   *testing.T
	dir string
}

const fakeScript = `#!/bin/sh
d=%q
n=$(( $(cat "$d/count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$d/count"
printf '%%s\0' "${0##*/}" "$@" > "$d/argv.$n"
env -0 > "$d/env.$n"
if [ -f "$d/fork.$n" ]; then sleep 30 & echo $! > "$d/pid.$n.tmp"; mv "$d/pid.$n.tmp" "$d/pid.$n"; fi
if [ -f "$d/sleep.$n" ]; then exec sleep "$(cat "$d/sleep.$n")"; fi
if [ -f "$d/err.$n" ]; then cat "$d/err.$n" >&2; fi
if [ -f "$d/out.$n" ]; then cat "$d/out.$n"; fi
exit "$(cat "$d/rc.$n" 2>/dev/null || echo 0)"
`

func newFakeTools(t *testing.T, names ...string) *fakeTools {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(bin, n), []byte(fmt.Sprintf(fakeScript, dir)), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("DISPLAY", ":0")
	return &fakeTools{t: t, dir: dir}
}

// ran is what tool prints first when its dialog ran: the marker line of
// PowerShell's, nothing for the others.
func ran(tool string) string {
	if tool == ToolPowershell {
		return powershellMarker + "\n"
	}
	return ""
}

// answer queues the outcome of call n (from 1).
func (f *fakeTools) answer(n int, stdout string, status int, stderr string) {
	f.write(fmt.Sprintf("out.%d", n), stdout)
	f.write(fmt.Sprintf("rc.%d", n), fmt.Sprint(status))
	f.write(fmt.Sprintf("err.%d", n), stderr)
}

func (f *fakeTools) write(name, content string) {
	if err := os.WriteFile(filepath.Join(f.dir, name), []byte(content), 0o600); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fakeTools) split(name string) []string {
	b, err := os.ReadFile(filepath.Join(f.dir, name))
	if err != nil {
		f.t.Fatal(err)
	}
	parts := strings.Split(string(bytes.TrimSuffix(b, []byte{0})), "\x00")
	return parts
}

// argv is what call n got, argv[0] being the program's name.
func (f *fakeTools) argv(n int) []string { return f.split(fmt.Sprintf("argv.%d", n)) }

func (f *fakeTools) env(n int) []string { return f.split(fmt.Sprintf("env.%d", n)) }

func (f *fakeTools) calls() int {
	b, _ := os.ReadFile(filepath.Join(f.dir, "count"))
	var n int
	fmt.Sscan(string(b), &n)
	return n
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFakeToolsGetArgumentsVerbatim(t *testing.T) {
	for _, tool := range []string{ToolZenity, ToolKdialog, ToolOsascript, ToolPowershell} {
		t.Run(tool, func(t *testing.T) {
			f := newFakeTools(t, tool)
			p := &Prompter{Tool: tool}
			f.answer(1, ran(tool)+"  s3cret with spaces \n", 0, "")
			got, err := p.Secret(ctxT(t), "title "+nasty, nasty)
			if err != nil {
				t.Fatal(err)
			}
			if got != "  s3cret with spaces " {
				t.Fatalf("Secret = %q: only the trailing newline may go", got)
			}
			want := toolByName(tool).build(request{kind: kindSecret, title: oneline.String("title " + nasty), text: nasty}).argv
			if argv := f.argv(1); !slices.Equal(argv, want) {
				t.Fatalf("the tool got\n %q\nwant\n %q", argv, want)
			}
			if _, err := os.Stat("/tmp/pwned"); err == nil {
				t.Fatal("something ran the text as a command")
			}
			env := f.env(1)
			if tool == ToolPowershell {
				for _, kv := range []string{"AWSTRAY_DIALOG_TITLE=" + oneline.String("title "+nasty), "AWSTRAY_DIALOG_TEXT=" + nasty, "AWSTRAY_DIALOG_KIND=secret"} {
					if !slices.Contains(env, kv) {
						t.Errorf("env lacks %q", kv)
					}
				}
			}
			for _, kv := range env {
				if strings.Contains(kv, "s3cret") {
					t.Errorf("the answer is in the tool's environment: %q", kv)
				}
			}
		})
	}
}

func TestFakeToolsCancel(t *testing.T) {
	tests := []struct {
		tool   string
		status int
		stderr string
	}{
		{ToolZenity, 1, ""},
		{ToolKdialog, 1, ""},
		{ToolOsascript, 1, "0:200: execution error: User canceled. (-128)\n"},
		{ToolPowershell, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			f := newFakeTools(t, tt.tool)
			p := &Prompter{Tool: tt.tool}
			f.answer(1, "", tt.status, tt.stderr)
			if _, err := p.Text(ctxT(t), "t", "x", ""); !errors.Is(err, ErrCancelled) {
				t.Fatalf("Text: %v, want ErrCancelled", err)
			}
			f.answer(2, "", tt.status, tt.stderr)
			if ok, err := p.Confirm(ctxT(t), "t", "sure?"); ok || err != nil {
				t.Fatalf("Confirm = %v, %v; want false, nil", ok, err)
			}
			f.answer(3, ran(tt.tool), 0, "")
			if ok, err := p.Confirm(ctxT(t), "t", "sure?"); !ok || err != nil {
				t.Fatalf("Confirm = %v, %v; want true, nil", ok, err)
			}
			f.answer(4, "", tt.status, tt.stderr)
			if err := p.Info(ctxT(t), "t", "closed"); err != nil {
				t.Fatalf("Info closed: %v", err)
			}
			f.answer(5, "", 3, "it broke\n")
			if _, err := p.Text(ctxT(t), "t", "x", ""); err == nil || errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "it broke") {
				t.Fatalf("a failing tool: %v", err)
			}
		})
	}
}

func TestZenityWithoutDisplayIsAnError(t *testing.T) {
	f := newFakeTools(t, "zenity")
	f.answer(1, "", 1, "(zenity:42): Gtk-WARNING **: cannot open display: :0\n")
	_, err := (&Prompter{Tool: ToolZenity}).Text(ctxT(t), "t", "x", "")
	if err == nil || errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v, want a display error, not a cancel", err)
	}
	t.Setenv("DISPLAY", "")
	t.Setenv("WAYLAND_DISPLAY", "")
	_, err = (&Prompter{}).Text(ctxT(t), "t", "x", "")
	if err == nil || !strings.Contains(err.Error(), "no graphical session") {
		t.Fatalf("err = %v", err)
	}
}

func TestMFACodeAsksAgain(t *testing.T) {
	f := newFakeTools(t, "kdialog")
	p := &Prompter{Tool: ToolKdialog}
	f.answer(1, "12ab34\n", 0, "")
	f.answer(2, "123 456\n", 0, "")
	prev := "MultiFactorAuthentication failed with invalid MFA one time pass code."
	code, err := p.MFACode(ctxT(t), "prod", "arn:aws:iam::111111111111:mfa/me", prev)
	if err != nil || code != "123456" {
		t.Fatalf("MFACode = %q, %v", code, err)
	}
	first, second := f.argv(1), f.argv(2)
	if first[2] != "awstray: MFA code for prod" || !strings.HasPrefix(first[4], prev+"\n\n") || !strings.Contains(first[4], "arn:aws:iam::111111111111:mfa/me") {
		t.Errorf("first dialog %q", first)
	}
	if !strings.HasPrefix(second[4], "That was not a code") || strings.Contains(second[4], "12ab34") {
		t.Errorf("second dialog %q: it must say why and never echo the entry", second)
	}
	f.answer(3, "", 1, "")
	if _, err := p.MFACode(ctxT(t), "prod", "", ""); !errors.Is(err, ErrCancelled) {
		t.Fatalf("cancel: %v", err)
	}
	for _, bad := range []string{"12345", "123456789"} {
		if mfaCode.MatchString(bad) {
			t.Errorf("%s passes as a code", bad)
		}
	}
}

func TestMFACodeFromYkman(t *testing.T) {
	f := newFakeTools(t, "ykman")
	f.answer(1, "987654\n", 0, "Touch your YubiKey...\n")
	p := &Prompter{Tool: ToolYkman}
	code, err := p.MFACode(ctxT(t), "prod", "arn:aws:iam::1:mfa/me", "")
	if err != nil || code != "987654" {
		t.Fatalf("MFACode = %q, %v", code, err)
	}
	if got := f.argv(1); !slices.Equal(got, []string{"ykman", "oath", "accounts", "code", "--single", "arn:aws:iam::1:mfa/me"}) {
		t.Fatalf("argv %q", got)
	}
	p.YkmanAccount = "aws:me"
	f.answer(2, "", 1, "Error: No matching account found.\n")
	_, err = p.MFACode(ctxT(t), "prod", "arn:aws:iam::1:mfa/me", "")
	if err == nil || !strings.Contains(err.Error(), "No matching account") {
		t.Fatalf("err = %v", err)
	}
	if got := f.argv(2); got[len(got)-1] != "aws:me" {
		t.Fatalf("argv %q, want the account aws:me", got)
	}
	if _, err := (&Prompter{Tool: ToolYkman}).MFACode(ctxT(t), "prod", "", ""); err == nil {
		t.Fatal("no account and no serial: no error")
	}
}

func TestAddProfile(t *testing.T) {
	f := newFakeTools(t, "zenity")
	p := &Prompter{Tool: ToolZenity}
	f.answer(1, "work\n", 0, "")
	f.answer(2, "not a key\n", 0, "")
	f.answer(3, "AKIAIOSFODNN7EXAMPLE\n", 0, "")
	f.answer(4, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n", 0, "")
	f.answer(5, "\n", 0, "")
	f.answer(6, " eu-west-1 \n", 0, "")
	in, err := p.AddProfile(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	want := AddProfileInput{Name: "work", AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: credentials.NewSecret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), Region: "eu-west-1"}
	if in != want {
		t.Fatalf("AddProfile = %+v", in)
	}
	if f.calls() != 6 {
		t.Fatalf("%d dialogs, want 6", f.calls())
	}
	if !slices.Contains(f.argv(4), "--hide-text") || slices.Contains(f.argv(3), "--hide-text") {
		t.Error("only the secret access key is hidden")
	}
	if !strings.Contains(f.argv(3)[3], "access key ID is") {
		t.Errorf("the malformed key is not explained: %q", f.argv(3))
	}
	for n := 1; n <= 6; n++ {
		for _, a := range f.argv(n) {
			if strings.Contains(a, "wJalrXUtnFEMI") {
				t.Fatalf("the secret reached a dialog's argv: %q", f.argv(n))
			}
		}
	}

	f2 := newFakeTools(t, "zenity")
	f2.answer(1, "work\n", 0, "")
	f2.answer(2, "AKIAIOSFODNN7EXAMPLE\n", 0, "")
	f2.answer(3, "", 1, "")
	if _, err := p.AddProfile(ctxT(t)); !errors.Is(err, ErrCancelled) {
		t.Fatalf("cancel at the secret: %v", err)
	}
}

func TestDialogTimeoutEndsTheTool(t *testing.T) {
	f := newFakeTools(t, "zenity")
	f.write("sleep.1", "30")
	p := &Prompter{Tool: ToolZenity, Timeout: 300 * time.Millisecond}
	start := time.Now()
	_, err := p.Text(context.Background(), "t", "x", "")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the deadline", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("took %v", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	f.write("sleep.2", "30")
	time.AfterFunc(100*time.Millisecond, cancel)
	if _, err := (&Prompter{Tool: ToolZenity}).Text(ctx, "t", "x", ""); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want cancelled context", err)
	}
}

// pid is the process ID the fake tool's call n left running in the
// background ("fork.N"), 0 when it did not get that far.
func (f *fakeTools) pid(n int) int {
	b, err := os.ReadFile(filepath.Join(f.dir, fmt.Sprintf("pid.%d", n)))
	if err != nil {
		return 0
	}
	var pid int
	fmt.Sscan(string(b), &pid)
	return pid
}

// A dialog program (or a wrapper script in its place) that started a
// child holding its output open: the deadline or a cancel ends both, and
// the dialog returns at once — it runs while the tray holds a resolution.
func TestDialogEndsTheToolsChildren(t *testing.T) {
	if !testenv.WithoutTerminal(t) {
		return
	}
	const bound = 10 * time.Second // far below the child's 30 s
	f := newFakeTools(t, "zenity")
	check := func(t *testing.T, n int, start time.Time, err, want error) {
		t.Helper()
		if took := time.Since(start); took > bound {
			t.Fatalf("returned after %s", took)
		}
		if !errors.Is(err, want) {
			t.Fatalf("err = %v, want %v", err, want)
		}
		if pid := f.pid(n); pid != 0 {
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			testenv.WaitGone(t, pid, bound)
		} else if want == context.Canceled {
			t.Fatal("the tool's child never ran")
		}
	}

	t.Run("cancel", func(t *testing.T) {
		f.write("fork.1", "")
		f.write("sleep.1", "30")
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() { // cancel once the child runs, however slow the machine
			for ctx.Err() == nil && f.pid(1) == 0 {
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
		}()
		start := time.Now()
		_, err := (&Prompter{Tool: ToolZenity}).Text(ctx, "t", "x", "")
		check(t, 1, start, err, context.Canceled)
	})
	t.Run("deadline", func(t *testing.T) {
		f.write("fork.2", "")
		f.write("sleep.2", "30")
		start := time.Now()
		_, err := (&Prompter{Tool: ToolZenity, Timeout: 300 * time.Millisecond}).Text(context.Background(), "t", "x", "")
		check(t, 2, start, err, context.DeadlineExceeded)
	})
}

// A powershell.exe that exits 0 and shows nothing (Wine's is a stub) is a
// tool that failed, not a person who left the field empty: MFACode fails at
// once, naming the tool, instead of starting it again and again; Confirm is
// an error, never a yes.
func TestPowershellThatShowsNoDialogFails(t *testing.T) {
	f := newFakeTools(t, "powershell")
	p := &Prompter{Tool: ToolPowershell}
	start := time.Now()
	_, err := p.MFACode(ctxT(t), "prod", "arn:aws:iam::111111111111:mfa/me", "")
	if err == nil || errors.Is(err, ErrCancelled) || !strings.Contains(err.Error(), "powershell") {
		t.Fatalf("MFACode = %v, want an error naming powershell", err)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the error is not one line: %q", err)
	}
	if n := f.calls(); n != 1 {
		t.Errorf("powershell ran %d times, want once", n)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("MFACode took %v", took)
	}
	if ok, err := p.Confirm(ctxT(t), "t", "sure?"); ok || err == nil {
		t.Errorf("Confirm = %v, %v; want false and an error", ok, err)
	}
}

// A person who leaves the MFA code empty is asked again twice, then the
// question ends with an error rather than for ever.
func TestMFACodeEmptyAnswersAreCapped(t *testing.T) {
	f := newFakeTools(t, "zenity")
	p := &Prompter{Tool: ToolZenity}
	for n := 1; n <= 5; n++ {
		f.answer(n, "\n", 0, "")
	}
	_, err := p.MFACode(ctxT(t), "prod", "", "")
	if err == nil || errors.Is(err, ErrCancelled) || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("MFACode = %v, want an error for empty answers", err)
	}
	if n := f.calls(); n != 3 {
		t.Errorf("zenity ran %d times, want 3 (the question and two re-asks)", n)
	}
	// A malformed answer is still asked again: the cap is for empty ones.
	f2 := newFakeTools(t, "zenity")
	f2.answer(1, "\n", 0, "")
	f2.answer(2, "12ab\n", 0, "")
	f2.answer(3, "\n", 0, "")
	f2.answer(4, "654321\n", 0, "")
	if code, err := p.MFACode(ctxT(t), "prod", "", ""); err != nil || code != "654321" {
		t.Fatalf("MFACode = %q, %v", code, err)
	}
}
