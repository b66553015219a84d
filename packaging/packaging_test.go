package packaging

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// desktopKeys reads the [Desktop Entry] group of a desktop file.
func desktopKeys(t *testing.T, b []byte) map[string]string {
	t.Helper()
	keys := map[string]string{}
	group := ""
	s := bufio.NewScanner(bytes.NewReader(b))
	for s.Scan() {
		line := s.Text()
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]":
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				t.Fatalf("bad line %q", line)
			}
			keys[k] = v
		}
	}
	return keys
}

// validateDesktop runs desktop-file-validate; hints are fine, errors and
// warnings are not.
func validateDesktop(t *testing.T, path string) {
	t.Helper()
	tool, err := exec.LookPath("desktop-file-validate")
	if err != nil {
		testenv.Missing(t, "desktop-file-validate (Debian package desktop-file-utils)")
	}
	out, err := exec.Command(tool, path).CombinedOutput()
	if err != nil {
		t.Fatalf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if strings.Contains(line, "error:") || strings.Contains(line, "warning:") {
			t.Errorf("desktop-file-validate: %s", line)
		} else if line != "" {
			t.Logf("desktop-file-validate: %s", line)
		}
	}
}

func TestDesktopEntry(t *testing.T) {
	b, err := os.ReadFile("awstray.desktop")
	if err != nil {
		t.Fatal(err)
	}
	k := desktopKeys(t, b)
	for key, want := range map[string]string{
		"Type": "Application", "Name": "awstray", "Exec": "awstray", "Icon": "awstray",
		"Categories": "Utility;Network;", "Terminal": "false",
	} {
		if k[key] != want {
			t.Errorf("%s=%q, want %q", key, k[key], want)
		}
	}
	validateDesktop(t, "awstray.desktop")
}

func TestAutostartEntry(t *testing.T) {
	k := desktopKeys(t, AutostartEntry(""))
	if k["Exec"] != "awstray tray" || k["X-GNOME-Autostart-enabled"] != "true" || k["Icon"] != "awstray" {
		t.Errorf("autostart entry: %v", k)
	}
	validateDesktop(t, "awstray-autostart.desktop")

	dir := t.TempDir()
	for _, tc := range []struct{ exe, exec string }{
		{"/home/me/.local/bin/awstray", "/home/me/.local/bin/awstray tray"},
		{"/home/my name/bin/aws$tray", `"/home/my name/bin/aws\\$tray" tray`},
		{"/opt/100%/awstray", "/opt/100%%/awstray tray"},
	} {
		b := AutostartEntry(tc.exe)
		if got := desktopKeys(t, b)["Exec"]; got != tc.exec {
			t.Errorf("AutostartEntry(%q): Exec=%s, want %s", tc.exe, got, tc.exec)
		}
		path := filepath.Join(dir, AutostartName)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		validateDesktop(t, path)
	}
}

// TestSystemdUnit checks the unit's keys and runs systemd-analyze verify
// on it, with ExecStart pointed at a stand-in for the binary (verify
// checks that the command exists) — once as packaged (/usr/bin) and once
// as README.md's drop-in has it (%h/.local/bin).
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile("awstray.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"\nType=simple\n", "\nExecStart=/usr/bin/awstray tray\n", "\nRestart=on-failure\n",
		"\nAfter=graphical-session.target\n", "\nPartOf=graphical-session.target\n", "\nWantedBy=graphical-session.target\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("awstray.service lacks %q", strings.TrimSpace(want))
		}
	}
	if runtime.GOOS != "linux" {
		t.Skip("systemd is Linux only")
	}
	tool, err := exec.LookPath("systemd-analyze")
	if err != nil {
		testenv.Missing(t, "systemd-analyze (Debian package systemd)")
	}
	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	home := filepath.Join(dir, "home")
	bin := filepath.Join(home, ".local", "bin")
	for _, d := range []string{run, bin} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "awstray"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, execStart := range map[string]string{
		"packaged": "ExecStart=" + filepath.Join(bin, "awstray") + " tray",
		"home":     "ExecStart=%h/.local/bin/awstray tray",
	} {
		t.Run(name, func(t *testing.T) {
			sub := filepath.Join(dir, "unit-"+name)
			if err := os.Mkdir(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(sub, "awstray.service")
			if err := os.WriteFile(path, []byte(strings.Replace(unit, "ExecStart=/usr/bin/awstray tray", execStart, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(tool, "verify", "--user", "--man=no", path)
			cmd.Env = append(os.Environ(), "HOME="+home, "XDG_RUNTIME_DIR="+run)
			out, err := cmd.CombinedOutput()
			// verify exits 0 on many problems ("Unknown key … ignoring"):
			// any output is a finding.
			if err != nil || len(bytes.TrimSpace(out)) > 0 {
				t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
			}
		})
	}
}

// plist is the top-level dict of a property list, keys in order.
type plist struct {
	Dict struct {
		Items []struct {
			XMLName xml.Name
			Text    string `xml:",chardata"`
			Inner   string `xml:",innerxml"`
		} `xml:",any"`
	} `xml:"dict"`
}

// plistValues reads a plist's top dict as key → "element:text" (an array
// as "array:" and its strings one per line).
func plistValues(t *testing.T, name string, b []byte) map[string]string {
	t.Helper()
	var p plist
	if err := xml.Unmarshal(b, &p); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	values := map[string]string{}
	items := p.Dict.Items
	if len(items)%2 != 0 {
		t.Fatalf("%s: %d items in the dict, want key/value pairs", name, len(items))
	}
	for i := 0; i < len(items); i += 2 {
		if items[i].XMLName.Local != "key" {
			t.Fatalf("%s: item %d is <%s>, want <key>", name, i, items[i].XMLName.Local)
		}
		v := items[i+1]
		values[items[i].Text] = v.XMLName.Local + ":" + strings.TrimSpace(v.Text)
		if v.XMLName.Local == "array" {
			var a struct {
				Strings []string `xml:"string"`
			}
			if err := xml.Unmarshal([]byte("<array>"+v.Inner+"</array>"), &a); err != nil {
				t.Fatalf("%s: %s: %v", name, items[i].Text, err)
			}
			values[items[i].Text] = "array:" + strings.Join(a.Strings, "\n")
		}
	}
	return values
}

func plutilLint(t *testing.T, path string) {
	t.Helper()
	if tool, err := exec.LookPath("plutil"); err == nil { // macOS
		if out, err := exec.Command(tool, "-lint", path).CombinedOutput(); err != nil {
			t.Errorf("plutil -lint %s: %v\n%s", path, err, out)
		}
	}
}

func TestLaunchAgent(t *testing.T) {
	for _, tt := range []struct{ exe, want string }{
		{"", "/Applications/awstray.app/Contents/MacOS/awstray"},
		{"/Users/a b/Apps/<x>&y/awstray.app/Contents/MacOS/awstray", "/Users/a b/Apps/<x>&y/awstray.app/Contents/MacOS/awstray"},
	} {
		b := LaunchAgent(tt.exe)
		v := plistValues(t, LaunchAgentName, b)
		for key, want := range map[string]string{
			"Label":            "string:dev.awstray.awstray",
			"ProgramArguments": "array:" + tt.want + "\ntray",
			"RunAtLoad":        "true:",
		} {
			if v[key] != want {
				t.Errorf("LaunchAgent(%q) %s = %q, want %q", tt.exe, key, v[key], want)
			}
		}
		p := filepath.Join(t.TempDir(), LaunchAgentName)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		plutilLint(t, p)
	}
}

func TestInfoPlist(t *testing.T) {
	b, err := os.ReadFile("macos/Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	values := plistValues(t, "Info.plist", b)
	for key, want := range map[string]string{
		"LSUIElement":         "true:",
		"CFBundleIdentifier":  "string:dev.awstray.awstray",
		"CFBundleExecutable":  "string:awstray",
		"CFBundlePackageType": "string:APPL",
	} {
		if values[key] != want {
			t.Errorf("Info.plist %s = %q, want %q", key, values[key], want)
		}
	}
	plutilLint(t, "macos/Info.plist")
}

func TestWindowsManifest(t *testing.T) {
	b, err := os.ReadFile("awstray.exe.manifest")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		XMLName xml.Name `xml:"urn:schemas-microsoft-com:asm.v1 assembly"`
		Trust   struct {
			Level struct {
				Level    string `xml:"level,attr"`
				UIAccess string `xml:"uiAccess,attr"`
			} `xml:"security>requestedPrivileges>requestedExecutionLevel"`
		} `xml:"urn:schemas-microsoft-com:asm.v3 trustInfo"`
		App struct {
			DPIAware    string `xml:"http://schemas.microsoft.com/SMI/2005/WindowsSettings dpiAware"`
			DPIAwarness string `xml:"http://schemas.microsoft.com/SMI/2016/WindowsSettings dpiAwareness"`
		} `xml:"urn:schemas-microsoft-com:asm.v3 application>windowsSettings"`
	}
	if err := xml.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if m.Trust.Level.Level != "asInvoker" || m.Trust.Level.UIAccess != "false" {
		t.Errorf("requestedExecutionLevel %+v, want asInvoker", m.Trust.Level)
	}
	if m.App.DPIAware != "true/pm" || !strings.HasPrefix(m.App.DPIAwarness, "PerMonitorV2") {
		t.Errorf("DPI awareness %q / %q, want per-monitor", m.App.DPIAware, m.App.DPIAwarness)
	}
}

// TestNFPMConfig checks that every file the packages take exists and
// lands where the desktop looks for it; with nfpm on PATH it also builds
// the .deb and .rpm (a stand-in binary) and lists the .deb.
func TestNFPMConfig(t *testing.T) {
	b, err := os.ReadFile("nfpm.yaml")
	if err != nil {
		t.Fatal(err)
	}
	pair := regexp.MustCompile(`(?m)^\s*-\s*src:\s*(\S+)\s*\n\s*dst:\s*(\S+)`)
	dsts := map[string]string{}
	for _, m := range pair.FindAllStringSubmatch(string(b), -1) {
		dsts[m[2]] = m[1]
		if m[1] == "./awstray" {
			continue // built by make build
		}
		if _, err := os.Stat(filepath.Join("..", m[1])); err != nil {
			t.Errorf("nfpm.yaml: %s: %v", m[1], err)
		}
	}
	for dst, src := range map[string]string{
		"/usr/bin/awstray":                                  "./awstray",
		"/usr/share/applications/awstray.desktop":           "./packaging/awstray.desktop",
		"/usr/share/icons/hicolor/256x256/apps/awstray.png": "./assets/icons/awstray-256.png",
		"/usr/lib/systemd/user/awstray.service":             "./packaging/awstray.service",
	} {
		if dsts[dst] != src {
			t.Errorf("nfpm.yaml installs %q as %s, want %q", dsts[dst], dst, src)
		}
	}

	nfpm, err := exec.LookPath("nfpm")
	if err != nil {
		testenv.Missing(t, "nfpm is not on PATH (make deps installs it: go install github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2)")
	}
	root := t.TempDir()
	for src := range map[string]bool{"packaging": true, "assets/icons": true} {
		if err := os.MkdirAll(filepath.Join(root, src), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range dsts {
		if src == "./awstray" {
			continue
		}
		data, err := os.ReadFile(filepath.Join("..", src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, src), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "packaging", "nfpm.yaml"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "awstray"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"deb", "rpm"} {
		cmd := exec.Command(nfpm, "package", "-f", "packaging/nfpm.yaml", "-p", format, "-t", "dist/")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "VERSION=0.0.1", "ARCH=amd64")
		if err := os.MkdirAll(filepath.Join(root, "dist"), 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("nfpm package -p %s: %v\n%s", format, err, out)
		}
	}
	if dpkg, err := exec.LookPath("dpkg-deb"); err == nil {
		out, err := exec.Command(dpkg, "-c", filepath.Join(root, "dist", "awstray_0.0.1_amd64.deb")).CombinedOutput()
		if err != nil {
			t.Fatalf("dpkg-deb -c: %v\n%s", err, out)
		}
		for dst := range dsts {
			if !strings.Contains(string(out), "."+dst+"\n") {
				t.Errorf("the .deb lacks %s:\n%s", dst, out)
			}
		}
	}
}
