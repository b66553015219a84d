// Package assets holds awstray's icons, embedded in the binary: one per
// tray state (locked, active, expiring soon, error) in the format each OS
// wants — PNG on Linux and the BSDs, ICO on Windows, PNG and a template
// image on macOS — and the application icon for the .desktop file and the
// packages.
//
// The files in icons/ are drawn by `go run ./assets/gen` (the drawing is
// in assets/internal/render); a test checks that they are what it draws.
package assets

import (
	"embed"
	"fmt"
)

// State is what the tray icon shows: the worst state of the profiles.
type State int

const (
	// Locked: no profile is unlocked (grey, a padlock).
	Locked State = iota
	// Active: unlocked sessions are fresh (green, a check mark).
	Active
	// Expiring: a session that needs the person expires soon (amber, a
	// clock).
	Expiring
	// Error: a refresh or unlock failed (red, an exclamation mark).
	Error
)

// States lists every State.
var States = []State{Locked, Active, Expiring, Error}

// String returns "locked", "active", "expiring" or "error".
func (s State) String() string {
	switch s {
	case Locked:
		return "locked"
	case Active:
		return "active"
	case Expiring:
		return "expiring"
	case Error:
		return "error"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// name is the state's file-name stem; an unknown state shows as Error, so
// that no icon is ever empty (systray panics on an empty icon).
func (s State) name() string {
	switch s {
	case Locked, Active, Expiring:
		return s.String()
	}
	return Error.String()
}

// Sizes are the sizes, in pixels, of the PNG icons (IconPNG and
// TemplateIconPNG).
var Sizes = []int{22, 32, 64}

//go:embed icons/*.png
var pngs embed.FS

// IconPNG returns the state's colour icon as a PNG of size×size pixels,
// size one of Sizes; nil for another size.
func IconPNG(state State, size int) []byte {
	return file(pngs, fmt.Sprintf("icons/%s-%d.png", state.name(), size))
}

// TemplateIcon returns the state's macOS template image (black and alpha,
// 32 px: 16 pt at 2×), for systray.SetTemplateIcon. Elsewhere systray
// shows the regular icon instead.
func TemplateIcon(state State) []byte { return TemplateIconPNG(state, 32) }

// TemplateIconPNG returns the state's template image at size×size pixels,
// size one of Sizes; nil for another size.
func TemplateIconPNG(state State, size int) []byte {
	return file(pngs, fmt.Sprintf("icons/%s-template-%d.png", state.name(), size))
}

// AppIconSize is the size of AppIcon.
const AppIconSize = 256

// AppIcon returns the application icon, a 256 px PNG (the .desktop file's
// Icon=awstray, installed as hicolor/256x256/apps/awstray.png).
func AppIcon() []byte { return file(pngs, "icons/awstray-256.png") }

func file(fs embed.FS, name string) []byte {
	b, err := fs.ReadFile(name)
	if err != nil {
		return nil
	}
	return b
}
