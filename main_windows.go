package main

// The resources of awstray.exe — the icon, the version information and the
// application manifest (packaging/awstray.exe.manifest) — are in
// rsrc_windows_*.syso, made from packaging/windows/winres.json. After
// changing one of those files, run go generate and commit the .syso files.
//
//go:generate go run github.com/tc-hib/go-winres@v0.3.3 make --in packaging/windows/winres.json --out rsrc --arch amd64,arm64

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	kernel32                  = windows.NewLazySystemDLL("kernel32.dll")
	procGetConsoleProcessList = kernel32.NewProc("GetConsoleProcessList")
	procFreeConsole           = kernel32.NewProc("FreeConsole")
)

// leaveOwnConsole lets go of the console of `awstray tray` when Windows made
// it for this process alone (Explorer, the Run key or a shortcut started a
// console program), so no empty console window stays open beside the tray.
// awstray.exe is one console build for the CLI and the tray: a CLI command
// started from a terminal prints there and the terminal waits for it, which
// a -H=windowsgui build would lose (cmd.exe does not wait for a GUI
// program, and the console it attaches to afterwards is shared with the
// prompt). A tray started from a terminal keeps that terminal's console.
func leaveOwnConsole(args []string) {
	if len(args) == 0 || args[0] != "tray" {
		return
	}
	var pids [2]uint32
	n, _, _ := procGetConsoleProcessList.Call(uintptr(unsafe.Pointer(&pids[0])), uintptr(len(pids)))
	if n != 1 {
		return // no console, or one shared with the terminal that started the tray
	}
	_, _, _ = procFreeConsole.Call()
}
