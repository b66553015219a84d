package importer

import (
	"os"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// TestMain runs the tests on a private D-Bus session bus with GNOME Keyring
// (the keyring package dials the bus in init(), so it must exist before the
// test binary starts).
func TestMain(m *testing.M) { os.Exit(testenv.ReexecWithSecretService(m)) }
