// Package dialog asks the person at the screen: MFA codes, the file
// keyring's passphrase, the Add profile dialog, yes/no questions (Prompter),
// through a dialog program run as a child — zenity, kdialog, osascript,
// powershell.exe, ykman for codes — or Win32 dialogs in the process on
// Windows. What a person types reaches awstray only through the program's
// standard output (or the in-process dialog), never its arguments,
// environment or a file.
package dialog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/desktop/internal/procio"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/internal/proc"
	"github.com/awstray/awstray/launcher"
)

// The dialog tools a Prompter can use.
const (
	ToolAuto       = "auto"       // by OS: zenity or kdialog, osascript, Win32 dialogs in the process
	ToolZenity     = "zenity"     // GTK dialogs (Linux, BSD)
	ToolKdialog    = "kdialog"    // KDE dialogs
	ToolOsascript  = "osascript"  // AppleScript's display dialog (macOS)
	ToolPowershell = "powershell" // a Windows Forms box from powershell.exe
	ToolYkman      = "ykman"      // MFA codes from a YubiKey; other dialogs as ToolAuto
)

// Tools lists the values of Prompter.Tool, the default first.
var Tools = []string{ToolAuto, ToolZenity, ToolKdialog, ToolOsascript, ToolPowershell, ToolYkman}

// DefaultTimeout is how long a dialog waits for a person when the
// Prompter sets no Timeout.
const DefaultTimeout = 5 * time.Minute

// ErrCancelled means the person cancelled a dialog (Cancel, Escape, closing
// the window).
var ErrCancelled = errors.New("cancelled")

// ErrNoTool means no program that can show a dialog was found.
var ErrNoTool = errors.New("no dialog program found")

// Prompter asks the person at the screen through a dialog program run as a
// child process — zenity, kdialog, osascript or powershell.exe — so the
// process that asks needs no UI library. A zero Prompter is ready to use.
//
// What the person types reaches this process only through the dialog
// program's standard output: never its arguments, environment or a file.
// Titles and texts are passed as single arguments (no shell), to AppleScript
// through the run handler's argv and to PowerShell through environment
// variables, never pasted into a script.
//
// Methods may be called from several goroutines; each dialog is its own
// process.
type Prompter struct {
	// Tool is one of Tools; "" means ToolAuto.
	Tool string
	// YkmanAccount is the OATH account whose code `ykman oath accounts code
	// --single` prints when Tool is ToolYkman; "" means the MFA serial.
	YkmanAccount string
	// Timeout bounds each dialog (and each ykman run); 0 means
	// DefaultTimeout.
	Timeout time.Duration

	// For tests; nil means the real ones.
	getenv   func(string) string
	lookPath func(string) (string, error)
	goos     string
}

// AddProfileInput is what the Add profile dialogs collected.
type AddProfileInput struct {
	Name            string
	AccessKeyID     string
	SecretAccessKey credentials.Secret
	MFASerial       string // "" when none
	Region          string // "" when none
}

// request is one dialog.
type request struct {
	kind    dialogKind
	title   string
	text    string
	initial string // entry only
}

type dialogKind int

const (
	kindEntry    dialogKind = iota // one line of visible text
	kindSecret                     // one line, hidden
	kindQuestion                   // yes / no
	kindInfo
	kindError
)

// invocation is how a tool shows one dialog: its arguments (argv[0] is the
// tool's name, replaced by its path) and extra environment entries.
type invocation struct {
	argv []string
	env  []string
}

// dialogTool builds the invocation of one dialog and reads its end.
type dialogTool interface {
	name() string
	build(r request) invocation
	// outcome sorts an exit status other than 0 into ErrCancelled or an
	// error; stderr is the tool's (never holds what was typed).
	outcome(code int, stderr string) error
}

func (p *Prompter) env(name string) string {
	if p.getenv != nil {
		return p.getenv(name)
	}
	return os.Getenv(name)
}

func (p *Prompter) look(file string) (string, error) {
	if p.lookPath != nil {
		return p.lookPath(file)
	}
	return exec.LookPath(file)
}

func (p *Prompter) os() string {
	if p.goos != "" {
		return p.goos
	}
	return runtime.GOOS
}

func (p *Prompter) timeout() time.Duration {
	if p.Timeout > 0 {
		return p.Timeout
	}
	return DefaultTimeout
}

// markedTool is a dialog tool whose output proves the dialog ran: a
// program that exits without showing it is told from a person who left the
// answer empty.
type markedTool interface {
	// answer is out less the proof, or errDialogDidNotRun.
	answer(out string) (string, error)
}

// toolByName is the dialog tool of a name from Tools (not auto or ykman).
func toolByName(name string) dialogTool {
	switch name {
	case ToolZenity:
		return zenity{}
	case ToolKdialog:
		return kdialog{}
	case ToolOsascript:
		return osascript{}
	case ToolPowershell:
		return powershell{}
	}
	return nil
}

// ToolsFor are the dialog tools to try, in order, for the dialogs
// setting tool on goos: a tool named is tried alone; auto (or "", or
// ykman, whose other dialogs are auto's) tries the OS's: osascript on
// macOS, powershell on Windows, else zenity then kdialog — kdialog first
// on KDE (XDG_CURRENT_DESKTOP, read with getenv). The Prompter and
// `awstray doctor` both pick with it.
func ToolsFor(tool, goos string, getenv func(string) string) []string {
	switch tool {
	case "", ToolAuto, ToolYkman:
	default:
		return []string{tool}
	}
	switch goos {
	case "darwin":
		return []string{ToolOsascript}
	case "windows":
		return []string{ToolPowershell}
	}
	if strings.Contains(strings.ToUpper(getenv("XDG_CURRENT_DESKTOP")), "KDE") {
		return []string{ToolKdialog, ToolZenity}
	}
	return []string{ToolZenity, ToolKdialog}
}

// Program is the program a dialog tool runs on goos.
func Program(tool, goos string) string {
	if tool == ToolPowershell && goos == "windows" {
		return "powershell.exe"
	}
	return tool
}

// resolve picks the dialog tool and finds its program.
func (p *Prompter) resolve() (dialogTool, string, error) {
	choice := p.Tool
	switch choice {
	case "", ToolAuto, ToolYkman:
		choice = ToolAuto
	default:
		if toolByName(choice) == nil {
			return nil, "", fmt.Errorf("unknown dialog tool %q (one of %s)", p.Tool, strings.Join(Tools, ", "))
		}
	}
	if choice != ToolAuto {
		path, err := p.look(Program(choice, p.os()))
		if err != nil {
			return nil, "", fmt.Errorf("dialog tool %s: %w", choice, err)
		}
		return toolByName(choice), path, p.checkDisplay(choice)
	}
	cands := ToolsFor(ToolAuto, p.os(), p.env)
	for _, c := range cands {
		if path, err := p.look(Program(c, p.os())); err == nil {
			return toolByName(c), path, p.checkDisplay(c)
		}
	}
	return nil, "", fmt.Errorf("%w: %s", ErrNoTool, installHint(p.os(), cands))
}

func installHint(goos string, tried []string) string {
	switch goos {
	case "darwin":
		return "osascript is missing from PATH (it is part of macOS)"
	case "windows":
		return "powershell.exe is missing from PATH (it is part of Windows)"
	}
	if tried[0] == ToolKdialog {
		return "install kdialog (or zenity)"
	}
	return "install zenity (or kdialog on KDE)"
}

// checkDisplay turns a missing display into a clear error: zenity without
// one exits 1, which would read as Cancel.
func (p *Prompter) checkDisplay(tool string) error {
	if tool != ToolZenity && tool != ToolKdialog {
		return nil
	}
	if p.env("DISPLAY") == "" && p.env("WAYLAND_DISPLAY") == "" {
		return fmt.Errorf("%s cannot show a dialog: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)", tool)
	}
	return nil
}

// nativeDialoger shows dialogs in this process, without a dialog program.
type nativeDialoger interface {
	name() string
	// show returns the answer; cancelling is ErrCancelled.
	show(ctx context.Context, r request) (string, error)
}

// native is the in-process dialogs ToolAuto uses on Windows (see
// nativeDialogs), or nil.
func (p *Prompter) native() nativeDialoger {
	switch p.Tool {
	case "", ToolAuto, ToolYkman:
		if p.os() == "windows" {
			return nativeDialogs
		}
	}
	return nil
}

// show runs one dialog and returns what it printed, less the trailing
// newline. Cancelling is ErrCancelled.
func (p *Prompter) show(ctx context.Context, r request) (string, error) {
	r.title = oneline.String(r.title)
	if r.title == "" {
		r.title = "awstray"
	}
	if n := p.native(); n != nil {
		ctx, cancel := context.WithTimeout(ctx, p.timeout())
		defer cancel()
		answer, err := n.show(ctx, r)
		if err != nil && !errors.Is(err, ErrCancelled) {
			return "", fmt.Errorf("%s dialog: %w", n.name(), err)
		}
		return answer, err
	}
	tool, path, err := p.resolve()
	if err != nil {
		return "", err
	}
	inv := tool.build(r)
	out, code, stderr, err := p.run(ctx, path, inv)
	if err != nil {
		return "", fmt.Errorf("%s dialog: %w", tool.name(), err)
	}
	if code != 0 {
		if err := tool.outcome(code, stderr); err != nil {
			if errors.Is(err, ErrCancelled) {
				return "", ErrCancelled
			}
			return "", fmt.Errorf("%s dialog: %w", tool.name(), err)
		}
	}
	if m, ok := tool.(markedTool); ok {
		if out, err = m.answer(out); err != nil {
			if line := procio.LastLine(stderr); line != "" {
				return "", fmt.Errorf("%s dialog: %w: %s", tool.name(), err, line)
			}
			return "", fmt.Errorf("%s dialog: %w", tool.name(), err)
		}
	}
	return trimNewline(out), nil
}

// maxOutput bounds what a dialog or ykman may print.
const maxOutput = 64 << 10

// run starts path with inv's arguments, waits at most the Prompter's
// timeout, and returns stdout, the exit status and the end of stderr.
func (p *Prompter) run(ctx context.Context, path string, inv invocation) (stdout string, code int, stderr string, err error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout())
	defer cancel()
	// Its own process tree: a wrapper in the tool's place that forks cannot
	// keep the dialog (and the tray's resolution behind it) waiting.
	cmd := proc.Command(ctx, path, inv.argv[1:]...)
	cmd.Args = append([]string{inv.argv[0]}, inv.argv[1:]...)
	cmd.Env = append(dialogEnv(os.Environ()), inv.env...)
	out := limitedBuffer{max: maxOutput}
	errb := procio.Tail{Max: 4096}
	cmd.Stdout, cmd.Stderr = &out, &errb
	dialogProcAttr(cmd.Cmd)
	err = cmd.Run()
	if ctx.Err() != nil {
		return "", -1, errb.String(), ctx.Err()
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return out.String(), ee.ExitCode(), errb.String(), nil
	}
	if err != nil {
		return "", -1, errb.String(), err
	}
	if out.overflow {
		return "", -1, "", errors.New("too much output")
	}
	return out.String(), 0, errb.String(), nil
}

// dialogEnv is this process's environment for a dialog program: without
// credentials, and without the variables that remap zenity's exit statuses.
func dialogEnv(base []string) []string {
	env := make([]string, 0, len(base))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case launcher.IsSecretVar(name), strings.HasPrefix(name, "ZENITY_"), strings.HasPrefix(name, dialogEnvPrefix):
			continue
		}
		env = append(env, kv)
	}
	return env
}

// trimNewline drops one trailing newline (and the \r before it): the rest
// of the line is what was typed, spaces included.
func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// Text asks for one line of visible text; initial fills the field.
func (p *Prompter) Text(ctx context.Context, title, text, initial string) (string, error) {
	return p.show(ctx, request{kind: kindEntry, title: title, text: text, initial: initial})
}

// Secret asks for one line of hidden text.
func (p *Prompter) Secret(ctx context.Context, title, text string) (string, error) {
	return p.show(ctx, request{kind: kindSecret, title: title, text: text})
}

// Passphrase asks for a passphrase (hidden), e.g. the file keyring's; an
// empty answer is returned as it is.
func (p *Prompter) Passphrase(ctx context.Context, title, text string) (string, error) {
	return p.Secret(ctx, title, text)
}

// Confirm asks a yes/no question: true for yes, false for no or a closed
// dialog.
func (p *Prompter) Confirm(ctx context.Context, title, text string) (bool, error) {
	_, err := p.show(ctx, request{kind: kindQuestion, title: title, text: text})
	if errors.Is(err, ErrCancelled) {
		return false, nil
	}
	return err == nil, err
}

// Info shows a message until the person closes it.
func (p *Prompter) Info(ctx context.Context, title, text string) error {
	return p.message(ctx, kindInfo, title, text)
}

// Error shows an error message until the person closes it.
func (p *Prompter) Error(ctx context.Context, title, text string) error {
	return p.message(ctx, kindError, title, text)
}

func (p *Prompter) message(ctx context.Context, kind dialogKind, title, text string) error {
	_, err := p.show(ctx, request{kind: kind, title: title, text: text})
	if errors.Is(err, ErrCancelled) {
		return nil // closing a message is reading it
	}
	return err
}

// The dialogs' patterns are compiled on first use: the CLI, which imports
// this package for exec, never shows a dialog and should not pay for them.
var mfaCode = lazyRegexp(`^[0-9]{6,8}$`)

// MFACode asks for the one-time code of the MFA device serial for profile.
// previousError, when not empty, is why the last code failed (AWS's
// message) and is shown above the question. A malformed entry is asked
// again; spaces in the code are dropped. With Tool ToolYkman the code comes
// from `ykman oath accounts code --single ACCOUNT` and no dialog is shown.
func (p *Prompter) MFACode(ctx context.Context, profile, serial, previousError string) (string, error) {
	if p.Tool == ToolYkman {
		return p.ykmanCode(ctx, serial)
	}
	title := "awstray: MFA code"
	if profile != "" {
		title = "awstray: MFA code for " + profile
	}
	question := "Enter the code your MFA device shows"
	if profile != "" {
		question += " for profile " + profile
	}
	if serial != "" {
		question += "\n(" + serial + ")"
	}
	text := question
	if previousError != "" {
		text = previousError + "\n\n" + question
	}
	for empty := 0; ; {
		answer, err := p.Text(ctx, title, text, "")
		if err != nil {
			return "", err
		}
		code := strings.Join(strings.Fields(answer), "")
		if mfaCode.MatchString(code) {
			return code, nil
		}
		if code == "" {
			// Someone who means to answer types something; a tool that
			// comes back empty at once would otherwise be started for
			// ever while the CLI behind the tray waits.
			if empty++; empty > maxEmptyAnswers {
				return "", fmt.Errorf("no MFA code was entered: the dialog came back empty %d times", empty)
			}
		}
		// Never echo the entry: it may be a password typed by mistake.
		text = "That was not a code: enter the 6 to 8 digits.\n\n" + question
	}
}

// maxEmptyAnswers is how often MFACode asks again after an empty answer.
const maxEmptyAnswers = 2

var (
	profileName = lazyRegexp(`^[^\s\[\]]+$`)
	accessKeyID = lazyRegexp(`^[A-Z0-9]{16,128}$`)
	regionName  = lazyRegexp(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	noSpace     = lazyRegexp(`^\S+$`)
)

// lazyRegexp is a regexp compiled when first matched, not at package init:
// the CLI links this package (`awstray tray`, `login`), so a package-level
// MustCompile would run at the start of every `awstray exec` too.
type lazyRegexp string

var compiled sync.Map // lazyRegexp → *regexp.Regexp

// MatchString reports whether s matches.
func (l lazyRegexp) MatchString(s string) bool {
	if re, ok := compiled.Load(l); ok {
		return re.(*regexp.Regexp).MatchString(s)
	}
	re := regexp.MustCompile(string(l))
	compiled.Store(l, re)
	return re.MatchString(s)
}

// AddProfile asks, one dialog after another, for a new profile's name,
// access key ID, secret access key (hidden), MFA device ARN (optional) and
// region (optional). A malformed answer is asked again; cancelling any
// dialog is ErrCancelled.
func (p *Prompter) AddProfile(ctx context.Context) (AddProfileInput, error) {
	var in AddProfileInput
	var secret string // wrapped once asked, below
	const title = "awstray: add profile"
	steps := []struct {
		dst      *string
		text     string
		hidden   bool
		optional bool
		valid    lazyRegexp
		bad      string
	}{
		{&in.Name, "Profile name (as in ~/.aws/config)", false, false, profileName, "A profile name has no spaces or brackets."},
		{&in.AccessKeyID, "Access key ID (AKIA…)", false, false, accessKeyID, "An access key ID is 16 or more capital letters and digits."},
		{&secret, "Secret access key", true, false, noSpace, "A secret access key has no spaces."},
		{&in.MFASerial, "MFA device ARN (arn:aws:iam::ACCOUNT:mfa/NAME)\nLeave empty for none.", false, true, noSpace, "An MFA device ARN has no spaces."},
		{&in.Region, "Region (e.g. eu-west-1)\nLeave empty for none.", false, true, regionName, "A region looks like eu-west-1."},
	}
	for _, s := range steps {
		t := title
		if in.Name != "" {
			t = title + " " + in.Name
		}
		text := s.text
		for {
			var answer string
			var err error
			if s.hidden {
				answer, err = p.Secret(ctx, t, text)
			} else {
				answer, err = p.Text(ctx, t, text, "")
			}
			if err != nil {
				return AddProfileInput{}, err
			}
			answer = strings.TrimSpace(answer)
			if (answer == "" && s.optional) || (answer != "" && s.valid.MatchString(answer)) {
				*s.dst = answer
				break
			}
			text = s.bad + "\n\n" + s.text
		}
	}
	in.SecretAccessKey = credentials.NewSecret(secret)
	return in, nil
}

// limitedBuffer keeps the first max bytes written.
type limitedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.buf.Len(); len(p) > room {
		b.overflow = true
		b.buf.Write(p[:max(room, 0)])
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *limitedBuffer) String() string { return b.buf.String() }
