//go:build !windows && !darwin

package assets

// IconSize is the size of Icon's image: 22 px, the size SNI hosts draw
// tray icons at (xfce4-panel, KDE Plasma; GNOME's AppIndicator extension
// scales it to 16), drawn at that size so that its edges stay sharp.
const IconSize = 22

// Icon returns the state's tray icon in this OS's format: here a PNG (the
// only format systray's Linux code reads). Never empty.
func Icon(state State) []byte { return IconPNG(state, IconSize) }
