package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// doctorTools are the programs a healthy desktop has on PATH; each script
// gets a folder of links to them, as its whole PATH (with the awstray
// binary's), so that a script can take one away.
var doctorTools = []string{"xclip", "zenity", "xterm"}

// TestDoctorScripts runs the golden scripts of testdata/doctor, each on a
// desktop of its own: a private session bus with GNOME Keyring (its login
// collection unlocked), STS (moto_server) behind a FaultProxy ($STS, host
// and port in $STSHOST), and the tools of doctorTools. A script adds a
// StatusNotifierWatcher (watcher) and a notification server (notifier),
// or breaks things: lockkeyring, skew DURATION, hang, rmtool NAME.
func TestDoctorScripts(t *testing.T) {
	for _, tool := range doctorTools {
		if _, err := exec.LookPath(tool); err != nil {
			testenv.Missing(t, "%s is not installed", tool)
		}
	}
	moto := testenv.StartMoto(t)
	files, err := filepath.Glob("testdata/doctor/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in testdata/doctor (%v)", err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) {
			ss := testenv.StartSecretServiceControl(t)
			var bus string
			for _, kv := range ss.Env {
				if v, ok := strings.CutPrefix(kv, "DBUS_SESSION_BUS_ADDRESS="); ok {
					bus = v
				}
			}
			proxy := testfake.StartFaultProxy(t, moto.URL)
			runDoctorScript(t, file, bus, proxy)
		})
	}
}

func runDoctorScript(t *testing.T, file, bus string, proxy *testfake.FaultProxy) {
	testscript.Run(t, testscript.Params{
		Files:               []string{file},
		RequireExplicitExec: true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// watcher: a panel's StatusNotifierWatcher joins the bus.
			"watcher": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: watcher")
				}
				testenv.StartStatusNotifierWatcher(t, bus)
			},
			// notifier: a notification server joins the bus.
			"notifier": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: notifier")
				}
				testenv.StartNotificationRecorder(t, bus)
			},
			// lockkeyring: GNOME Keyring locks the login collection, as
			// after a screen lock with "lock the keyring" set.
			"lockkeyring": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: lockkeyring")
				}
				ts.Check(lockLogin(bus))
			},
			// skew DURATION: STS's clock runs DURATION ahead of ours.
			"skew": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: skew DURATION")
				}
				d, err := time.ParseDuration(args[0])
				ts.Check(err)
				proxy.Set("", testfake.Fault{Kind: testfake.FaultSkew, Skew: d})
			},
			// hang: STS reads requests and never answers.
			"hang": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 0 {
					ts.Fatalf("usage: hang")
				}
				proxy.Set("", testfake.Fault{Kind: testfake.FaultHang})
			},
			// rmtool NAME: NAME is no longer installed.
			"rmtool": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: rmtool NAME")
				}
				ts.Check(os.Remove(filepath.Join(ts.Getenv("WORK"), "tools", args[0])))
			},
			// waitsocket PATH: wait (up to 20 s) until PATH exists.
			"waitsocket": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: waitsocket PATH")
				}
				for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
						return
					}
					if time.Now().After(end) {
						ts.Fatalf("%s did not appear", args[0])
					}
				}
			},
		},
		Setup: func(e *testscript.Env) error {
			// The agent's socket folder: the agent takes only one that is
			// the user's alone.
			if err := os.Mkdir(filepath.Join(e.WorkDir, "run"), 0o700); err != nil {
				return err
			}
			tools := filepath.Join(e.WorkDir, "tools")
			if err := os.MkdirAll(tools, 0o755); err != nil {
				return err
			}
			for _, tool := range doctorTools {
				path, err := exec.LookPath(tool)
				if err != nil {
					return err
				}
				if err := os.Symlink(path, filepath.Join(tools, tool)); err != nil {
					return err
				}
			}
			// The first entry is testscript's folder with the awstray binary.
			bin, _, _ := strings.Cut(e.Getenv("PATH"), string(os.PathListSeparator))
			home := filepath.Join(e.WorkDir, "home")
			for _, kv := range [][2]string{
				{"PATH", bin + string(os.PathListSeparator) + tools},
				{"HOME", home},
				{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
				{"XDG_CONFIG_HOME", filepath.Join(home, ".config")},
				{"XDG_RUNTIME_DIR", ""},
				{"XDG_CURRENT_DESKTOP", "XFCE"},
				{"AWSTRAY_AGENT_SOCKET", filepath.Join(e.WorkDir, "run", "agent.sock")},
				{"DBUS_SESSION_BUS_ADDRESS", bus},
				{"DISPLAY", ":0"}, // looked at, never connected to: doctor opens no window
				{"AWS_ENDPOINT_URL", proxy.URL},
				{"STSHOST", strings.TrimPrefix(proxy.URL, "http://")},
				{"AWS_EC2_METADATA_DISABLED", "true"},
				{"SHELL", "/bin/sh"},
			} {
				e.Setenv(kv[0], kv[1])
			}
			return nil
		},
	})
}

// lockLogin locks GNOME Keyring's login collection through the Secret
// Service API.
func lockLogin(bus string) error {
	conn, err := dbus.Connect(bus)
	if err != nil {
		return err
	}
	defer conn.Close()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	return conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets").Call(
		"org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt)
}
