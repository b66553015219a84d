package filelock

import "fmt"

// HeldError is the error of a named per-user lock that another process
// holds: each such lock stands for something running (the tray, a rotation
// of one profile), and its holder writes its PID in the lock file for this
// message. It matches ErrTimeout, the plain form of the same situation.
type HeldError struct {
	Name string // the lock's name, as its taker was given it
	PID  int    // the holder's process ID; 0 when it could not be read
	// Message words the error for a taker whose lock names no program;
	// nil: "the NAME is already running (pid PID)".
	Message func(name string, pid int) string
}

func (e *HeldError) Error() string {
	switch {
	case e.Message != nil:
		return e.Message(e.Name, e.PID)
	case e.PID <= 0:
		return fmt.Sprintf("the %s is already running", e.Name)
	}
	return fmt.Sprintf("the %s is already running (pid %d)", e.Name, e.PID)
}

// Is makes a HeldError match ErrTimeout, which it stands for.
func (e *HeldError) Is(target error) bool { return target == ErrTimeout }
