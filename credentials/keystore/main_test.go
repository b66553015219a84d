package keystore

import (
	"os"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// TestMain runs the tests on a private D-Bus session bus with GNOME Keyring
// (the keyring package dials the bus in init(), so it must exist before the
// test binary starts). With writerEnv set, the binary is instead a writer
// that TestFileWriteKilled kills.
func TestMain(m *testing.M) {
	if dir := os.Getenv(writerEnv); dir != "" {
		os.Exit(fileWriter(dir))
	}
	os.Exit(testenv.ReexecWithSecretService(m))
}
