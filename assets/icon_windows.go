package assets

import "embed"

//go:embed icons/locked.ico icons/active.ico icons/expiring.ico icons/error.ico
var icos embed.FS

// IconSize is the largest size in Icon's .ico (it holds 16, 20, 24, 32,
// 40, 48 and 64 px; Windows picks by the display's scaling).
const IconSize = 64

// Icon returns the state's tray icon in this OS's format: here an .ico,
// which is what systray's Windows code loads. Never empty.
func Icon(state State) []byte { return file(icos, "icons/"+state.name()+".ico") }
