package launcher

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/awstray/awstray/internal/testenv"
)

// TestHotPathLinksNoDesktop: launcher is what `awstray exec` and `export`
// need; the desktop machinery (dialogs, terminals, browser, clipboard) and
// the UI libraries import it, never the other way round, on every OS the
// program is built for (build tags decide what each links).
func TestHotPathLinksNoDesktop(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "the go command, to list the package's dependencies")
	}
	forbidden := []string{
		"github.com/awstray/awstray/desktop",
		"github.com/ncruces/zenity",
		"fyne.io/systray",
		"github.com/atotto/clipboard",
	}
	for _, goos := range []string{"linux", "windows", "darwin", "freebsd"} {
		t.Run(goos, func(t *testing.T) {
			cmd := exec.Command(gobin, "list", "-deps", ".")
			cmd.Env = append(os.Environ(), "GOOS="+goos)
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) == 0 || deps[len(deps)-1] != "github.com/awstray/awstray/launcher" {
				t.Fatalf("go list -deps listed %q, not launcher's dependencies", deps)
			}
			for _, dep := range deps {
				for _, f := range forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						t.Errorf("launcher imports %s (GOOS=%s): the hot path must not link the desktop machinery", dep, goos)
					}
				}
			}
		})
	}
}
