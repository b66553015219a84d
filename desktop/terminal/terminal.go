// Package terminal finds a terminal emulator per OS (Find) and opens it
// on a command (Terminal.Open), detached from the tray and with no secret
// in its environment; Shell is the shell `awstray exec` runs in it on
// Windows.
package terminal

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/awstray/awstray/desktop/internal/procio"
	"github.com/awstray/awstray/desktop/internal/spawn"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/launcher"
)

// ErrNoTerminal means no terminal emulator was found.
var ErrNoTerminal = errors.New("no terminal emulator found")

// Terminal is a terminal emulator that can run a command in a new window.
//
// The tray opens a terminal on `awstray exec PROFILE`: the terminal runs
// awstray, and awstray — not the emulator — gets the credentials (from the
// tray's agent) and puts them in the environment of the shell it starts.
// So no AWS secret is ever in the emulator's arguments or environment,
// where other processes of the user (ps, /proc/PID/environ) and crash
// reporters could read them. Open removes the variables that carry secrets
// from the environment it is given, in case a caller passes its own.
type Terminal struct {
	// Name is the emulator: "xterm", "gnome-terminal", "Terminal.app",
	// "wt", … or the file name of an unknown one.
	Name string
	// Path is the program Open starts: the emulator, or osascript for
	// Terminal.app and iTerm2.
	Path string
	// Title is the window title Open asks for; "" means "awstray". Not
	// every emulator takes one (wezterm does not).
	Title string

	kind *termKind
}

// termKind is what Open needs to know of one emulator.
type termKind struct {
	name  string
	files []string // program names to look for, in order
	// build returns the emulator's argv (argv[0] = path) that runs cmd in a
	// window titled title.
	build func(path, title string, cmd []string) (launch, error)
}

// launch is how Open starts an emulator.
type launch struct {
	argv []string
	// cmdLine is, on Windows, the exact command line to pass, for programs
	// (cmd.exe) that do not split their command line the usual way.
	cmdLine string
	// newConsole gives the program a console window of its own (Windows).
	newConsole bool
}

func xtermStyle(flagTitle, flagExec string) func(path, title string, cmd []string) (launch, error) {
	return func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, flagTitle, title, flagExec}, cmd...)}, nil
	}
}

// linuxTerminals are tried in this order when no terminal is set.
var linuxTerminals = []*termKind{
	{name: "gnome-terminal", files: []string{"gnome-terminal"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, "--title=" + title, "--"}, cmd...)}, nil
	}},
	{name: "konsole", files: []string{"konsole"}, build: func(path, title string, cmd []string) (launch, error) {
		// -p takes "property=value;…": a ";" would end the title. --separate
		// makes a process of its own, with the environment Open gives.
		title = strings.ReplaceAll(title, ";", ",")
		return launch{argv: append([]string{path, "--separate", "-p", "tabtitle=" + title, "-e"}, cmd...)}, nil
	}},
	{name: "xfce4-terminal", files: []string{"xfce4-terminal"}, build: func(path, title string, cmd []string) (launch, error) {
		// --disable-server: a process of its own, with Open's environment.
		return launch{argv: append([]string{path, "--disable-server", "-T", title, "-x"}, cmd...)}, nil
	}},
	{name: "kitty", files: []string{"kitty"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, "--title", title}, cmd...)}, nil
	}},
	{name: "alacritty", files: []string{"alacritty"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, "--title", title, "-e"}, cmd...)}, nil
	}},
	{name: "wezterm", files: []string{"wezterm"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, "start", "--"}, cmd...)}, nil
	}},
	{name: "foot", files: []string{"foot"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: append([]string{path, "--title=" + title, "--"}, cmd...)}, nil
	}},
	{name: "tilix", files: []string{"tilix"}, build: func(path, title string, cmd []string) (launch, error) {
		// -e takes one string that tilix splits as a shell would.
		return launch{argv: []string{path, "-t", title, "-e", shellJoin(cmd)}}, nil
	}},
	{name: "xterm", files: []string{"xterm"}, build: xtermStyle("-T", "-e")},
	{name: "terminator", files: []string{"terminator"}, build: xtermStyle("-T", "-x")},
	{name: "urxvt", files: []string{"urxvt", "rxvt-unicode"}, build: xtermStyle("-title", "-e")},
	{name: "st", files: []string{"st"}, build: xtermStyle("-t", "-e")},
}

// debianAlternative is x-terminal-emulator, which Debian's policy requires
// to take xterm's -T TITLE and -e COMMAND ARGS….
var debianAlternative = &termKind{name: "x-terminal-emulator", files: []string{"x-terminal-emulator"}, build: xtermStyle("-T", "-e")}

// genericTerminal is an emulator awstray does not know: -e is the most
// common way to pass a command; no title.
var genericTerminal = func(path, title string, cmd []string) (launch, error) {
	return launch{argv: append([]string{path, "-e"}, cmd...)}, nil
}

// macOS: the apps are driven with AppleScript through osascript; the
// command reaches the script as the run handler's argv, shell-quoted
// because the apps take a command line. They start the command from their
// own environment, not from Open's.
var (
	macTerminal = &termKind{name: "Terminal.app", files: []string{"osascript"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: []string{path,
			"-e", "on run argv",
			"-e", `tell application "Terminal"`,
			"-e", "activate",
			"-e", "set t to do script (item 2 of argv)",
			"-e", "set custom title of t to (item 3 of argv)",
			"-e", "end tell",
			"-e", "end run",
			"awstray", "exec " + shellJoin(cmd), title}}, nil
	}}
	macITerm = &termKind{name: "iTerm2", files: []string{"osascript"}, build: func(path, title string, cmd []string) (launch, error) {
		return launch{argv: []string{path,
			"-e", "on run argv",
			"-e", `tell application "iTerm"`,
			"-e", "activate",
			"-e", "set w to (create window with default profile command (item 2 of argv))",
			"-e", "tell current session of w to set name to (item 3 of argv)",
			"-e", "end tell",
			"-e", "end run",
			"awstray", shellJoin(cmd), title}}, nil
	}}
)

// Windows, tried in this order.
var windowsTerminals = []*termKind{
	{name: "wt", files: []string{"wt.exe"}, build: func(path, title string, cmd []string) (launch, error) {
		// wt splits its command line into subcommands at ";": escape it.
		args := make([]string, len(cmd))
		for i, a := range cmd {
			args[i] = strings.ReplaceAll(a, ";", `\;`)
		}
		return launch{argv: append([]string{path, "new-tab", "--title", title, "--suppressApplicationTitle", "--"}, args...)}, nil
	}},
	{name: "powershell", files: []string{"powershell.exe", "pwsh.exe"}, build: func(path, title string, cmd []string) (launch, error) {
		// The script goes encoded, so the command line needs no quoting;
		// inside it every value is a single-quoted PowerShell string.
		var b strings.Builder
		b.WriteString("$Host.UI.RawUI.WindowTitle = " + psQuote(title) + "\n& ")
		for i, a := range cmd {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(psQuote(a))
		}
		b.WriteString("\nexit $LASTEXITCODE\n")
		return launch{argv: []string{path, "-NoLogo", "-NoProfile", "-ExecutionPolicy", "Bypass", "-EncodedCommand", procio.EncodePowerShell(b.String())}, newConsole: true}, nil
	}},
	{name: "cmd", files: []string{"cmd.exe"}, build: func(path, title string, cmd []string) (launch, error) {
		// cmd.exe reads its command line itself: each argument goes in
		// double quotes, where only % (and ! with delayed expansion, off
		// here) still expand; those and quotes cannot be passed safely.
		var b strings.Builder
		b.WriteString("title " + cmdTitle(title) + "&")
		for i, a := range cmd {
			if strings.ContainsAny(a, "\"%!\r\n") {
				return launch{}, fmt.Errorf("cmd.exe cannot run the argument %q safely: use Windows Terminal or PowerShell", a)
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(`"` + a + `"`)
		}
		return launch{
			argv:       []string{path, "/d", "/v:off", "/c", b.String()},
			cmdLine:    `"` + path + `" /d /v:off /c ` + b.String(),
			newConsole: true,
		}, nil
	}},
}

// psQuote is a verbatim single-quoted PowerShell string (it treats the
// typographic quotes as quotes too).
func psQuote(s string) string {
	return "'" + strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019", "\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b").Replace(s) + "'"
}

// cmdTitle keeps what cmd.exe's title command shows as it is.
func cmdTitle(s string) string {
	return strings.Map(func(r rune) rune {
		if strings.ContainsRune("&|<>^\"%!()", r) {
			return '_'
		}
		return r
	}, s)
}

// shellJoin quotes argv as one POSIX shell command line.
func shellJoin(argv []string) string {
	q := make([]string, len(argv))
	for i, a := range argv {
		q[i] = launcher.QuotePOSIX(a)
		if a == "" {
			q[i] = "''"
		}
	}
	return strings.Join(q, " ")
}

// allKinds are the emulators a setting can name, by name and by program.
func allKinds() []*termKind {
	kinds := append([]*termKind{debianAlternative, macTerminal, macITerm}, linuxTerminals...)
	return append(kinds, windowsTerminals...)
}

// kindNamed is the emulator with that name or program name ("xterm",
// "wt.exe", "Terminal.app", "iterm"), or nil.
func kindNamed(name string) *termKind {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".exe")
	switch n {
	case "terminal", "terminal.app":
		return macTerminal
	case "iterm", "iterm2", "iterm.app", "iterm2.app":
		return macITerm
	case "windows-terminal", "windowsterminal":
		return windowsTerminals[0]
	case "pwsh":
		return windowsTerminals[1]
	case "rxvt-unicode":
		n = "urxvt"
	}
	for _, k := range allKinds() {
		if strings.ToLower(k.name) == n {
			return k
		}
	}
	return nil
}

// Find picks the terminal emulator. setting (from the settings
// file: a name such as "kitty" or a program's path) wins when it is not
// empty; else, on Linux and the BSDs, $TERMINAL, Debian's
// x-terminal-emulator, then gnome-terminal, konsole, xfce4-terminal,
// kitty, alacritty, wezterm, foot, tilix, xterm (and terminator, urxvt,
// st); on macOS Terminal.app (setting "iTerm2" picks iTerm2); on Windows
// Windows Terminal, PowerShell, cmd. nil getenv and lookPath mean
// os.Getenv and exec.LookPath.
func Find(setting string, getenv func(string) string, lookPath func(string) (string, error)) (Terminal, error) {
	return findTerminal(runtime.GOOS, setting, getenv, lookPath)
}

func findTerminal(goos, setting string, getenv func(string) string, lookPath func(string) (string, error)) (Terminal, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if lookPath == nil {
		lookPath = exec.LookPath
	}
	if setting != "" {
		t, err := named(setting, lookPath)
		if err != nil {
			return Terminal{}, fmt.Errorf("terminal %q: %w", setting, err)
		}
		return t, nil
	}
	var kinds []*termKind
	switch goos {
	case "darwin":
		kinds = []*termKind{macTerminal}
	case "windows":
		kinds = windowsTerminals
	default:
		if env := getenv("TERMINAL"); env != "" {
			if t, err := named(env, lookPath); err == nil {
				return t, nil
			}
		}
		if path, err := lookPath("x-terminal-emulator"); err == nil {
			return alternative(path), nil
		}
		kinds = linuxTerminals
	}
	for _, k := range kinds {
		for _, f := range k.files {
			if path, err := lookPath(f); err == nil {
				return Terminal{Name: k.name, Path: path, kind: k}, nil
			}
		}
	}
	if goos == "darwin" {
		return Terminal{}, fmt.Errorf("%w: osascript is missing from PATH", ErrNoTerminal)
	}
	if goos == "windows" {
		return Terminal{}, fmt.Errorf("%w: neither wt.exe, powershell.exe nor cmd.exe is on PATH", ErrNoTerminal)
	}
	return Terminal{}, fmt.Errorf("%w: install one (xterm, gnome-terminal, konsole, …) or set the terminal setting", ErrNoTerminal)
}

// named finds the terminal a setting or $TERMINAL names.
func named(setting string, lookPath func(string) (string, error)) (Terminal, error) {
	base := filepath.Base(strings.ReplaceAll(setting, `\`, "/"))
	k := kindNamed(base)
	if k == macTerminal || k == macITerm {
		path, err := lookPath("osascript")
		if err != nil {
			return Terminal{}, err
		}
		return Terminal{Name: k.name, Path: path, kind: k}, nil
	}
	path, err := lookPath(setting)
	if err != nil {
		return Terminal{}, err
	}
	if k == debianAlternative {
		return alternative(path), nil
	}
	if k == nil {
		return Terminal{Name: base, Path: path, kind: &termKind{name: base, build: genericTerminal}}, nil
	}
	return Terminal{Name: k.name, Path: path, kind: k}, nil
}

// alternative is the emulator x-terminal-emulator points to when awstray
// knows it (its own flags are surer than the xterm ones every emulator is
// meant to take there), else x-terminal-emulator with xterm's flags (the
// *.wrapper scripts Debian puts there take those).
func alternative(path string) Terminal {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		if k := kindNamed(filepath.Base(real)); k != nil && k != debianAlternative {
			return Terminal{Name: k.name, Path: real, kind: k}
		}
	}
	return Terminal{Name: debianAlternative.name, Path: path, kind: debianAlternative}
}

// Command is the argv Open starts to run cmd in the terminal: the
// emulator's own flags, the title, then cmd.
func (t Terminal) Command(cmd []string) ([]string, error) {
	l, err := t.launch(cmd)
	return l.argv, err
}

func (t Terminal) launch(cmd []string) (launch, error) {
	if len(cmd) == 0 {
		return launch{}, errors.New("no command to run in the terminal")
	}
	if t.kind == nil || t.Path == "" {
		return launch{}, errors.New("terminal not set up: use Find")
	}
	title := oneline.String(t.Title)
	if title == "" {
		title = "awstray"
	}
	return t.kind.build(t.Path, title, cmd)
}

// Open starts the terminal running cmd and returns without waiting: the
// emulator gets a session and process group of its own (a new console on
// Windows), standard input and output on the null device, and is reaped
// when it exits. env is its whole environment (nil: this process's), less
// the variables that carry secrets (AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, …) and the AWSTRAY marker, which would make
// `awstray exec` refuse to run. It returns the emulator's process ID (of
// osascript for Terminal.app and iTerm2, of the launcher for wt.exe). ctx
// only stops a start that has not happened yet.
func (t Terminal) Open(ctx context.Context, cmd []string, env []string) (pid int, err error) {
	l, err := t.launch(cmd)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("opening %s: %w", t.Name, err)
	}
	if env == nil {
		env = os.Environ()
	}
	c := exec.Command(l.argv[0], l.argv[1:]...)
	c.Env = spawn.Env(env)
	detach(c, l)
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("opening %s: %w", t.Name, err)
	}
	go func() { _ = c.Wait() }()
	return c.Process.Pid, nil
}
