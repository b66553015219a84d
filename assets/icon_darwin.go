package assets

// IconSize is the size of Icon's image: 32 px, the menu bar's 16 pt at 2×.
const IconSize = 32

// Icon returns the state's tray icon in this OS's format: here a colour
// PNG; the menu bar normally shows TemplateIcon instead (systray's
// SetTemplateIcon takes both). Never empty.
func Icon(state State) []byte { return IconPNG(state, IconSize) }
