//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package notify

func runTrayChild(string) int { return 2 }
