package notify

import (
	"os"
	"testing"
)

// trayChildEnv makes the test binary the tray program of the tray tests
// (see runTrayChild); its value says how the program notifies.
const trayChildEnv = "AWSTRAY_NOTIFY_TRAY_CHILD"

func TestMain(m *testing.M) {
	// systray must run on the main goroutine, so the tray program is this
	// binary started again rather than a goroutine of a test.
	if mode := os.Getenv(trayChildEnv); mode != "" {
		os.Exit(runTrayChild(mode))
	}
	os.Exit(m.Run())
}
