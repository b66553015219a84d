package testenv

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Moto is a running moto_server: a real STS and IAM peer on loopback.
type Moto struct {
	// URL is the endpoint, e.g. http://127.0.0.1:40123.
	URL string
	cmd *exec.Cmd
}

// ErrNoMoto means moto_server is not installed.
var ErrNoMoto = errors.New("moto_server not found (pip install 'moto[server]')")

// StartMotoServer starts moto_server on a free loopback port with extra
// environment entries (e.g. INITIAL_NO_AUTH_ACTION_COUNT=0 to enforce
// signatures) and waits until it answers.
func StartMotoServer(extraEnv ...string) (*Moto, error) {
	argv, err := motoCommand()
	if err != nil {
		return nil, err
	}
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(argv[0], append(argv[1:], "-H", "127.0.0.1", "-p", strconv.Itoa(port))...)
		cmd.Env = append(os.Environ(), extraEnv...)
		ownGroup(cmd)
		if err := cmd.Start(); err != nil {
			return nil, fmt.Errorf("starting moto_server: %w", err)
		}
		m := &Moto{URL: fmt.Sprintf("http://127.0.0.1:%d", port), cmd: cmd}
		if lastErr = m.wait(20 * time.Second); lastErr == nil {
			return m, nil
		}
		m.Stop()
	}
	return nil, lastErr
}

// StartMoto starts moto_server for one test and stops it at cleanup; a
// missing moto_server is testenv.Missing.
func StartMoto(t testing.TB, extraEnv ...string) *Moto {
	t.Helper()
	m, err := StartMotoServer(extraEnv...)
	if errors.Is(err, ErrNoMoto) {
		Missing(t, "%v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Stop)
	return m
}

func motoCommand() ([]string, error) {
	if p, err := exec.LookPath("moto_server"); err == nil {
		return []string{p}, nil
	}
	if p, err := exec.LookPath("python3"); err == nil {
		if exec.Command(p, "-c", "import moto.server").Run() == nil {
			return []string{p, "-m", "moto.server"}, nil
		}
	}
	return nil, ErrNoMoto
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (m *Moto) wait(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: time.Second}
	exited := make(chan struct{})
	go func() { _ = m.cmd.Wait(); close(exited) }()
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("moto_server exited at start")
		default:
		}
		resp, err := client.Get(m.URL + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("moto_server did not answer on %s within %s", m.URL, limit)
}

// Reset drops moto's state.
func (m *Moto) Reset() error {
	resp, err := http.Post(m.URL+"/moto-api/reset", "application/json", nil)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// Stop ends moto_server and its children.
func (m *Moto) Stop() {
	if m.cmd.Process != nil {
		killGroup(m.cmd)
	}
}
