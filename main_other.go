//go:build !windows

package main

// leaveOwnConsole matters on Windows only (main_windows.go).
func leaveOwnConsole([]string) {}
