package launcher

import "os"

// Replace runs argv as a child on Windows, which has no execve, and exits
// with its status.
func Replace(argv []string, env []string) error {
	code, err := Run(argv, env)
	if err != nil {
		return err
	}
	os.Exit(code)
	return nil
}
