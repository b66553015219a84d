package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials/keystore"
)

// Version is set at build time with -ldflags "-X github.com/awstray/awstray/cli.Version=v1.2.3".
var Version = ""

// Commit is set at build time with -ldflags "-X github.com/awstray/awstray/cli.Commit=<sha>";
// without it, the revision Go's VCS stamping recorded is used.
var Commit = ""

// version is Version, else the module version Go recorded, else "devel".
func version() string {
	if Version != "" {
		return Version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// commit is Commit, else the VCS revision in the build info (with
// "-dirty" when the tree had changes), else "unknown" (go test, or a
// build outside a checkout).
func commit() string {
	if Commit != "" {
		return Commit
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", ""
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if rev == "" {
		return "unknown"
	}
	return rev + dirty
}

// compiledBackends lists the keyring backends a build for goos holds, in
// keystore.Backends' order. It follows the build constraints of
// 99designs/keyring's files rather than asking keyring.AvailableBackends,
// which also depends on whether the session bus answered at start-up and
// so tells what is reachable, not what is built in. keychain is whether
// the build has the macOS Keychain backend (darwin with cgo).
func compiledBackends(goos string, keychain bool) []string {
	in := map[string]bool{
		keystore.BackendFile:     true,
		keystore.BackendPass:     goos != "windows",
		keystore.BackendWinCred:  goos == "windows",
		keystore.BackendKeychain: goos == "darwin" && keychain,
	}
	for _, b := range []string{keystore.BackendSecretService, keystore.BackendKWallet, keystore.BackendKeyctl} {
		in[b] = goos == "linux"
	}
	return slices.DeleteFunc(keystore.Backends(), func(b string) bool { return !in[b] })
}

func newVersionCmd(app *App) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print awstray's version, commit, Go version, OS/arch and keyring backends",
		Long: "Print awstray's version, the commit it was built from, the Go version, the OS and\n" +
			"architecture, and the keyring backends compiled into this build (which of them\n" +
			"can be reached on this machine is not checked: no keyring is opened).",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(app.Stdout, "awstray %s\ncommit:   %s\ngo:       %s\nplatform: %s/%s\nkeyrings: %s\n",
				version(), commit(), runtime.Version(), runtime.GOOS, runtime.GOARCH,
				strings.Join(compiledBackends(runtime.GOOS, keychainCompiled), ", "))
			return err
		},
	}
}
