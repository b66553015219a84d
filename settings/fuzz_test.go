package settings

import (
	"strings"
	"testing"
)

// FuzzDecode: any file gives settings and problems without a panic, the
// error stays on one line, and a backend that comes back is one the
// keyring knows, unless Bad says it may be missing.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		template,
		"backend = \"file\"\nclipboard_timeout = \"30\"\n",
		"a = 1\n[oops\nbackend = \"pass\"\n",
		"terminal = \"\"\"\nbackend = \"file\"\n",
		"backend = [1,\n2\nnotify_lead = \"5m\"\n",
		"backend=\"file\"\nbackend=\"pass\"\n",
		"[t]\nbackend = \"x\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, problems := decode(text)
		fe := &FileError{Path: "settings.toml", Problems: problems}
		if len(problems) > 0 && strings.ContainsAny(fe.Error(), "\r\n") {
			t.Fatalf("error on more than one line: %q", fe.Error())
		}
		if s.Backend != "" && !contains(Backends, s.Backend) {
			t.Fatalf("backend %q came through", s.Backend)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
