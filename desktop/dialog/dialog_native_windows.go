package dialog

import (
	"context"
	"errors"
	"fmt"

	zen "github.com/ncruces/zenity"
)

// nativeDialogs shows ToolAuto's dialogs on Windows: Win32 dialogs made in
// this process by github.com/ncruces/zenity, so no PowerShell starts for an
// MFA code (it takes a second or two to start, policies such as
// Constrained Language Mode stop its Windows Forms script, and Wine's
// powershell.exe is a stub). Its entry dialog shows the text on one line,
// shortened with an ellipsis; the title names the profile.
var nativeDialogs nativeDialoger = win32Dialogs{}

// win32Dialogs shows dialogs with github.com/ncruces/zenity.
type win32Dialogs struct{}

func (win32Dialogs) name() string { return "windows" }

func (win32Dialogs) show(ctx context.Context, r request) (string, error) {
	opts := []zen.Option{zen.Title(r.title), zen.Context(ctx)}
	var out string
	var err error
	switch r.kind {
	case kindEntry:
		out, err = zen.Entry(r.text, append(opts, zen.EntryText(r.initial))...)
	case kindSecret:
		out, err = zen.Entry(r.text, append(opts, zen.HideText())...)
	case kindQuestion:
		err = zen.Question(r.text, append(opts, zen.OKLabel("Yes"), zen.CancelLabel("No"))...)
	case kindInfo:
		err = zen.Info(r.text, opts...)
	case kindError:
		err = zen.Error(r.text, opts...)
	default:
		return "", fmt.Errorf("unknown dialog kind %d", r.kind)
	}
	if errors.Is(err, zen.ErrCanceled) {
		return "", ErrCancelled
	}
	return out, err
}
