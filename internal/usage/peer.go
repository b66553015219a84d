package usage

// Peer is the process at the other end of the agent's socket, as the
// system tells it (never as the process claims).
type Peer struct {
	PID       int
	Exe       string // its executable; "" when unknown
	ParentPID int
	ParentExe string // its parent's executable; "" when unknown
	// Session and TTY are its session id (getsid) and controlling
	// terminal (tty_nr; 0: none): together, the terminal session it runs
	// in.
	Session int
	TTY     int
	// Start is its start time in clock ticks since boot: with PID, it
	// tells this process from a later one that got the same PID.
	Start uint64
}

// TerminalKey is what identifies Peer's terminal session, and false when
// it has none (no controlling terminal, or an unknown one).
func (p Peer) TerminalKey() (string, bool) {
	if p.Session <= 0 || p.TTY == 0 {
		return "", false
	}
	return itoa(p.Session) + "/" + itoa(p.TTY), true
}

// ProcessKey identifies the peer's process for as long as it lives; false
// when the system did not say which process it is.
func (p Peer) ProcessKey() (string, bool) {
	if p.PID <= 0 || p.Start == 0 {
		return "", false
	}
	return itoa(p.PID) + "@" + utoa(p.Start), true
}

func itoa(n int) string {
	if n < 0 {
		return "-" + utoa(uint64(-n))
	}
	return utoa(uint64(n))
}

func utoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}
