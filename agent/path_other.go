//go:build !unix && !windows

package agent

func checkOverride(string) error { return nil }

func defaultPath(func(string) string) (string, error) { return "", errUnsupported }
