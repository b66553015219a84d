package agent

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// The helper process: the test binary run again as another user. It
// speaks to the agent by hand (Dial would refuse an agent run by another
// user before saying anything) and prints one line of what happened.
const (
	helperEnv     = "AWSTRAY_AGENT_TEST_HELPER"
	helperPathEnv = "AWSTRAY_AGENT_TEST_PATH"
)

func TestHelperProcess(t *testing.T) {
	switch os.Getenv(helperEnv) {
	case "connect":
		fmt.Println(helperConnect(os.Getenv(helperPathEnv)))
	case "serve":
		helperServe(os.Getenv(helperPathEnv))
	default:
		return // only a helper process of the security tests does something here
	}
}

// helperConnect asks for credentials and reports what came back.
func helperConnect(path string) string {
	c, err := net.DialTimeout("unix", path, 2*time.Second)
	if err != nil {
		return "dial failed: " + err.Error()
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, `{"v":1,"op":"credentials","profile":"dev"}`+"\n"+`{"v":1,"op":"list"}`+"\n"); err != nil {
		return "closed without an answer: " + err.Error() // the server hung up first
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Sprintf("closed without an answer: %v (got %q)", err, line)
	}
	return "answer: " + strings.TrimSpace(line)
}

// helperServe listens at path with a plain listener and accepts until
// killed; it prints "ready" once listening.
func helperServe(path string) {
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Println("listen failed:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		c, err := l.Accept()
		if err != nil {
			os.Exit(1)
		}
		go func() {
			defer c.Close()
			_, _ = io.WriteString(c, `{"v":1,"ok":true,"credentials":{"access_key_id":"ASIAEVIL","secret_access_key":"evil"}}`+"\n")
			_, _ = io.Copy(io.Discard, c)
		}()
	}
}

// asNobody prepares to run the test binary as the nobody user.
func asNobody(t *testing.T, mode, path string) *exec.Cmd {
	t.Helper()
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to run a helper process as another user")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		testenv.Missing(t, "a nobody user: %v", err)
	}
	// The test binary sits in a folder only we can enter: copy it where
	// nobody can run it.
	bin := helperBinary(t)
	var argv []string
	if p, err := exec.LookPath("setpriv"); err == nil {
		argv = []string{p, "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}
	} else if p, err := exec.LookPath("runuser"); err == nil {
		argv = []string{p, "-u", "nobody", "--"}
	} else {
		testenv.Missing(t, "setpriv or runuser, to run a helper process as nobody")
	}
	argv = append(argv, bin, "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path, "GOCOVERDIR=")
	cmd.Stderr = os.Stderr
	return cmd
}

func helperBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	dir := publicDir(t)
	bin := filepath.Join(dir, "agent.test")
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return bin
}

// publicDir is a folder that every user may enter, as /run/user is.
func publicDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "awstray-agent-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestOtherUserCannotConnect(t *testing.T) {
	tests := []struct {
		name string
		// open makes the agent reachable for the other user, as a mistake
		// or an attack would, so that the next defence is tested alone.
		open func(t *testing.T, path string)
		want string
	}{
		{"private folder", func(*testing.T, string) {}, "dial failed: dial unix " /* ... permission denied */},
		{"peer uid check", func(t *testing.T, path string) {
			if err := os.Chmod(filepath.Dir(path), 0o777); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o666); err != nil {
				t.Fatal(err)
			}
		}, "closed without an answer: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(publicDir(t), "awstray", "agent.sock")
			s := startServer(t, path, newFakeBackend())
			cmd := asNobody(t, "connect", path)
			tc.open(t, path)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("helper as nobody: %v\n%s", err, out)
			}
			got := string(out)
			t.Logf("helper as nobody: %s", strings.TrimSpace(got))
			if !strings.HasPrefix(got, tc.want) {
				t.Errorf("helper = %q, want %q…", got, tc.want)
			}
			if tc.name == "private folder" && !strings.Contains(got, "permission denied") {
				t.Errorf("helper = %q, want permission denied", got)
			}
			if strings.Contains(got, fakeSecret) || strings.Contains(got, fakeKeyID) || strings.HasPrefix(got, "answer:") {
				t.Errorf("another user got an answer: %s", got)
			}
			// We still can.
			if _, err := s.dial(t).Credentials(context.Background(), "dev", false); err != nil {
				t.Errorf("the owner's request failed: %v", err)
			}
			if tc.name == "peer uid check" {
				if log := s.log.String(); !strings.Contains(log, "refused a connection") || !strings.Contains(log, "uid 65534") {
					t.Errorf("the refusal was not logged:\n%s", log)
				}
			}
		})
	}
}

func TestClientRefusesAgentOfAnotherUser(t *testing.T) {
	dir := publicDir(t)
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "agent.sock")
	cmd := asNobody(t, "serve", path)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	ready, _ := bufio.NewReader(stdout).ReadString('\n')
	if ready != "ready\n" {
		t.Fatalf("helper serving as nobody: %q", ready)
	}
	c, err := Dial(path, time.Second)
	if err == nil {
		_, cerr := c.Credentials(context.Background(), "dev", false)
		_ = c.Close()
		t.Fatalf("Dial accepted an agent run by nobody (Credentials: %v)", cerr)
	}
	if errors.Is(err, ErrNoAgent) || !strings.Contains(err.Error(), "runs as uid") {
		t.Errorf("Dial = %v, want a refusal of the other user's agent", err)
	}
}
