package proc

import (
	"sync"

	"golang.org/x/sys/windows"
)

// tree: on Windows the helper is put in a job object right after it
// starts, and Cancel terminates the job, which holds every process the
// helper started since. A process the helper started in the moment
// between its creation and the assignment escapes the job (os/exec cannot
// start a process suspended and resume it); WaitDelay then still bounds
// Wait. Without a job (the assignment failed) only the helper is killed.
type tree struct {
	mu  sync.Mutex     // protects job: set after Start, read by os/exec's Cancel goroutine
	job windows.Handle // 0 when there is none
}

func (c *Cmd) prepare() {}

func (c *Cmd) started() {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, uint32(c.Process.Pid))
	if err != nil {
		_ = windows.CloseHandle(job)
		return
	}
	defer windows.CloseHandle(h)
	if err := windows.AssignProcessToJobObject(job, h); err != nil {
		_ = windows.CloseHandle(job)
		return
	}
	c.tree.mu.Lock()
	c.tree.job = job
	c.tree.mu.Unlock()
}

// release closes the job; without JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE that
// ends nothing, as on Unix a helper's leftovers are not killed after a
// normal exit.
func (c *Cmd) release() {
	c.tree.mu.Lock()
	defer c.tree.mu.Unlock()
	if c.tree.job != 0 {
		_ = windows.CloseHandle(c.tree.job)
		c.tree.job = 0
	}
}

func (c *Cmd) kill() error {
	c.tree.mu.Lock()
	defer c.tree.mu.Unlock()
	if c.tree.job != 0 && windows.TerminateJobObject(c.tree.job, 1) == nil {
		return nil
	}
	return c.Process.Kill()
}
