//go:build linux

package main

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/internal/testenv"
)

// ptyRun runs awstray on a new pseudo-terminal, answering each prompt (a
// substring of the output) in turn, and returns everything the terminal
// showed.
func ptyRun(t *testing.T, env []string, answers [][2]string, args ...string) (string, error) {
	t.Helper()
	screen, _, err := ptyRunEcho(t, env, answers, args...)
	return screen, err
}

// ptyRunEcho is ptyRun that also says, for each prompt, whether the
// terminal echoed input when the prompt reached the screen: the reader
// looks at the terminal's flags (through the master, which shares them on
// Linux) right after each read, before the answer is typed.
func ptyRunEcho(t *testing.T, env []string, answers [][2]string, args ...string) (string, []bool, error) {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	cmd.Env = env
	f, err := pty.Start(cmd)
	if err != nil {
		t.Fatalf("starting on a pty: %v", err)
	}
	defer f.Close()
	var (
		mu     sync.Mutex // guards screen and echoAt
		screen bytes.Buffer
		// echoAt[i]: whether echo was on just after the read that brought
		// the screen to its first i bytes.
		echoAt []bool
	)
	// drained is closed when the reader has read everything: on Linux a
	// pty's master reads EIO once every process holding the terminal is gone.
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			echo := true
			if st, terr := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS); terr == nil {
				echo = st.Lflag&unix.ECHO != 0
			}
			mu.Lock()
			screen.Write(buf[:n])
			for range n {
				echoAt = append(echoAt, echo)
			}
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	seen := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	offset := 0
	var echoed []bool
	for _, a := range answers {
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := seen()
			if i := strings.Index(s[offset:], a[0]); i >= 0 {
				offset += i + len(a[0])
				mu.Lock()
				echoed = append(echoed, echoAt[offset-1])
				mu.Unlock()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no prompt %q; the terminal shows:\n%s", a[0], s)
			}
			time.Sleep(10 * time.Millisecond)
		}
		if _, err := io.WriteString(f, a[1]+"\r"); err != nil {
			t.Fatal(err)
		}
	}
	err = cmd.Wait()
	select {
	case <-drained:
	case <-time.After(10 * time.Second):
		t.Fatalf("the terminal did not reach its end after awstray exited; it shows:\n%s", seen())
	}
	return seen(), echoed, err
}

// TestTerminalPrompts: on a terminal, add asks for the key with the secret
// hidden, and exec asks for the MFA code hidden; neither is echoed.
func TestTerminalPrompts(t *testing.T) {
	moto := testenv.StartMoto(t)
	s := newSandbox(t, moto.URL)
	if err := os.MkdirAll(filepath.Join(s.home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	cfg := "[profile dev]\nregion = us-east-1\nmfa_serial = arn:aws:iam::123456789012:mfa/dev\n"
	if err := os.WriteFile(filepath.Join(s.home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	screen, echoed, err := ptyRunEcho(t, s.env, [][2]string{{"Access Key ID: ", testKeyID}, {"Secret Access Key: ", testSecret}}, "add", "dev")
	if err != nil {
		t.Fatalf("add: %v\n%s", err, screen)
	}
	// Echo is off before the secret's prompt shows: a key pasted the moment
	// it shows does not reach the screen (it did, now and then, when echo
	// went off only after the prompt).
	if !echoed[0] || echoed[1] {
		t.Errorf("echo when the prompts showed: key ID %v (want on), secret %v (want off)", echoed[0], echoed[1])
	}
	if !strings.Contains(screen, testKeyID) {
		t.Errorf("the access key ID should echo as typed:\n%s", screen)
	}
	if strings.Contains(screen, testSecret) {
		t.Errorf("the secret access key was echoed:\n%s", screen)
	}
	if !strings.Contains(screen, "stored key ****************MPLE for profile dev") {
		t.Errorf("no confirmation:\n%s", screen)
	}

	const code = "918273"
	screen, echoed, err = ptyRunEcho(t, s.env, [][2]string{{"MFA code for dev (arn:aws:iam::123456789012:mfa/dev): ", code}}, "exec", "dev", "--", "sh", "-c", "echo session=${AWS_SESSION_TOKEN:+yes}")
	if err != nil {
		t.Fatalf("exec: %v\n%s", err, screen)
	}
	if echoed[0] {
		t.Errorf("echo was on when the MFA prompt showed")
	}
	if strings.Contains(screen, code) {
		t.Errorf("the MFA code was echoed:\n%s", screen)
	}
	if !strings.Contains(screen, "session=yes") {
		t.Errorf("the command got no session:\n%s", screen)
	}

	// remove asks on the terminal; "n" keeps the key.
	screen, err = ptyRun(t, s.env, [][2]string{{"[y/N] ", "n"}}, "remove", "dev")
	if err == nil || !strings.Contains(screen, "awstray: nothing removed") {
		t.Fatalf("remove answered n: %v\n%s", err, screen)
	}
	if out, _ := s.run(t, "", "list"); !strings.Contains(out, "stored") {
		t.Fatalf("the key is gone after answering n:\n%s", out)
	}
	screen, err = ptyRun(t, s.env, [][2]string{{"[y/N] ", "y"}}, "remove", "dev")
	if err != nil || !strings.Contains(screen, "removed the key ****************MPLE of profile dev") {
		t.Fatalf("remove answered y: %v\n%s", err, screen)
	}
}
