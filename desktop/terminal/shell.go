package terminal

import (
	"os"
	"os/exec"
)

// Shell is the interactive shell that `awstray exec PROFILE`
// should run in terminal t, which the tray opens on goos. Given no command,
// exec runs $SHELL or /bin/sh: right on Unix, where the result is nil, but
// Windows sets neither. There the shell matches the terminal: PowerShell in
// PowerShell's window and in Windows Terminal (whose default it is) when
// powershell.exe is found, else %ComSpec%, else cmd.exe. nil getenv and
// lookPath mean the real ones.
func Shell(goos string, t Terminal, getenv func(string) string, lookPath func(string) (string, error)) []string {
	if goos != "windows" {
		return nil
	}
	if getenv == nil {
		getenv = os.Getenv
	}
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	switch t.Name {
	case "powershell":
		if t.Path != "" {
			return []string{t.Path, "-NoLogo"}
		}
	case "wt":
		if p, err := lookPath("powershell.exe"); err == nil {
			return []string{p, "-NoLogo"}
		}
	}
	if c := getenv("ComSpec"); c != "" {
		return []string{c}
	}
	return []string{"cmd.exe"}
}
