//go:build linux

package clipboard

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/awstray/awstray/desktop/internal/desktoptest"
)

func TestMain(m *testing.M) {
	if text := os.Getenv(clipChildEnv); text != "" {
		clipChild(text)
	}
	os.Exit(desktoptest.Main(m))
}

// clipChildEnv makes the test binary a stand-in tray that copies the
// variable's value, says "ready" and waits to be killed.
const clipChildEnv = "AWSTRAY_TEST_CLIP_CHILD"

func clipChild(text string) {
	if err := CopySecret(context.Background(), text, 0); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
	fmt.Println("ready")
	time.Sleep(time.Hour)
	os.Exit(0)
}
