package cli

import (
	"io"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// echoProbe is a prompt writer that notes whether the terminal echoes
// input at the moment each prompt is written.
type echoProbe struct {
	fd     int
	echoed []bool
}

func (p *echoProbe) Write(b []byte) (int, error) {
	st, err := unix.IoctlGetTermios(p.fd, unix.TCGETS)
	if err != nil {
		return 0, err
	}
	p.echoed = append(p.echoed, st.Lflag&unix.ECHO != 0)
	return len(b), nil
}

// TestReadSecretHidesBeforeThePrompt: a code typed or pasted the moment the
// prompt shows is not echoed — echo is off before the prompt is written
// (term.ReadPassword alone turns it off after), and on again after.
func TestReadSecretHidesBeforeThePrompt(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pty: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	go func() { _, _ = io.Copy(io.Discard, master) }()
	if _, err := io.WriteString(master, "918273\r"); err != nil {
		t.Fatal(err)
	}
	probe := &echoProbe{fd: int(slave.Fd())}
	tty := &ttyFile{f: slave, w: probe}
	code, err := tty.ReadSecret("MFA code: ")
	if err != nil || code != "918273" {
		t.Fatalf("ReadSecret = %q, %v", code, err)
	}
	if len(probe.echoed) == 0 || probe.echoed[0] {
		t.Fatalf("echo when the prompt was written: %v, want off", probe.echoed)
	}
	st, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || st.Lflag&unix.ECHO == 0 {
		t.Fatalf("echo is not back on after the prompt (%v)", err)
	}
}
