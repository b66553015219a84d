// Command awstray keeps AWS credentials in the OS keyring and fresh STS
// sessions at hand: a tray application and a CLI in one binary.
package main

import (
	"os"

	"github.com/awstray/awstray/cli"
	"github.com/awstray/awstray/internal/busenv" // before the keyring dials D-Bus
)

func main() {
	busenv.Restore()
	leaveOwnConsole(os.Args[1:])
	os.Exit(cli.Main(cli.NewApp(), os.Args[1:]))
}
