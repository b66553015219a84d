package usage

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLogKeepsTheLastThousandAndRotates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state", FileName)
	l := NewLog(path)
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	// Long enough records that the file passes 1 MiB within the run.
	long := strings.Repeat("x", 400)
	const n = 3000
	for i := 0; i < n; i++ {
		r := Record{Time: t0.Add(time.Duration(i) * time.Second), Profile: fmt.Sprint("p", i), Op: OpExec, Outcome: Served, Exe: "/usr/bin/" + long}
		if err := l.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	recs := l.Records()
	if len(recs) != MaxMemory || recs[0].Profile != fmt.Sprint("p", n-MaxMemory) || recs[MaxMemory-1].Profile != fmt.Sprint("p", n-1) {
		t.Fatalf("%d records in memory, first %q, last %q", len(recs), recs[0].Profile, recs[len(recs)-1].Profile)
	}
	if last := l.Last(10); len(last) != 10 || last[0].Profile != fmt.Sprint("p", n-1) {
		t.Fatalf("Last(10) = %d records, newest %q", len(last), last[0].Profile)
	}
	for _, p := range []string{path, path + ".1"} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > MaxFile {
			t.Errorf("%s is %d bytes, over %d", p, fi.Size(), MaxFile)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o", p, fi.Mode().Perm())
		}
	}
	fromFile, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromFile) < MaxMemory || fromFile[len(fromFile)-1].Profile != fmt.Sprint("p", n-1) {
		t.Fatalf("the files hold %d records, the last %q", len(fromFile), fromFile[len(fromFile)-1].Profile)
	}
	for i := 1; i < len(fromFile); i++ {
		if fromFile[i].Time.Before(fromFile[i-1].Time) {
			t.Fatalf("records out of order at %d", i)
		}
	}
	// A restarted tray shows the records of the file.
	if again := NewLog(path).Last(1); len(again) != 1 || again[0].Profile != fmt.Sprint("p", n-1) {
		t.Fatalf("a new Log reads back %v", again)
	}
}

func TestCleanAndFilter(t *testing.T) {
	r := Clean(Record{Profile: "a\nb", Error: strings.Repeat("é", 600)})
	if r.Profile != "a b" || len(r.Error) > maxField+len("…") || !strings.HasSuffix(r.Error, "…") {
		t.Fatalf("Clean: %q %d", r.Profile, len(r.Error))
	}
	t0 := time.Unix(1000, 0)
	recs := []Record{{Time: t0, Profile: "a"}, {Time: t0.Add(time.Hour), Profile: "b"}, {Time: t0.Add(2 * time.Hour), Profile: "a"}}
	if got := Filter(recs, t0.Add(time.Minute), "a"); len(got) != 1 || !got[0].Time.Equal(t0.Add(2*time.Hour)) {
		t.Fatalf("Filter: %v", got)
	}
	if got := Filter(recs, time.Time{}, ""); len(got) != 3 {
		t.Fatalf("Filter of nothing: %v", got)
	}
}

func TestReadFileMissing(t *testing.T) {
	if _, err := ReadFile(filepath.Join(t.TempDir(), FileName)); !os.IsNotExist(err) {
		t.Fatalf("a missing record: %v", err)
	}
}
