//go:build windows

package main

// The Windows stage (make test-windows, scripts/test-windows.sh): this file
// is built into a Windows test binary and run under Wine 10 on Linux, or on
// Windows itself. moto_server runs outside Wine: the stage passes its URL
// in AWSTRAY_TEST_MOTO_URL (without it, moto_server is started here).

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awstray/awstray/internal/testenv"
)

// windowsMoto returns the URL of a moto_server with no state.
func windowsMoto(t *testing.T) string {
	t.Helper()
	u := os.Getenv("AWSTRAY_TEST_MOTO_URL")
	if u == "" {
		return testenv.StartMoto(t).URL
	}
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Post(u+"/moto-api/reset", "application/json", nil)
	if err != nil {
		t.Fatalf("resetting moto_server at %s: %v", u, err)
	}
	resp.Body.Close()
	return u
}

// requireThrowawayCredMan stops the test unless the Credential Manager it
// writes to is a throwaway one: the scripts add and remove items of the
// service awstray, which a person's own keys use too.
func requireThrowawayCredMan(t *testing.T) {
	t.Helper()
	if os.Getenv("AWSTRAY_TEST_WINCRED") != "throwaway" {
		testenv.Missing(t, "these tests write and delete awstray items in this Windows user's Credential Manager: "+
			"set AWSTRAY_TEST_WINCRED=throwaway under Wine or for a throwaway user")
	}
}

// windowsPassEnv are the variables a Windows program needs from its
// parent's environment (testscript starts from an empty one); Wine's own
// (WINE*) tell a child which prefix and server it belongs to.
func windowsPassEnv() [][2]string {
	var out [][2]string
	for _, kv := range os.Environ() {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		switch u := strings.ToUpper(k); {
		case u == "SYSTEMROOT", u == "WINDIR", u == "COMSPEC", u == "PATHEXT", u == "SYSTEMDRIVE",
			u == "PROGRAMDATA", u == "PROGRAMFILES", u == "COMMONPROGRAMFILES", u == "OS",
			u == "USERNAME", u == "USERDOMAIN", u == "COMPUTERNAME", u == "NUMBER_OF_PROCESSORS",
			strings.HasPrefix(u, "PROCESSOR_"), strings.HasPrefix(u, "WINE"), u == "DISPLAY":
			out = append(out, [2]string{k, v})
		}
	}
	return out
}

// serialT runs testscript's scripts one after the other: they share the
// one Credential Manager of the Windows user.
type serialT struct{ *testing.T }

func (serialT) Parallel() {}

func (t serialT) Run(name string, f func(testscript.T)) {
	t.T.Run(name, func(t *testing.T) { f(serialT{t}) })
}

func (serialT) Verbose() bool { return testing.Verbose() }

// TestWindowsScripts runs the CLI scripts of testdata/windows with the
// Windows binary: the wincred and file keyrings, exec through cmd.exe,
// the Windows export formats, exit codes.
func TestWindowsScripts(t *testing.T) {
	requireThrowawayCredMan(t)
	moto := windowsMoto(t)
	testscript.RunT(serialT{t}, testscript.Params{
		Dir:                 filepath.Join("testdata", "windows"),
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// exitcode N PROGRAM [ARGS...]: PROGRAM exits with status N; its
			// output is kept for stdout and stderr.
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N PROGRAM [ARGS...]")
				}
				err := ts.Exec(args[1], args[2:]...)
				got := 0
				var ee *exec.ExitError
				switch {
				case errors.As(err, &ee):
					got = ee.ExitCode()
				case err != nil:
					ts.Fatalf("%s: %v", args[1], err)
				}
				if fmt.Sprint(got) != args[0] {
					ts.Fatalf("%s exited with status %d, want %s", args[1], got, args[0])
				}
			},
		},
		Setup: func(e *testscript.Env) error {
			for _, kv := range windowsPassEnv() {
				e.Setenv(kv[0], kv[1])
			}
			home := filepath.Join(e.WorkDir, "home")
			for _, kv := range [][2]string{
				{"USERPROFILE", home},
				{"APPDATA", filepath.Join(home, "AppData", "Roaming")},
				{"LOCALAPPDATA", filepath.Join(home, "AppData", "Local")},
				{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
				{"AWSTRAY_BACKEND", "wincred"},
				// No tray answers there: the CLI works on its own.
				{"AWSTRAY_AGENT_SOCKET", `\\.\pipe\awstray-test-` + randomHex(8)},
				{"AWS_ENDPOINT_URL", moto},
				{"AWS_EC2_METADATA_DISABLED", "true"},
			} {
				e.Setenv(kv[0], kv[1])
			}
			return nil
		},
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
