package agent

import (
	"errors"
	"fmt"
	"os/user"
	"strings"
)

const pipePrefix = `\\.\pipe\`

func checkOverride(p string) error {
	if !strings.HasPrefix(strings.ToLower(p), pipePrefix) || len(p) == len(pipePrefix) {
		return errors.New(`the agent's path must be a named pipe, \\.\pipe\NAME`)
	}
	return nil
}

func defaultPath(func(string) string) (string, error) {
	u, err := user.Current()
	if err != nil {
		return "", fmt.Errorf("finding the current user for the agent's pipe: %w", err)
	}
	name := u.Username // DOMAIN\user; a pipe name may not hold a backslash
	if i := strings.LastIndexByte(name, '\\'); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		return "", errors.New("the current user has no name for the agent's pipe")
	}
	return pipePrefix + "awstray-" + name, nil
}
