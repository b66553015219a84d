// Command gen draws awstray's icons into assets/icons (or -out DIR). The
// output is deterministic: run it after changing the drawing in
// assets/internal/render and commit the files; a test checks that they
// match.
//
//	go run ./assets/gen
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/awstray/awstray/assets/internal/render"
)

func main() {
	out := flag.String("out", defaultDir(), "directory to write the icons to")
	flag.Parse()
	if err := render.WriteAll(*out); err != nil {
		fmt.Fprintf(os.Stderr, "gen: %v\n", err)
		os.Exit(1)
	}
}

// defaultDir is assets/icons beside this program's source, so that the
// command works from any directory of the module.
func defaultDir() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("assets", "icons")
	}
	return filepath.Join(filepath.Dir(file), "..", "icons")
}
