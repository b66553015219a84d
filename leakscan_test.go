package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The leak scan after the whole suite: no secret the tests handled may be
// in any file of a sandbox (HOME, TMPDIR, runtime folders — the file
// keyring's own folder aside: its items are encrypted), in anything awstray
// printed to stderr, or in the argv of a process the tests started or saw.
// The sandboxes live under a folder TestMain owns, so they outlast their
// tests until it has scanned them; the tests add the secrets they see, the
// stderr they capture and the argv they start or read to the registry.

// leaks is the registry the sandbox helpers and the tests add to.
var leaks leakRegistry

// leakRegistry collects what the scan looks at and for.
type leakRegistry struct {
	// mu protects everything below.
	mu      sync.Mutex
	root    string          // the sandboxes' parent; "" outside TestMain
	skip    []string        // keyring folders: encrypted items, not scanned
	secrets map[string]bool // every secret a test handled
	texts   []leakText      // captured stderr and argv
}

type leakText struct{ where, text string }

// leakScanM runs the tests, then the scan when they passed.
type leakScanM struct{ m *testing.M }

func (l leakScanM) Run() int {
	root, err := os.MkdirTemp("", "awstray-sandboxes-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "leak scan: making the sandboxes' folder:", err)
		return 1
	}
	defer os.RemoveAll(root)
	// The awstray binary the tests built goes too (25 MB a run).
	defer func() {
		if builtBin != "" {
			os.RemoveAll(filepath.Dir(builtBin))
		}
	}()
	leaks.mu.Lock()
	leaks.root = root
	leaks.mu.Unlock()
	stop := watchArgv(50 * time.Millisecond)
	code := l.m.Run()
	stop()
	if code != 0 {
		return code
	}
	findings, scanned, err := leaks.scan()
	if err != nil {
		fmt.Fprintln(os.Stderr, "leak scan:", err)
		return 1
	}
	if testing.Verbose() {
		fmt.Fprintf(os.Stderr, "leak scan: %d secrets looked for in %d files and %d captured texts\n", len(leaks.secrets), scanned, len(leaks.texts))
	}
	if len(findings) > 0 {
		fmt.Fprintf(os.Stderr, "leak scan: FAIL: secrets found after the suite:\n  %s\n", strings.Join(findings, "\n  "))
		return 1
	}
	return 0
}

// dir makes a sandbox folder under the scan root (or t's temp folder when
// no TestMain owns one).
func (r *leakRegistry) dir(t testing.TB) string {
	t.Helper()
	r.mu.Lock()
	root := r.root
	r.mu.Unlock()
	if root == "" {
		return t.TempDir()
	}
	d, err := os.MkdirTemp(root, "sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// keyring marks dir as a keyring's own folder, which the scan skips.
func (r *leakRegistry) keyring(dir string) {
	r.mu.Lock()
	r.skip = append(r.skip, dir)
	r.mu.Unlock()
}

// secret adds secrets to look for.
func (r *leakRegistry) secret(secrets ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.secrets == nil {
		r.secrets = map[string]bool{}
	}
	for _, s := range secrets {
		if len(s) >= 8 { // shorter would match by chance
			r.secrets[s] = true
		}
	}
}

// text adds a captured stderr or argv to scan.
func (r *leakRegistry) text(where, text string) {
	r.mu.Lock()
	r.texts = append(r.texts, leakText{where, text})
	r.mu.Unlock()
}

// printedSecret finds the secret access keys and session tokens in what
// awstray printed on purpose (export, credential-process): the secrets the
// tests saw, whatever the format.
var printedSecret = regexp.MustCompile(`(?i)(?:secret_?access_?key|session_?token)["']?\s*[:=]?\s*["']?([A-Za-z0-9/+=_-]{16,})`)

// ran records a run of awstray by a sandbox helper: its argv and stderr are
// scanned; the secrets it printed on stdout are looked for.
func (r *leakRegistry) ran(t testing.TB, args []string, stdout, stderr string) {
	what := fmt.Sprintf("%s: awstray %s", t.Name(), strings.Join(args, " "))
	r.text("argv of "+what, strings.Join(args, "\x00"))
	r.text("stderr of "+what, stderr)
	for _, m := range printedSecret.FindAllStringSubmatch(stdout, -1) {
		r.secret(m[1])
	}
}

// scan looks for every secret in every file under the root outside the
// keyring folders and in every captured text. A finding names the place and
// the offset, never the secret.
func (r *leakRegistry) scan() (findings []string, files int, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	secrets := make([][]byte, 0, len(r.secrets))
	for s := range r.secrets {
		secrets = append(secrets, []byte(s))
	}
	look := func(where string, b []byte) {
		for _, s := range secrets {
			if i := bytes.Index(b, s); i >= 0 {
				findings = append(findings, fmt.Sprintf("%s at offset %d: a secret of %d chars", where, i, len(s)))
			}
		}
	}
	for _, t := range r.texts {
		look(t.where, []byte(t.text))
	}
	if r.root == "" {
		return findings, 0, nil
	}
	err = filepath.WalkDir(r.root, func(path string, d fs.DirEntry, err error) error {
		if os.IsNotExist(err) {
			return nil // a process of a test removed it while the scan walked
		}
		if err != nil {
			return err
		}
		if d.IsDir() && slices.Contains(r.skip, path) {
			return filepath.SkipDir
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
		files++
		look(path, b)
		return nil
	})
	return findings, files, err
}

// watchArgv samples the command line of every descendant of this test
// process (the tray, terminals, dialogs, helpers, the processes they
// start) until stop is called, and adds each distinct one to the registry,
// so the scan covers the argv of processes no helper recorded. A process
// that lives less than the interval can be missed; those the sandbox
// helpers start are recorded by them.
func watchArgv(every time.Duration) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	self := os.Getpid()
	go func() {
		defer close(finished)
		seen := map[string]bool{}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			sampleArgv(self, seen)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); <-finished }
}

func sampleArgv(self int, seen map[string]bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return // not Linux: the helpers' own records remain
	}
	parent := map[int]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces and parentheses.
		f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
	}
	for pid := range parent {
		descendant := false
		for p, hops := parent[pid], 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if p == self {
				descendant = true
				break
			}
		}
		if !descendant {
			continue
		}
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		if err != nil || len(b) == 0 {
			continue
		}
		argv := string(bytes.ReplaceAll(bytes.TrimRight(b, "\x00"), []byte{0}, []byte{' '}))
		if !seen[argv] {
			seen[argv] = true
			leaks.text(fmt.Sprintf("the argv of pid %d", pid), argv)
		}
	}
}
