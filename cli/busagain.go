package cli

import (
	"fmt"
	"os"

	"github.com/awstray/awstray/launcher"
)

// againWithBus starts this command again, as it was given, with --no-agent.
// internal/busenv kept the session bus from the keyring's init because the
// tray was expected to answer; it did not (it does not know the profile, or
// its socket was left by a tray that died), so this process would work on
// its own without the keyring's D-Bus backends. With --no-agent the new
// process keeps the bus from its start, and does not ask the tray again.
func againWithBus() error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("starting again to open the keyring: %w", err)
	}
	argv := append([]string{exe, os.Args[1], "--no-agent"}, os.Args[2:]...)
	return launcher.Replace(argv, os.Environ())
}
