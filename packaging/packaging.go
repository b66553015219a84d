// Package packaging holds the files that install awstray into a desktop:
// the .desktop entry, the XDG autostart entry, the systemd user unit, the
// macOS Info.plist and LaunchAgent, the Windows application manifest and the nfpm config
// for .deb and .rpm packages (see README.md). They are embedded, so that
// the tray can write its own autostart entry (LaunchAgent on macOS) for
// "start at login".
package packaging

import (
	"embed"
	"encoding/xml"
	"strings"
)

// Files holds the packaging files by name: awstray.desktop,
// awstray-autostart.desktop, awstray.service, macos/Info.plist,
// macos/dev.awstray.awstray.plist (the LaunchAgent), awstray.exe.manifest
// and nfpm.yaml.
//
//go:embed awstray.desktop awstray-autostart.desktop awstray.service macos/Info.plist macos/dev.awstray.awstray.plist awstray.exe.manifest nfpm.yaml
var Files embed.FS

// LaunchAgentName is the file name of the macOS LaunchAgent, in
// ~/Library/LaunchAgents.
const LaunchAgentName = "dev.awstray.awstray.plist"

// caskProgram is the program the embedded LaunchAgent starts: where the
// Homebrew cask installs the app.
const caskProgram = "/Applications/awstray.app/Contents/MacOS/awstray"

// LaunchAgent returns the macOS LaunchAgent that starts `EXE tray` at
// login; "" keeps the app's place as the cask installs it.
func LaunchAgent(exe string) []byte {
	b, err := Files.ReadFile("macos/" + LaunchAgentName)
	if err != nil {
		panic("packaging: the embedded LaunchAgent is missing: " + err.Error())
	}
	if exe == "" {
		return b
	}
	var esc strings.Builder
	if err := xml.EscapeText(&esc, []byte(exe)); err != nil {
		panic("packaging: escaping a path: " + err.Error()) // a strings.Builder does not fail
	}
	return []byte(strings.Replace(string(b), "<string>"+caskProgram+"</string>", "<string>"+esc.String()+"</string>", 1))
}

// AutostartName is the file name of the autostart entry, in
// $XDG_CONFIG_HOME/autostart (default ~/.config/autostart).
const AutostartName = "awstray.desktop"

// AutostartEntry returns the XDG autostart entry. With exe (an absolute
// path, such as os.Executable's) its Exec line runs that file; with "" it
// runs "awstray tray" from PATH, as packages install it.
func AutostartEntry(exe string) []byte {
	b, err := Files.ReadFile("awstray-autostart.desktop")
	if err != nil {
		panic("packaging: the embedded autostart entry is missing: " + err.Error())
	}
	if exe == "" {
		return b
	}
	lines := strings.SplitAfter(string(b), "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "Exec=") {
			lines[i] = "Exec=" + execArg(exe) + " tray\n"
		}
	}
	return []byte(strings.Join(lines, ""))
}

// execArg quotes one argument of a desktop entry's Exec key: the
// specification's reserved characters need double quotes, in which ", `,
// $ and \ take a backslash; % is doubled in any case. The key's value is
// then escaped once more as a string (\ becomes \\).
func execArg(s string) string {
	s = strings.ReplaceAll(s, "%", "%%")
	if !strings.ContainsAny(s, " \t\n\"'\\><~|&;$*?#()`") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '`', '$':
			b.WriteString(`\\`) // the backslash, itself escaped for the string
			b.WriteRune(r)
		case '\\':
			b.WriteString(`\\\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
