//go:build !windows

package launcher

// nativeDialogs is nil where ToolAuto runs a dialog program (zenity,
// kdialog, osascript).
var nativeDialogs nativeDialoger
