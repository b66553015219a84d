// Package testfake holds test doubles: stand-ins we wrote for services that
// cannot run here (IAM Identity Center's OIDC and portal APIs, the sign-in
// federation endpoint), proxies that count or break the traffic between
// awstray and a real moto_server, and a keyring wrapper that makes faults a
// real backend makes. Nothing here is the real thing; the real components
// (moto_server, D-Bus, GNOME Keyring, pass, Xvfb) start from
// internal/testenv.
package testfake

import (
	_ "github.com/awstray/awstray/internal/busenv" // FaultKeyring imports the keyring, which dials the bus in init: no dbus-daemon autolaunched
)
