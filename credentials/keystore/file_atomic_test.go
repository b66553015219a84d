package keystore

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// writerEnv makes the test binary a writer of its own (see TestMain): the
// value is the file keyring's folder.
const writerEnv = "AWSTRAY_KEYSTORE_TEST_WRITER"

const writerPassphrase = "correct horse"

var killSeed = flag.Uint64("keystore.killseed", 0, "seed of TestFileWriteKilled's kill moments (0: a new one, printed)")

// writtenKeys are the items the writer rewrites in turn.
var writtenKeys = []Key{
	{Kind: KindKey, Profile: "work"},
	{Kind: KindSession, Profile: "work"},
	{Kind: KindKeyBackup, Profile: "work"},
}

// fileWriter rewrites writtenKeys in dir, one after the other, until it is
// killed; it says "writing" on stdout once it has written one.
func fileWriter(dir string) int {
	s, err := Open(Options{Backend: BackendFile, FileDir: dir, FilePassphrase: func() (string, error) { return writerPassphrase, nil }})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for i := 1; ; i++ {
		k := writtenKeys[i%len(writtenKeys)]
		if err := s.Set(k, writtenValue(k, i), ""); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		if i == 1 {
			fmt.Println("writing")
		}
	}
}

// writtenValue is the i-th value written under k: large, so that a kill
// often lands while the file is being written, and checkable on its own.
func writtenValue(k Key, i int) []byte {
	body := make([]byte, 128<<10)
	var seed [32]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(i))
	_, _ = rand.NewChaCha8(seed).Read(body)
	sum := sha256.Sum256(body)
	return append([]byte(fmt.Sprintf("%s %d %x\n", k, i, sum)), body...)
}

// checkValue reports whether v is a whole value that writtenValue made for k.
func checkValue(k Key, v []byte) error {
	head, body, ok := bytes.Cut(v, []byte("\n"))
	f := strings.Fields(string(head))
	if !ok || len(f) != 3 || f[0] != k.String() {
		return fmt.Errorf("%s holds a value of another item or none (%d bytes)", k, len(v))
	}
	sum := sha256.Sum256(body)
	if f[2] != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("%s holds a torn value (%d bytes)", k, len(v))
	}
	return nil
}

// TestFileWriteKilled kills a process that writes items of the file
// keyring, at random moments, many times: after each kill every item still
// decrypts and holds a whole value, and the staging folders that kills
// leave behind are neither listed nor kept for ever.
func TestFileWriteKilled(t *testing.T) {
	dir := t.TempDir()
	s, err := newFileStore(t, dir, writerPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	for _, k := range writtenKeys {
		mustSet(t, s, k, writtenValue(k, 0))
	}
	perSet := time.Since(begin) / time.Duration(len(writtenKeys))

	seed := *killSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill moments: -keystore.killseed=%d (one write takes about %s)", seed, perSet.Round(time.Microsecond))
	rng := rand.New(rand.NewPCG(seed, 0))
	const kills = 40
	for n := range kills {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+dir)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		said := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(out).ReadString('\n')
			said <- line
		}()
		select {
		case line := <-said:
			if line != "writing\n" {
				_ = cmd.Process.Kill()
				_ = cmd.Wait()
				t.Fatalf("kill %d: the writer said %q: %s", n, line, stderr.String())
			}
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("kill %d: the writer did not start writing within a minute: %s", n, stderr.String())
		}
		// The writer is in its loop: kill it somewhere within its next
		// few writes.
		time.Sleep(time.Duration(rng.Int64N(int64(3*perSet) + 1)))
		_ = cmd.Process.Kill()
		if err := cmd.Wait(); err == nil {
			t.Fatalf("kill %d: the writer ended on its own: %s", n, stderr.String())
		}

		after, err := newFileStore(t, dir, writerPassphrase)
		if err != nil {
			t.Fatalf("kill %d: opening the keyring: %v", n, err)
		}
		for _, k := range writtenKeys {
			v, err := after.Get(k)
			if err == nil {
				err = checkValue(k, v)
			}
			if err != nil {
				t.Fatalf("kill %d: %v", n, err)
			}
		}
		got, err := after.List()
		if err != nil || !slices.Equal(got, sortedKeys(writtenKeys)) {
			t.Fatalf("kill %d: List = %v, %v; want %v", n, got, err, writtenKeys)
		}
	}

	// What the kills left in staging folders is swept once it is old.
	stages := stagingFolders(t, dir)
	t.Logf("%d kills left %d staging folders", kills, len(stages))
	old := time.Now().Add(-2 * staleStage)
	for _, d := range stages {
		if err := os.Chtimes(filepath.Join(dir, d), old, old); err != nil {
			t.Fatal(err)
		}
	}
	young := filepath.Join(dir, stagePrefix+"young")
	if err := os.Mkdir(young, 0o700); err != nil { // a writer at work
		t.Fatal(err)
	}
	mustSet(t, s, writtenKeys[0], writtenValue(writtenKeys[0], 0))
	if left := stagingFolders(t, dir); !slices.Equal(left, []string{filepath.Base(young)}) {
		t.Errorf("after a write the staging folders are %v, want only the young one", left)
	}
}

func sortedKeys(keys []Key) []Key {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b Key) int { return strings.Compare(a.String(), b.String()) })
	return out
}

func stagingFolders(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), stagePrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// TestFileWriteLeavesNothing: a write that succeeds leaves the item's file
// and nothing else, with the mode the keyring package gives it.
func TestFileWriteLeavesNothing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	s, err := newFileStore(t, dir, writerPassphrase)
	if err != nil {
		t.Fatal(err)
	}
	k := Key{Kind: KindKey, Profile: "a/b c"}
	mustSet(t, s, k, []byte("one"))
	mustSet(t, s, k, []byte("two"))
	mustGet(t, s, k, []byte("two"))
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, err := e.Info(); err != nil || (fi.Mode().Perm()&0o077 != 0 && runtime.GOOS != "windows") {
			t.Errorf("%s: mode %v, err %v", e.Name(), fi.Mode(), err)
		}
	}
	if want := []string{"v1%2Fcanary", "v1%2Fkey%2Fa%252Fb%2520c"}; !slices.Equal(names, want) {
		t.Errorf("the folder holds %q, want %q", names, want)
	}
}

// TestFileWriteErrorSaysWhy checks the error's wording for causes a test
// cannot make on every machine.
func TestFileWriteErrorSaysWhy(t *testing.T) {
	err := fileWriteError("/k", false, &os.PathError{Op: "open", Path: "/k/" + stagePrefix + "1/v1%2Fkey%2Fwork", Err: errors.New("input/output error")})
	if want := "writing to the file keyring in /k: input/output error; the item stored before is unchanged"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	err = fileWriteError("/k", true, errors.New("input/output error"))
	if want := "the item is written to the file keyring in /k, but syncing the folder failed: input/output error"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
}
