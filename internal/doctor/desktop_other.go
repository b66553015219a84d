//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package doctor

import "context"

// On macOS and Windows the tray, notifications and clipboard are the
// system's own: nothing to install.

func checkTray(context.Context, Env) Result {
	return Result{Status: OK, Detail: "the system's menu bar or notification area"}
}

func checkNotify(context.Context, Env) Result {
	return Result{Status: OK, Detail: "the system's notifications"}
}

func checkClipboard(Env) Result {
	return Result{Status: OK, Detail: "the system clipboard"}
}
