package launcher

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
)

// Run starts argv with env as a child, forwards the signals this process
// gets to it, waits, and returns the child's exit status.
func Run(argv []string, env []string) (int, error) {
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return 127, fmt.Errorf("running %s: %w", argv[0], err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args = argv
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, forwardedSignals...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 126, fmt.Errorf("running %s: %w", argv[0], err)
	}
	done := make(chan struct{})
	go func() {
		for {
			select {
			case s := <-sigs:
				_ = cmd.Process.Signal(s)
			case <-done:
				return
			}
		}
	}()
	err = cmd.Wait()
	close(done)
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCode(ee), nil
	}
	if err != nil {
		return 1, fmt.Errorf("running %s: %w", argv[0], err)
	}
	return 0, nil
}
