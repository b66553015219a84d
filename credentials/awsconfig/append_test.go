package awsconfig

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var newKeys = [][2]string{
	{"region", "eu-west-1"},
	{"mfa_serial", "arn:aws:iam::123456789012:mfa/alice"},
	{"credential_process", "/bin/x --a ';b' # c"},
	{"output", ""},
}

const newSection = "[profile new]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\ncredential_process = /bin/x --a ';b' # c\noutput =\n"

func writeConfig(t *testing.T, data string, perm os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(path, []byte(data), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, perm); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAppendProfile(t *testing.T) {
	for _, tc := range []struct {
		name, before, added string
	}{
		{"empty file", "", newSection},
		{"trailing newline", "[default]\nregion = us-east-1\n", "\n" + newSection},
		{"no trailing newline", "[default]\nregion = us-east-1", "\n\n" + newSection},
		{"ends with blank line", "[default]\n\n", newSection},
		{"ends with spaces line", "[default]\n  \n", newSection},
		{"only comment no newline", "# just a comment", "\n\n" + newSection},
		{"crlf", "[default]\r\nregion = us-east-1\r\n", "\r\n" + strings.ReplaceAll(newSection, "\n", "\r\n")},
		{"crlf no trailing newline", "[default]\r\nregion = us-east-1", "\r\n\r\n" + strings.ReplaceAll(newSection, "\n", "\r\n")},
		{"realistic", realistic, "\n" + newSection},
		{"odd bytes kept", "\ufeff; comment  \t\n[profile  x ]  # c\n  k : v ; w  \n\n\n", newSection},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.before, 0o600)
			added, err := AppendProfile(path, "new", newKeys)
			if err != nil || !added {
				t.Fatalf("AppendProfile = %v, %v", added, err)
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte(tc.before)) {
				t.Fatalf("existing bytes changed:\n%q", got)
			}
			if rest := string(got[len(tc.before):]); rest != tc.added {
				t.Fatalf("appended %q, want %q", rest, tc.added)
			}
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			p := cfg.lookup("new")
			if p == nil || cfg.Profiles[len(cfg.Profiles)-1] != p {
				t.Fatal("new profile not last")
			}
			for _, kv := range newKeys {
				if v, ok := p.Raw[kv[0]]; !ok || v != kv[1] {
					t.Errorf("%s = %q, want %q", kv[0], v, kv[1])
				}
			}
			if p.CredentialProcess != newKeys[2][1] {
				t.Errorf("credential_process = %q", p.CredentialProcess)
			}
			added, err = AppendProfile(path, "new", newKeys)
			if err != nil || added {
				t.Fatalf("second AppendProfile = %v, %v", added, err)
			}
			again, _ := os.ReadFile(path)
			if !bytes.Equal(again, got) {
				t.Fatal("second AppendProfile changed the file")
			}
		})
	}
}

func TestAppendProfileExisting(t *testing.T) {
	for _, tc := range []struct {
		name, data, profile string
	}{
		{"profile", "[profile a]\nregion = us-east-1\n", "a"},
		{"default section", "[default]\n", "default"},
		{"profile default", "[profile default]", "default"},
		{"no keys", "[profile a]", "a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeConfig(t, tc.data, 0o640)
			before, _ := os.Stat(path)
			added, err := AppendProfile(path, tc.profile, newKeys)
			if err != nil || added {
				t.Fatalf("AppendProfile = %v, %v", added, err)
			}
			got, _ := os.ReadFile(path)
			after, _ := os.Stat(path)
			if string(got) != tc.data || !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
				t.Fatal("file was touched")
			}
		})
	}
}

func TestAppendProfileDefault(t *testing.T) {
	path := writeConfig(t, "[profile default]x\n", 0o600)
	if _, err := AppendProfile(path, "default", nil); err == nil {
		t.Fatal("no error for a config that does not parse")
	}
	path = writeConfig(t, "[profile a]\n", 0o600)
	if added, err := AppendProfile(path, "default", [][2]string{{"region", "us-east-1"}}); err != nil || !added {
		t.Fatalf("AppendProfile = %v, %v", added, err)
	}
	got, _ := os.ReadFile(path)
	if want := "[profile a]\n\n[default]\nregion = us-east-1\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestAppendProfileCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "home", ".aws")
	path := filepath.Join(dir, "config")
	added, err := AppendProfile(path, "new", newKeys)
	if err != nil || !added {
		t.Fatalf("AppendProfile = %v, %v", added, err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != newSection {
		t.Fatalf("got %q, %v", got, err)
	}
	if runtime.GOOS == "windows" {
		return
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	// Only the config and the writers' lock file (empty, kept: removing it
	// while another writer waits on it would let two in).
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 || entries[0].Name() != ".config.lock" {
		t.Errorf("left files behind: %v", entries)
	}
}

func TestAppendProfileKeepsModeAndLink(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes or easy symlinks")
	}
	path := writeConfig(t, "[default]\n", 0o644)
	link := filepath.Join(t.TempDir(), "config-link")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if added, err := AppendProfile(link, "new", nil); err != nil || !added {
		t.Fatalf("AppendProfile = %v, %v", added, err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi.Mode(), err)
	}
	fi, _ = os.Stat(path)
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644", fi.Mode().Perm())
	}
	got, _ := os.ReadFile(path)
	if string(got) != "[default]\n\n[profile new]\n" {
		t.Errorf("got %q", got)
	}
}

func TestAppendProfileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		profile string
		keys    [][2]string
		want    string
	}{
		{"empty name", "", nil, "empty profile name"},
		{"space", "a b", nil, `profile name "a b" has whitespace or control characters in it`},
		{"tab", "a\tb", nil, `profile name "a\tb" has whitespace or control characters in it`},
		{"newline", "a\n[default]", nil, `profile name "a\n[default]" has whitespace or control characters in it`},
		{"control", "a\x01", nil, `profile name "a\x01" has whitespace or control characters in it`},
		{"bracket", "a]b", nil, `profile name "a]b" has "]" in it`},
		{"not utf-8", "a\xff", nil, "profile name is not valid UTF-8"},
		{"empty key", "a", [][2]string{{"", "v"}}, `profile "a": empty key`},
		{"key with equals", "a", [][2]string{{"a=b", "v"}}, `profile "a": key "a=b" would not read back (it has "=" or ":", starts with "[", "#" or ";", or has spaces around it)`},
		{"key comment", "a", [][2]string{{"#k", "v"}}, `profile "a": key "#k" would not read back (it has "=" or ":", starts with "[", "#" or ";", or has spaces around it)`},
		{"key spaces", "a", [][2]string{{" k", "v"}}, `profile "a": key " k" would not read back (it has "=" or ":", starts with "[", "#" or ";", or has spaces around it)`},
		{"key newline", "a", [][2]string{{"k\n", "v"}}, `profile "a": key "k\n" has characters that are not allowed`},
		{"key twice", "a", [][2]string{{"region", "x"}, {"Region", "y"}}, `profile "a": key "Region" given twice`},
		{"value newline", "a", [][2]string{{"k", "SECRET\n[profile x]"}}, `profile "a": value of "k" has a line break or control characters`},
		{"value spaces", "a", [][2]string{{"k", " SECRET"}}, `profile "a": value of "k" has spaces around it, which would be lost`},
		{"value not utf-8", "a", [][2]string{{"k", "SECRET\xff"}}, `profile "a": value of "k" has a line break or control characters`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			added, err := AppendProfile(path, tc.profile, tc.keys)
			if err == nil || added {
				t.Fatalf("AppendProfile = %v, %v", added, err)
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got: %q\nwant: %q", err.Error(), tc.want)
			}
			if strings.Contains(err.Error(), "SECRET") {
				t.Errorf("error shows a value")
			}
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("file made: %v", err)
			}
		})
	}
}

func TestAppendSectionRoundTrip(t *testing.T) {
	for _, name := range []string{"a", "default", "a[b", "x.y-z_1", "été", "#x", ";x", "[x"} {
		t.Run(name, func(t *testing.T) {
			if err := checkNewProfile(name, newKeys); err != nil {
				t.Fatal(err)
			}
			cfg, err := Parse("c", appendSection([]byte("[profile other]\nk = v"), name, newKeys))
			if err != nil {
				t.Fatal(err)
			}
			p, err := cfg.Profile(name)
			if err != nil {
				t.Fatal(err)
			}
			if p.Region != "eu-west-1" || len(p.Raw) != len(newKeys) {
				t.Fatalf("profile %+v", p)
			}
		})
	}
}

func TestAppendProfiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	orig := "[profile a]\nregion = eu-west-1\n"
	if err := os.WriteFile(path, []byte(orig), 0o600); err != nil {
		t.Fatal(err)
	}
	added, err := AppendProfiles(path, []Section{
		{Name: "a", Keys: [][2]string{{"region", "us-east-1"}}},
		{Name: "b", Keys: [][2]string{{"sso_session", "corp"}}},
		{Name: "c/Admin"},
		{Name: "b", Keys: [][2]string{{"region", "x"}}},
	})
	if err != nil || strings.Join(added, " ") != "b c/Admin" {
		t.Fatalf("added %v, %v", added, err)
	}
	b, _ := os.ReadFile(path)
	if want := orig + "\n[profile b]\nsso_session = corp\n\n[profile c/Admin]\n"; string(b) != want {
		t.Fatalf("file:\n%s\nwant:\n%s", b, want)
	}
	// One bad section: nothing written.
	if _, err := AppendProfiles(path, []Section{{Name: "d"}, {Name: "bad name"}}); err == nil {
		t.Fatal("a bad name was accepted")
	}
	if b2, _ := os.ReadFile(path); string(b2) != string(b) {
		t.Fatal("the file changed")
	}
	// All there already: no write, nothing added.
	if added, err := AppendProfiles(path, []Section{{Name: "a"}, {Name: "b"}}); err != nil || len(added) != 0 {
		t.Fatalf("added %v, %v", added, err)
	}
}

// TestAppendProfilesConcurrently: the tray and the CLI (here goroutines,
// each with its own lock file handle as a process has) add profiles to one
// config at once; no profile is lost.
func TestAppendProfilesConcurrently(t *testing.T) {
	path := writeConfig(t, "[default]\nregion = us-east-1\n", 0o600)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range n {
				if _, err := AppendProfile(path, fmt.Sprintf("w%d-%d", w, i), [][2]string{{"region", "eu-west-1"}}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for w := range 2 {
		for i := range n {
			if _, err := cfg.Profile(fmt.Sprintf("w%d-%d", w, i)); err != nil {
				t.Errorf("lost: %v", err)
			}
		}
	}
}
