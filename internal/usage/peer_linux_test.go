package usage

import (
	"os"
	"testing"
)

func TestDescribePeerSelf(t *testing.T) {
	p := DescribePeer(os.Getpid())
	self, _ := os.Executable()
	if p.Exe != self {
		t.Errorf("Exe = %q, want %q", p.Exe, self)
	}
	if p.ParentPID != os.Getppid() {
		t.Errorf("ParentPID = %d, want %d", p.ParentPID, os.Getppid())
	}
	parent, _ := os.Readlink("/proc/self/../" + itoa(os.Getppid()) + "/exe")
	if p.ParentExe == "" || p.ParentExe != parent {
		t.Errorf("ParentExe = %q, want %q", p.ParentExe, parent)
	}
	if _, ok := p.ProcessKey(); !ok {
		t.Error("no process key for this process")
	}
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses, as a program may choose.
	line := "4242 (evil ) 1 2 (x) S 17 4242 4200 34817 4242 4194304 0 0 0 0 0 0 0 0 20 0 1 0 987654 0 0\n"
	st, ok := parseStat(line)
	if !ok || st.ppid != 17 || st.session != 4200 || st.tty != 34817 || st.start != 987654 {
		t.Fatalf("parseStat = %+v %v", st, ok)
	}
	if _, ok := parseStat("4242 (short) S 1"); ok {
		t.Fatal("a short line parsed")
	}
	p := Peer{Session: 4200, TTY: 34817}
	if k, ok := p.TerminalKey(); !ok || k != "4200/34817" {
		t.Fatalf("TerminalKey = %q %v", k, ok)
	}
	if _, ok := (Peer{Session: 4200}).TerminalKey(); ok {
		t.Fatal("a session without a terminal has a terminal key")
	}
}
