package cli

import "testing"

// TestDefaultShell: exec with no command runs $SHELL, else /bin/sh; on
// Windows, where /bin/sh does not exist, %ComSpec%, else cmd.exe.
func TestDefaultShell(t *testing.T) {
	for _, c := range []struct {
		name, goos string
		env        map[string]string
		want       string
	}{
		{"SHELL wins", "linux", map[string]string{"SHELL": "/bin/zsh"}, "/bin/zsh"},
		{"unix without SHELL", "linux", nil, "/bin/sh"},
		{"windows ComSpec", "windows", map[string]string{"ComSpec": `C:\Windows\system32\cmd.exe`}, `C:\Windows\system32\cmd.exe`},
		{"windows without ComSpec", "windows", nil, "cmd.exe"},
		{"windows with an MSYS SHELL", "windows", map[string]string{"SHELL": "/usr/bin/bash", "ComSpec": "cmd.exe"}, "cmd.exe"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := defaultShell(c.goos, func(k string) string { return c.env[k] }); got != c.want {
				t.Fatalf("defaultShell = %q, want %q", got, c.want)
			}
		})
	}
}
