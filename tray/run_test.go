package tray

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/settings"
)

// standInTerminal is a terminal emulator for the terminal setting: it
// writes the argv it got (less awstray's generic "-e") to a file of its
// own in dir and exits.
func standInTerminal(t *testing.T, dir string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in terminal is a shell script")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		testenv.Missing(t, "/bin/sh, to run the stand-in terminal")
	}
	path := filepath.Join(dir, "stand-in-term")
	script := "#!/bin/sh\nshift\nprintf '%s\\n' \"$@\" > \"" + dir + "/argv.$$.tmp\" && mv \"" + dir + "/argv.$$.tmp\" \"" + dir + "/argv.$$\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// opened lists the argvs the stand-in terminal was started with.
func opened(t *testing.T, dir string) [][]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "argv.*[0-9]"))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, strings.Split(strings.TrimSuffix(string(b), "\n"), "\n"))
	}
	return out
}

// TestOpenTerminalWhileSettingsReload goes through the tray's real
// terminal path (newTrayApp → terminal.Find → Terminal.Open, a
// real process) while the loop reloads the settings file under it. Under
// -race, a setting the loop owns that the terminal's goroutine read
// directly is reported; after the storm, the terminal follows the
// settings the loop holds.
func TestOpenTerminalWhileSettingsReload(t *testing.T) {
	dir := t.TempDir()
	termDir := filepath.Join(dir, "term")
	if err := os.Mkdir(termDir, 0o755); err != nil {
		t.Fatal(err)
	}
	term := standInTerminal(t, termDir)
	settingsPath := filepath.Join(dir, "settings.toml")
	writeSettings := func(server bool) {
		t.Helper()
		// The size changes with the value, so the loop's poll sees a change
		// even within one tick of the file system's clock. Renamed into
		// place: the loop never reads a half-written file (which would
		// leave the terminal setting empty and start a real emulator).
		tmp := settingsPath + ".tmp"
		if err := os.WriteFile(tmp, []byte(fmt.Sprintf("terminal = %q\nterminal_server = %v\n", term, server)), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, settingsPath); err != nil {
			t.Fatal(err)
		}
	}
	writeSettings(true)
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(processConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := awsconfig.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	initial, err := settings.Load(settingsPath) // as the tray starts: Run passes what main loaded
	if err != nil {
		t.Fatal(err)
	}
	store := keystore.NewMemory()
	f := &fakes{}
	var app *App
	m := credentials.NewManager(credentials.ManagerConfig{Config: cfg, Store: store, OnEvent: func(e credentials.Event) { app.OnEvent(e) }})
	app = newTrayApp(RunOptions{Exe: "/opt/awstray/awstray", Getenv: func(string) string { return "" }}, Options{
		Manager: m, Store: store, ConfigPath: cfgPath, SettingsPath: settingsPath,
		StatePath: filepath.Join(dir, "state.json"), Settings: initial,
		PollEvery: time.Millisecond,
		Deps:      f.deps(), // all but the terminal, which newTrayApp sets
	})
	ctx, cancel := context.WithCancel(context.Background())
	app.Render()
	stopped := make(chan struct{})
	go func() { app.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })

	const clicks = 30
	for i := 0; i < clicks; i++ {
		writeSettings(i%2 == 1)
		app.Intents() <- Intent{Kind: IntentOpenTerminal, Profile: "tool"}
	}
	waitFor(t, fmt.Sprintf("%d terminals", clicks), func() bool {
		if notes, _, _ := f.snapshot(); len(notes) != 0 {
			t.Fatalf("notifications: %q", notes)
		}
		return len(opened(t, termDir)) == clicks
	})
	for _, argv := range opened(t, termDir) {
		if !slices.Equal(argv, []string{"/opt/awstray/awstray", "exec", "tool"}) && !slices.Equal(argv, []string{"/opt/awstray/awstray", "exec", "--server", "tool"}) {
			t.Fatalf("the terminal ran %q", argv)
		}
	}
	if notes, _, _ := f.snapshot(); len(notes) != 0 {
		t.Fatalf("notifications: %q", notes)
	}

	// Once the loop holds terminal_server = false, a terminal gets no
	// --server.
	before := len(opened(t, termDir))
	writeSettings(false)
	deadline := time.After(20 * time.Second)
	for loopHas := false; !loopHas; {
		select {
		case menu := <-app.Menus():
			it, ok := find(menu.Items, "settings/server")
			loopHas = ok && !it.Checked
		case <-deadline:
			t.Fatal("the loop never read terminal_server = false")
		}
	}
	app.Intents() <- Intent{Kind: IntentOpenTerminal, Profile: "tool"}
	waitFor(t, "one more terminal", func() bool { return len(opened(t, termDir)) == before+1 })
	found := false
	for _, argv := range opened(t, termDir) {
		found = found || slices.Equal(argv, []string{"/opt/awstray/awstray", "exec", "tool"})
	}
	if !found {
		t.Fatal("no terminal without --server after terminal_server = false")
	}
}
