package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// appenderEnv makes the test binary a writer of its own (see TestMain).
const appenderEnv = "AWSTRAY_ATOMICFILE_APPEND"

// TestMain: with appenderEnv=PATH,TAG,N the binary appends N lines
// "TAG i" to PATH through Edit and exits — a second process writing the
// same file.
func TestMain(m *testing.M) {
	if v := os.Getenv(appenderEnv); v != "" {
		f := strings.Split(v, ",")
		n, _ := strconv.Atoi(f[2])
		if err := appendLines(f[0], f[1], n); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func appendLines(path, tag string, n int) error {
	for i := range n {
		line := fmt.Sprintf("%s %d\n", tag, i)
		if err := Edit(path, 0o600, func(old []byte, _ bool) ([]byte, error) {
			return append(append([]byte(nil), old...), line...), nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := Write(path, []byte("new file"), 0o640); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("a new file: mode %v, err %v", fi.Mode().Perm(), err)
	}
	// An existing file keeps its mode, whatever the caller asks for.
	if err := os.Chmod(path, 0o604); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	fi, _ := os.Stat(path)
	if err != nil || string(b) != "new" || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o604) {
		t.Fatalf("content %q, mode %v, err %v", b, fi.Mode().Perm(), err)
	}
	wantFiles(t, dir, "config")
	// A folder that is not there: an error, and nothing created.
	if err := Write(filepath.Join(dir, "missing", "x"), []byte("x"), 0o600); err == nil {
		t.Fatal("wrote into a missing folder")
	}
}

// wantFiles checks that dir holds names and, at most, lock files: no
// temporary file is left behind.
func wantFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".lock") {
			got = append(got, e.Name())
		}
	}
	if strings.Join(got, " ") != strings.Join(names, " ") {
		t.Fatalf("%s holds %q, want %q", dir, got, names)
	}
}

// TestEditRedoesAChangeMadeMeanwhile: the person's editor saves the file
// after Edit read it and before Edit renamed its result. The edit runs
// again on what the editor saved, so both changes are in the file.
func TestEditRedoesAChangeMadeMeanwhile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	if err := os.WriteFile(path, []byte("[a]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var seen []string
	err := Edit(path, 0o600, func(old []byte, exists bool) ([]byte, error) {
		seen = append(seen, string(old))
		if len(seen) == 1 {
			// The editor writes while awstray works on the old content.
			if err := os.WriteFile(path, []byte("[a]\n[edited]\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		return append(append([]byte(nil), old...), "[added]\n"...), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	if string(b) != "[a]\n[edited]\n[added]\n" {
		t.Fatalf("the file holds %q: an edit was lost", b)
	}
	if len(seen) != 2 || seen[1] != "[a]\n[edited]\n" {
		t.Fatalf("edit saw %q", seen)
	}
	wantFiles(t, dir, "config")
}

// TestEditGivesUpOnAFileThatKeepsChanging: nothing is written, the error
// says why, and the last change made by someone else stays.
func TestEditGivesUpOnAFileThatKeepsChanging(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	n := 0
	err := Edit(path, 0o600, func([]byte, bool) ([]byte, error) {
		n++
		if err := os.WriteFile(path, []byte(fmt.Sprint("theirs ", n)), 0o600); err != nil {
			t.Fatal(err)
		}
		return []byte("ours"), nil
	})
	if !errors.Is(err, ErrChanged) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("got %v, want one line matching ErrChanged", err)
	}
	if b, _ := os.ReadFile(path); string(b) != fmt.Sprint("theirs ", n) {
		t.Fatalf("the file holds %q", b)
	}
	wantFiles(t, dir, "config")
	// An error from edit: returned as it is, nothing written.
	boom := errors.New("boom")
	if err := Edit(path, 0o600, func([]byte, bool) ([]byte, error) { return nil, boom }); err != boom {
		t.Fatalf("got %v", err)
	}
}

// TestEditKeepsASymlink: a dotfile manager's link stays a link and its
// target gets the content; a link to a file not made yet makes the target.
func TestEditKeepsASymlink(t *testing.T) {
	dir := t.TempDir()
	dotfiles := filepath.Join(dir, "dotfiles")
	if err := os.Mkdir(dotfiles, 0o700); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dotfiles, "aws-config")
	if err := os.WriteFile(target, []byte("old\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "config")
	if err := os.Symlink("dotfiles/aws-config", link); err != nil {
		if runtime.GOOS == "windows" { // links need a privilege there
			t.Skipf("no symbolic links here: %v", err)
		}
		t.Fatal(err)
	}
	if err := Edit(link, 0o600, func(old []byte, _ bool) ([]byte, error) { return append(old, "new\n"...), nil }); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("the link was replaced: %v %v", fi.Mode(), err)
	}
	b, _ := os.ReadFile(target)
	fi, _ := os.Stat(target)
	if string(b) != "old\nnew\n" || fi.Mode().Perm() != 0o640 {
		t.Fatalf("target holds %q, mode %v", b, fi.Mode().Perm())
	}
	wantFiles(t, dir, "config", "dotfiles")
	wantFiles(t, dotfiles, "aws-config")

	dangling := filepath.Join(dir, "settings.toml")
	if err := os.Symlink(filepath.Join(dotfiles, "settings.toml"), dangling); err != nil {
		t.Fatal(err)
	}
	if err := Write(dangling, []byte("x = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Lstat(dangling); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatal("the dangling link was replaced")
	}
	if b, _ := os.ReadFile(filepath.Join(dotfiles, "settings.toml")); string(b) != "x = 1\n" {
		t.Fatalf("the link's target holds %q", b)
	}
}

// TestConcurrentEditsLoseNothing: goroutines of this process and two
// other processes append lines to one file at once; every line is there.
func TestConcurrentEditsLoseNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	const n = 25
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- appendLines(path, fmt.Sprint("goroutine", g), n)
		}()
	}
	var cmds []*exec.Cmd
	for p := range 2 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,process%d,%d", appenderEnv, path, p, n))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("writer process: %v", err)
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := map[string]bool{}
	for s := bufio.NewScanner(f); s.Scan(); {
		got[s.Text()] = true
	}
	for _, tag := range []string{"goroutine0", "goroutine1", "process0", "process1"} {
		for i := range n {
			if line := fmt.Sprintf("%s %d", tag, i); !got[line] {
				t.Errorf("lost %q", line)
			}
		}
	}
	if len(got) != 4*n {
		t.Errorf("%d lines, want %d", len(got), 4*n)
	}
}
