//go:build linux

package terminal

import (
	"os"
	"testing"

	"github.com/awstray/awstray/desktop/internal/desktoptest"
)

func TestMain(m *testing.M) { os.Exit(desktoptest.Main(m)) }
