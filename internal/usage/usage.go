// Package usage owns the record of the credentials the tray delivered: who
// asked (the peer's pid and executable, its parent's, the program an exec
// runs), for which profile, how, and what came of it. The tray keeps the
// last records in memory and appends each as a JSON line to a file of its
// own (mode 0600, rotated at MaxFile); `awstray log` prints them. A record
// holds names and numbers only, never a secret.
package usage

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/awstray/awstray/internal/oneline"
)

// The operations of a Record.
const (
	OpExec              = "exec"
	OpExport            = "export"
	OpCredentialProcess = "credential-process"
	OpServer            = "server" // a fetch of an exec --server endpoint
	OpConsole           = "console"
)

// The outcomes of a Record.
const (
	Served = "served"
	Denied = "denied" // a guarded profile the person refused (or did not answer for)
	Locked = "locked"
	Error  = "error"
)

// Record is one delivery, or one refused.
type Record struct {
	Time      time.Time `json:"time"`
	Profile   string    `json:"profile"`
	Op        string    `json:"op"`
	PID       int       `json:"pid,omitempty"`
	Exe       string    `json:"exe,omitempty"`
	ParentExe string    `json:"parent_exe,omitempty"`
	Program   string    `json:"program,omitempty"` // exec only: the base name of what it runs
	Outcome   string    `json:"outcome"`
	Error     string    `json:"error,omitempty"` // one line, as the agent answered
}

// Limits of the record.
const (
	MaxMemory = 1000    // records kept in memory
	MaxFile   = 1 << 20 // bytes of the file before it is rotated to FILE.1
	maxField  = 512     // bytes of one text field
)

// FileName is the record's file in the tray's state folder.
const FileName = "usage.jsonl"

// Log keeps the last MaxMemory records and appends each to a file.
type Log struct {
	path string // "" keeps the records in memory only

	mu   sync.Mutex // protects recs, next and full, and serialises the file's appends
	recs []Record   // a ring of MaxMemory
	next int        // where the next record goes in recs
	full bool       // recs has wrapped
}

// NewLog is a Log writing to path ("": none). The file's records are read
// back into memory, so a restarted tray still shows them.
func NewLog(path string) *Log {
	l := &Log{path: path, recs: make([]Record, MaxMemory)}
	if path != "" {
		if old, err := ReadFile(path); err == nil {
			for _, r := range old {
				l.keep(r)
			}
		}
	}
	return l
}

// Add records r. Its text fields are cut to one bounded line first. A
// failed write of the file is returned; the record is kept in memory
// either way.
func (l *Log) Add(r Record) error {
	r = Clean(r)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keep(r)
	if l.path == "" {
		return nil
	}
	return l.appendFile(r)
}

func (l *Log) keep(r Record) {
	l.recs[l.next] = r
	l.next = (l.next + 1) % len(l.recs)
	if l.next == 0 {
		l.full = true
	}
}

// Records returns the records in memory, oldest first.
func (l *Log) Records() []Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Record
	if l.full {
		out = append(out, l.recs[l.next:]...)
	}
	return append(out, l.recs[:l.next]...)
}

// Last returns the last n records, newest first.
func (l *Log) Last(n int) []Record {
	all := l.Records()
	out := make([]Record, 0, n)
	for i := len(all) - 1; i >= 0 && len(out) < n; i-- {
		out = append(out, all[i])
	}
	return out
}

// appendFile writes r as one line, rotating the file first when the line
// would take it over MaxFile. Called with mu held.
func (l *Log) appendFile(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encoding a usage record: %w", err)
	}
	line = append(line, '\n')
	if err := os.MkdirAll(filepath.Dir(l.path), 0o700); err != nil {
		return fmt.Errorf("writing the usage record: %w", err)
	}
	if fi, err := os.Lstat(l.path); err == nil && fi.Size()+int64(len(line)) > MaxFile {
		if err := os.Rename(l.path, l.path+".1"); err != nil {
			return fmt.Errorf("rotating the usage record: %w", err)
		}
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil {
		return fmt.Errorf("writing the usage record: %w", err)
	}
	// A file made by an older umask or by hand: the record is nobody
	// else's business.
	_ = f.Chmod(0o600)
	_, err = f.Write(line)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing the usage record: %w", err)
	}
	return nil
}

// ReadFile reads the records of path and of its rotated predecessor
// (path.1), oldest first. Lines that do not decode are skipped. A missing
// path.1 is not an error; a missing path is (os.ErrNotExist) unless
// path.1 exists.
func ReadFile(path string) ([]Record, error) {
	var out []Record
	old, errOld := readOne(path + ".1")
	out = append(out, old...)
	cur, err := readOne(path)
	out = append(out, cur...)
	if err != nil && (errOld != nil || !errors.Is(err, os.ErrNotExist)) {
		return out, err
	}
	return out, nil
}

func readOne(path string) ([]Record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	r := bufio.NewReader(io.LimitReader(f, 2*MaxFile))
	for {
		line, err := r.ReadBytes('\n')
		if len(line) > 0 {
			var rec Record
			if json.Unmarshal(line, &rec) == nil && !rec.Time.IsZero() {
				out = append(out, rec)
			}
		}
		if err != nil {
			break
		}
	}
	return out, nil
}

// Clean cuts every text field of r to one line of at most maxField bytes.
func Clean(r Record) Record {
	for _, s := range []*string{&r.Profile, &r.Op, &r.Exe, &r.ParentExe, &r.Program, &r.Outcome, &r.Error} {
		*s = oneline.Max(*s, maxField)
	}
	return r
}

// Filter keeps the records at or after since (zero: all) of profile (""
// : all).
func Filter(recs []Record, since time.Time, profile string) []Record {
	var out []Record
	for _, r := range recs {
		if (since.IsZero() || !r.Time.Before(since)) && (profile == "" || r.Profile == profile) {
			out = append(out, r)
		}
	}
	return out
}
