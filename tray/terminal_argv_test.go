package tray

import (
	"slices"
	"testing"

	"github.com/awstray/awstray/desktop/terminal"
)

// Open terminal on Windows names the shell for exec: Windows sets no
// $SHELL, and exec's /bin/sh does not exist there.
func TestTerminalArgv(t *testing.T) {
	env := func(k string) string {
		if k == "ComSpec" {
			return `C:\Windows\system32\cmd.exe`
		}
		return ""
	}
	tests := []struct {
		goos   string
		term   terminal.Terminal
		server bool
		want   []string
	}{
		{"windows", terminal.Terminal{Name: "cmd", Path: `C:\Windows\system32\cmd.exe`}, true,
			[]string{`C:\awstray.exe`, "exec", "--server", "dev", "--", `C:\Windows\system32\cmd.exe`}},
		{"windows", terminal.Terminal{Name: "powershell", Path: `C:\ps\powershell.exe`}, false,
			[]string{`C:\awstray.exe`, "exec", "dev", "--", `C:\ps\powershell.exe`, "-NoLogo"}},
		{"linux", terminal.Terminal{Name: "xterm", Path: "/usr/bin/xterm"}, true,
			[]string{`C:\awstray.exe`, "exec", "--server", "dev"}},
	}
	for _, tt := range tests {
		t.Run(tt.goos+"/"+tt.term.Name, func(t *testing.T) {
			if got := terminalArgv(tt.goos, `C:\awstray.exe`, tt.term, env, "dev", tt.server); !slices.Equal(got, tt.want) {
				t.Errorf("terminalArgv = %q, want %q", got, tt.want)
			}
		})
	}
}
