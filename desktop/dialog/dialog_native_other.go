//go:build !windows

package dialog

// nativeDialogs is nil where ToolAuto runs a dialog program (zenity,
// kdialog, osascript).
var nativeDialogs nativeDialoger
