package cli

import (
	"bytes"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/awstray/awstray/credentials/keystore"
)

func TestVersionOutput(t *testing.T) {
	oldV, oldC := Version, Commit
	t.Cleanup(func() { Version, Commit = oldV, oldC })
	Version, Commit = "v1.2.3-4-gabcdef0", "abcdef0123456789abcdef0123456789abcdef01"

	if runtime.GOOS != "linux" && runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		t.Skipf("no expected backend list for %s", runtime.GOOS)
	}
	// No variable is read: version neither loads settings nor opens a keyring.
	var out, errb bytes.Buffer
	var read []string
	app := &App{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:  func(k string) string { read = append(read, k); return "" },
		Environ: func() []string { return nil },
		Now:     time.Now,
		TTY:     func() (Terminal, error) { return nil, errors.New("no terminal") },
	}
	if code := Main(app, []string{"version"}); code != 0 || errb.Len() > 0 {
		t.Fatalf("version: exit %d, stderr %q", code, errb.String())
	}
	if len(read) > 0 {
		t.Errorf("version read %v; it needs no settings and no keyring", read)
	}
	stdout := out.String()
	want := "awstray v1.2.3-4-gabcdef0\n" +
		"commit:   abcdef0123456789abcdef0123456789abcdef01\n" +
		"go:       " + runtime.Version() + "\n" +
		"platform: " + runtime.GOOS + "/" + runtime.GOARCH + "\n" +
		"keyrings: " + map[string]string{
		"linux":   "secret-service, kwallet, pass, keyctl, file",
		"windows": "file, wincred",
		"darwin":  map[bool]string{true: "pass, file, keychain", false: "pass, file"}[keychainCompiled],
	}[runtime.GOOS] + "\n"
	if stdout != want {
		t.Errorf("version printed\n%s\nwant\n%s", stdout, want)
	}
}

func TestCompiledBackends(t *testing.T) {
	for _, tc := range []struct {
		goos     string
		keychain bool
		want     []string
	}{
		{"linux", false, []string{"secret-service", "kwallet", "pass", "keyctl", "file"}},
		{"windows", false, []string{"file", "wincred"}},
		{"darwin", true, []string{"pass", "file", "keychain"}},
		{"darwin", false, []string{"pass", "file"}},
		{"freebsd", false, []string{"pass", "file"}},
	} {
		if got := compiledBackends(tc.goos, tc.keychain); !slices.Equal(got, tc.want) {
			t.Errorf("compiledBackends(%s, keychain %v) = %v, want %v", tc.goos, tc.keychain, got, tc.want)
		}
	}
}

// TestCompiledBackendsMatchKeyring checks the list against what the keyring
// package registered in this test binary: the backends it registers only
// when the session bus answered (secret-service, kwallet) may be missing
// from its list, every other one must match.
func TestCompiledBackendsMatchKeyring(t *testing.T) {
	ours := compiledBackends(runtime.GOOS, keychainCompiled)
	var theirs []string
	for _, b := range keyring.AvailableBackends() {
		theirs = append(theirs, string(b))
		if !slices.Contains(ours, string(b)) {
			t.Errorf("keyring has %s compiled in; awstray version does not list it (%v)", b, ours)
		}
	}
	for _, b := range ours {
		busOnly := b == keystore.BackendSecretService || b == keystore.BackendKWallet
		if !busOnly && !slices.Contains(theirs, b) {
			t.Errorf("awstray version lists %s; keyring has only %v", b, theirs)
		}
	}
}
