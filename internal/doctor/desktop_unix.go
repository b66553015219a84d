//go:build linux || freebsd || openbsd || netbsd || dragonfly

package doctor

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/awstray/awstray/desktop/clipboard"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/godbus/dbus/v5"
)

const (
	watcherName       = "org.kde.StatusNotifierWatcher"
	notificationsName = "org.freedesktop.Notifications"
)

var noBusFix = "run awstray in a desktop session (or under dbus-run-session)"

// sessionBus connects to the session bus on a connection of its own (the
// shared one belongs to the tray and the keyring package).
func sessionBus(ctx context.Context, e Env) (*dbus.Conn, *Result) {
	addr := e.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == "disabled:" {
		return nil, &Result{Status: Fail, Detail: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)", Fix: noBusFix}
	}
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return nil, &Result{Status: Fail, Detail: "cannot connect to the D-Bus session bus: " + oneline.String(err.Error()), Fix: noBusFix}
	}
	return conn, nil
}

// owned reports whether name has an owner on the bus, and whether the bus
// can start it.
func owned(ctx context.Context, conn *dbus.Conn, name string) (owner, activatable bool, err error) {
	bus := conn.BusObject()
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, name).Store(&owner); err != nil {
		return false, false, fmt.Errorf("asking the bus about %s: %w", name, err)
	}
	if owner {
		return true, false, nil
	}
	var names []string
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&names); err != nil {
		return false, false, fmt.Errorf("listing the bus's activatable names: %w", err)
	}
	return false, slices.Contains(names, name), nil
}

// checkTray looks for the panel side of the tray protocol: a
// StatusNotifierWatcher with a host.
func checkTray(ctx context.Context, e Env) Result {
	conn, fail := sessionBus(ctx, e)
	if fail != nil {
		return *fail
	}
	defer conn.Close()
	owner, activatable, err := owned(ctx, conn, watcherName)
	if err != nil {
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: noBusFix}
	}
	if !owner && !activatable {
		if strings.Contains(strings.ToUpper(e.Getenv("XDG_CURRENT_DESKTOP")), "GNOME") {
			return Result{Status: Fail, Detail: "no StatusNotifierWatcher: GNOME Shell shows no tray icons without an extension",
				Fix: "install and enable the AppIndicator extension (Debian/Ubuntu: gnome-shell-extension-appindicator; extensions.gnome.org: appindicatorsupport@rgcjonas.gmail.com), then log in again"}
		}
		return Result{Status: Fail, Detail: "no StatusNotifierWatcher on the session bus: the tray icon has nowhere to show",
			Fix: "use a panel with a StatusNotifierItem tray (KDE Plasma, XFCE, LXQt, waybar), or run snixembed for an XEmbed tray"}
	}
	if !owner {
		return Result{Status: OK, Detail: "StatusNotifierWatcher (started by the bus on demand)"}
	}
	var host dbus.Variant
	err = conn.Object(watcherName, "/StatusNotifierWatcher").CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", 0,
		watcherName, "IsStatusNotifierHostRegistered").Store(&host)
	if err == nil {
		if registered, ok := host.Value().(bool); ok && !registered {
			return Result{Status: Warn, Detail: "a StatusNotifierWatcher runs but no tray host is registered with it: the icon may not show",
				Fix: "add a system tray (status notifier) to the panel"}
		}
	}
	return Result{Status: OK, Detail: "StatusNotifierWatcher on the session bus"}
}

// checkNotify looks for a notification server, and says which.
func checkNotify(ctx context.Context, e Env) Result {
	conn, fail := sessionBus(ctx, e)
	if fail != nil {
		fail.Status = Warn // notifications are a nicety: nothing stops without them
		fail.Detail = "no notifications without a D-Bus session bus"
		return *fail
	}
	defer conn.Close()
	owner, activatable, err := owned(ctx, conn, notificationsName)
	if err != nil {
		return Result{Status: Warn, Detail: oneline.String(err.Error()), Fix: noBusFix}
	}
	switch {
	case activatable:
		return Result{Status: OK, Detail: "a notification server (started by the bus on demand)"}
	case !owner:
		return Result{Status: Warn, Detail: "no notification server on the session bus: expiring sessions and failed renewals will not be shown",
			Fix: "install a notification daemon (dunst, mako, xfce4-notifyd) or use a desktop that has one"}
	}
	var name, vendor, version, spec string
	err = conn.Object(notificationsName, "/org/freedesktop/Notifications").CallWithContext(ctx,
		"org.freedesktop.Notifications.GetServerInformation", 0).Store(&name, &vendor, &version, &spec)
	if err != nil || name == "" {
		return Result{Status: OK, Detail: "a notification server on the session bus"}
	}
	return Result{Status: OK, Detail: fmt.Sprintf("%s %s (%s)", oneline.String(name), oneline.String(version), oneline.String(vendor))}
}

// checkClipboard finds the program awstray copies with, as the clipboard package
// picks it (clipboard.Tool).
func checkClipboard(e Env) Result {
	tool, _, err := clipboard.Tool(e.Getenv, e.LookPath)
	switch {
	case errors.Is(err, clipboard.ErrNoGraphicalSession):
		return Result{Status: Warn, Detail: "no graphical session (DISPLAY and WAYLAND_DISPLAY are unset): no clipboard",
			Fix: "copying export lines needs a desktop session"}
	case err != nil:
		return Result{Status: Fail, Detail: "no xclip, xsel or wl-copy found",
			Fix: "install xclip (X11) or wl-clipboard (Wayland)"}
	case tool == "wl-copy":
		return Result{Status: OK, Detail: "wl-copy (Wayland)"}
	}
	return Result{Status: OK, Detail: tool + " (X11)"}
}
