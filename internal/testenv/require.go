// Package testenv starts the real components that integration tests run
// against (moto_server, a private D-Bus session bus, GNOME Keyring, pass,
// Xvfb, a tmpfs) and decides what happens when one is missing: a skip on a
// developer's machine, a failure in CI. It also holds the peers a desktop
// session puts on that bus (a notification server that records, a panel's
// StatusNotifierWatcher, logind) and the clients that read the tray as a
// panel does. Test doubles of the network and the keyring (the SSO and
// federation fakes, the proxies in front of moto, the fault keyring) live
// in internal/testfake.
package testenv

import (
	"os"
	"testing"

	_ "github.com/awstray/awstray/internal/busenv" // test binaries too: no dbus-daemon autolaunched when there is no bus
)

// Required reports whether a missing component must fail the test run:
// CI sets CI=true and AWSTRAY_REQUIRE_INTEGRATION=1.
func Required() bool {
	return os.Getenv("AWSTRAY_REQUIRE_INTEGRATION") == "1" || os.Getenv("CI") == "true"
}

// Missing stops the test because a component is not available: it fails
// in CI and skips elsewhere, so no CI run passes by skipping.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if Required() {
		t.Fatalf("integration component missing (required in CI): "+format, args...)
	}
	t.Skipf("integration component missing: "+format, args...)
}
