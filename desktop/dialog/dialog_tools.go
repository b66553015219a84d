package dialog

import (
	"errors"
	"fmt"
	"strings"

	"github.com/awstray/awstray/desktop/internal/procio"
)

// dialogWidth is the width of zenity's dialogs, in pixels: wide enough for
// an AWS error message on few lines.
const dialogWidth = "420"

// zenity runs GTK dialogs. Every value goes in its own --name=value
// argument, so nothing in it reads as an option.
type zenity struct{}

func (zenity) name() string { return ToolZenity }

func (zenity) build(r request) invocation {
	argv := []string{"zenity"}
	switch r.kind {
	case kindEntry, kindSecret:
		argv = append(argv, "--entry", "--title="+r.title, "--text="+zenityEntryText(r.text))
		if r.initial != "" {
			argv = append(argv, "--entry-text="+r.initial)
		}
		if r.kind == kindSecret {
			argv = append(argv, "--hide-text")
		}
	case kindQuestion:
		argv = append(argv, "--question", "--title="+r.title, "--text="+r.text, "--no-markup")
	case kindInfo:
		argv = append(argv, "--info", "--title="+r.title, "--text="+r.text, "--no-markup")
	case kindError:
		argv = append(argv, "--error", "--title="+r.title, "--text="+r.text, "--no-markup")
	}
	return invocation{argv: append(argv, "--width="+dialogWidth)}
}

// zenityEntryText escapes the text of an entry dialog, which zenity shows
// with mnemonics (an underscore underlines the next letter) after expanding
// C escapes (\n, \\): both are doubled so the text shows as it is.
func zenityEntryText(s string) string {
	return strings.NewReplacer(`\`, `\\`, "_", "__").Replace(s)
}

func (zenity) outcome(code int, stderr string) error {
	switch {
	case code == 1 && strings.Contains(stderr, "cannot open display"):
		return fmt.Errorf("cannot open the display: %s", procio.LastLine(stderr))
	case code == 1:
		return ErrCancelled
	case code == 5:
		return errors.New("timed out")
	}
	return exitError(code, stderr)
}

func exitError(code int, stderr string) error {
	if line := procio.LastLine(stderr); line != "" {
		return fmt.Errorf("exit status %d: %s", code, line)
	}
	return fmt.Errorf("exit status %d", code)
}

// kdialog runs KDE dialogs. kdialog's parser takes the argument after an
// option that has a value whatever it starts with; the initial text of an
// input box is positional, so one that starts with "-" follows "--".
type kdialog struct{}

func (kdialog) name() string { return ToolKdialog }

func (kdialog) build(r request) invocation {
	argv := []string{"kdialog", "--title", r.title}
	switch r.kind {
	case kindEntry:
		argv = append(argv, "--inputbox", r.text)
		if strings.HasPrefix(r.initial, "-") {
			argv = append(argv, "--")
		}
		if r.initial != "" {
			argv = append(argv, r.initial)
		}
	case kindSecret:
		argv = append(argv, "--password", r.text)
	case kindQuestion:
		argv = append(argv, "--yesno", r.text)
	case kindInfo:
		argv = append(argv, "--msgbox", r.text)
	case kindError:
		argv = append(argv, "--error", r.text)
	}
	return invocation{argv: argv}
}

func (kdialog) outcome(code int, stderr string) error {
	if code == 1 {
		return ErrCancelled
	}
	return exitError(code, stderr)
}

// osascript shows AppleScript's display dialog. The script is fixed text;
// the title, text and initial answer reach it as the run handler's argv
// (items 2, 3 and 4: item 1 is a marker that ends osascript's own options,
// so a title starting with "-" is not read as one). Nothing is pasted into
// the script.
type osascript struct{}

func (osascript) name() string { return ToolOsascript }

// osascriptScripts are the scripts per dialog kind, a line each.
var osascriptScripts = map[dialogKind][]string{
	kindEntry: {
		"on run argv",
		"activate",
		`set r to display dialog (item 3 of argv) with title (item 2 of argv) default answer (item 4 of argv) buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" with icon note`,
		"return text returned of r",
		"end run",
	},
	kindSecret: {
		"on run argv",
		"activate",
		`set r to display dialog (item 3 of argv) with title (item 2 of argv) default answer (item 4 of argv) with hidden answer buttons {"Cancel", "OK"} default button "OK" cancel button "Cancel" with icon caution`,
		"return text returned of r",
		"end run",
	},
	kindQuestion: {
		"on run argv",
		"activate",
		`display dialog (item 3 of argv) with title (item 2 of argv) buttons {"No", "Yes"} default button "Yes" cancel button "No" with icon note`,
		`return ""`,
		"end run",
	},
	kindInfo: {
		"on run argv",
		"activate",
		`display dialog (item 3 of argv) with title (item 2 of argv) buttons {"OK"} default button "OK" with icon note`,
		`return ""`,
		"end run",
	},
	kindError: {
		"on run argv",
		"activate",
		`display dialog (item 3 of argv) with title (item 2 of argv) buttons {"OK"} default button "OK" with icon stop`,
		`return ""`,
		"end run",
	},
}

func (osascript) build(r request) invocation {
	argv := []string{"osascript"}
	for _, line := range osascriptScripts[r.kind] {
		argv = append(argv, "-e", line)
	}
	return invocation{argv: append(argv, "awstray", r.title, r.text, r.initial)}
}

func (osascript) outcome(code int, stderr string) error {
	if strings.Contains(stderr, "(-128)") || strings.Contains(stderr, "User canceled") {
		return ErrCancelled
	}
	return exitError(code, stderr)
}

// dialogEnvPrefix starts the environment variables that carry a dialog's
// title, text and initial answer to PowerShell.
const dialogEnvPrefix = "AWSTRAY_DIALOG_"

// powershell shows a Windows Forms dialog from powershell.exe. The script
// is fixed text (sent encoded, so no quoting of the command line matters);
// the title, text and initial answer reach it as environment variables;
// the answer comes back as UTF-8 bytes on stdout, after a marker line that
// only a dialog that ran prints. Exit status 2 is Cancel.
type powershell struct{}

// powershellMarker opens the output of a PowerShell dialog that ran to its
// end. Without it an exit status of 0 proves nothing: Wine's powershell.exe
// is a stub that exits 0 and prints nothing, which would read as an empty
// answer (asked again for ever) or a yes.
const powershellMarker = "awstray-dialog-ran"

// errDialogDidNotRun means the dialog program ended without showing its
// dialog.
var errDialogDidNotRun = errors.New("the dialog did not run (the program exited without showing it)")

func (powershell) name() string { return ToolPowershell }

const powershellScript = `$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Add-Type -AssemblyName System.Windows.Forms
Add-Type -AssemblyName System.Drawing
[System.Windows.Forms.Application]::EnableVisualStyles()
$stdout = [Console]::OpenStandardOutput()
function Finish([int]$code, [string]$answer) {
  $bytes = [System.Text.Encoding]::UTF8.GetBytes('` + powershellMarker + `' + "` + "`n" + `" + $answer)
  $stdout.Write($bytes, 0, $bytes.Length)
  $stdout.Flush()
  exit $code
}
$kind = $env:AWSTRAY_DIALOG_KIND
$title = [string]$env:AWSTRAY_DIALOG_TITLE
$text = ([string]$env:AWSTRAY_DIALOG_TEXT) -replace "\r?\n", "` + "`r`n" + `"
if ($kind -eq 'question') {
  $r = [System.Windows.Forms.MessageBox]::Show($text, $title, [System.Windows.Forms.MessageBoxButtons]::YesNo, [System.Windows.Forms.MessageBoxIcon]::Question)
  if ($r -eq [System.Windows.Forms.DialogResult]::Yes) { Finish 0 '' }
  Finish 2 ''
}
if ($kind -eq 'info' -or $kind -eq 'error') {
  $icon = [System.Windows.Forms.MessageBoxIcon]::Information
  if ($kind -eq 'error') { $icon = [System.Windows.Forms.MessageBoxIcon]::Error }
  [void][System.Windows.Forms.MessageBox]::Show($text, $title, [System.Windows.Forms.MessageBoxButtons]::OK, $icon)
  Finish 0 ''
}
$form = New-Object System.Windows.Forms.Form
$form.Text = $title
$form.FormBorderStyle = [System.Windows.Forms.FormBorderStyle]::FixedDialog
$form.StartPosition = [System.Windows.Forms.FormStartPosition]::CenterScreen
$form.MinimizeBox = $false
$form.MaximizeBox = $false
$form.TopMost = $true
$form.AutoSize = $true
$form.AutoSizeMode = [System.Windows.Forms.AutoSizeMode]::GrowAndShrink
$form.Padding = New-Object System.Windows.Forms.Padding 10
$panel = New-Object System.Windows.Forms.FlowLayoutPanel
$panel.FlowDirection = [System.Windows.Forms.FlowDirection]::TopDown
$panel.AutoSize = $true
$panel.AutoSizeMode = [System.Windows.Forms.AutoSizeMode]::GrowAndShrink
$label = New-Object System.Windows.Forms.Label
$label.Text = $text
$label.UseMnemonic = $false
$label.AutoSize = $true
$label.MaximumSize = New-Object System.Drawing.Size 420, 0
$box = New-Object System.Windows.Forms.TextBox
$box.Width = 420
$box.Text = [string]$env:AWSTRAY_DIALOG_INITIAL
if ($kind -eq 'secret') { $box.UseSystemPasswordChar = $true }
$ok = New-Object System.Windows.Forms.Button
$ok.Text = 'OK'
$ok.DialogResult = [System.Windows.Forms.DialogResult]::OK
$cancel = New-Object System.Windows.Forms.Button
$cancel.Text = 'Cancel'
$cancel.DialogResult = [System.Windows.Forms.DialogResult]::Cancel
$buttons = New-Object System.Windows.Forms.FlowLayoutPanel
$buttons.FlowDirection = [System.Windows.Forms.FlowDirection]::RightToLeft
$buttons.AutoSize = $true
$buttons.Controls.Add($cancel)
$buttons.Controls.Add($ok)
$panel.Controls.Add($label)
$panel.Controls.Add($box)
$panel.Controls.Add($buttons)
$form.Controls.Add($panel)
$form.AcceptButton = $ok
$form.CancelButton = $cancel
$form.Add_Shown({ $form.Activate(); [void]$box.Focus() })
if ($form.ShowDialog() -ne [System.Windows.Forms.DialogResult]::OK) { Finish 2 '' }
Finish 0 $box.Text
`

var powershellKinds = map[dialogKind]string{
	kindEntry: "entry", kindSecret: "secret", kindQuestion: "question", kindInfo: "info", kindError: "error",
}

func (powershell) build(r request) invocation {
	return invocation{
		argv: []string{"powershell", "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-Sta",
			"-EncodedCommand", procio.EncodePowerShell(powershellScript)},
		env: []string{
			dialogEnvPrefix + "KIND=" + powershellKinds[r.kind],
			dialogEnvPrefix + "TITLE=" + r.title,
			dialogEnvPrefix + "TEXT=" + r.text,
			dialogEnvPrefix + "INITIAL=" + r.initial,
		},
	}
}

// answer is what the dialog printed less the marker line; no marker is
// errDialogDidNotRun.
func (powershell) answer(out string) (string, error) {
	rest, ok := strings.CutPrefix(out, powershellMarker+"\n")
	if !ok {
		return "", errDialogDidNotRun
	}
	return rest, nil
}

func (powershell) outcome(code int, stderr string) error {
	if code == 2 {
		return ErrCancelled
	}
	return exitError(code, stderr)
}
