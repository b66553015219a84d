package terminal

import (
	"errors"
	"slices"
	"testing"
)

func TestTerminalShell(t *testing.T) {
	env := map[string]string{"ComSpec": `C:\Windows\system32\cmd.exe`}
	withPS := func(string) (string, error) { return `C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, nil }
	noPS := func(string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name   string
		goos   string
		term   Terminal
		env    map[string]string
		lookup func(string) (string, error)
		want   []string
	}{
		{"unix runs $SHELL", "linux", Terminal{Name: "xterm", Path: "/usr/bin/xterm"}, env, withPS, nil},
		{"macOS runs $SHELL", "darwin", Terminal{Name: "Terminal.app"}, env, withPS, nil},
		{"cmd", "windows", Terminal{Name: "cmd", Path: `C:\Windows\system32\cmd.exe`}, env, withPS, []string{`C:\Windows\system32\cmd.exe`}},
		{"powershell", "windows", Terminal{Name: "powershell", Path: `C:\p\pwsh.exe`}, env, noPS, []string{`C:\p\pwsh.exe`, "-NoLogo"}},
		{"windows terminal", "windows", Terminal{Name: "wt", Path: `C:\wt.exe`}, env, withPS, []string{`C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe`, "-NoLogo"}},
		{"windows terminal without powershell", "windows", Terminal{Name: "wt", Path: `C:\wt.exe`}, env, noPS, []string{`C:\Windows\system32\cmd.exe`}},
		{"no ComSpec", "windows", Terminal{Name: "cmd", Path: `C:\cmd.exe`}, map[string]string{}, noPS, []string{"cmd.exe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Shell(tt.goos, tt.term, func(k string) string { return tt.env[k] }, tt.lookup)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Shell = %q, want %q", got, tt.want)
			}
		})
	}
}
