package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// DirSnapshot records the names, sizes, modes, times and contents of the
// files in dir, so a test can tell that nothing there changed.
func DirSnapshot(t testing.TB, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s %d %v %d %x\n", e.Name(), fi.Size(), fi.Mode(), fi.ModTime().UnixNano(), data)
	}
	return b.String()
}
