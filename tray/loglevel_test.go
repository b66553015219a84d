package tray

import (
	"log/slog"
	"testing"
)

func TestLogLevel(t *testing.T) {
	for v, want := range map[string]slog.Level{
		"": slog.LevelInfo, "debug": slog.LevelDebug, "DEBUG": slog.LevelDebug, "info": slog.LevelInfo,
		"warn": slog.LevelWarn, "error": slog.LevelError, "loud": slog.LevelInfo,
	} {
		if got := LogLevel(func(string) string { return v }); got != want {
			t.Errorf("AWSTRAY_LOG=%q: %v, want %v", v, got, want)
		}
	}
}
