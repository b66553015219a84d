//go:build !windows

package tray

import (
	"bytes"
	"errors"
	"fmt"
	"html"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/awstray/awstray/packaging"
)

// entryKind is one kind of autostart file: how awstray writes it for a
// program, and how the program's text in it reads back.
type entryKind struct {
	make   func(exe string) []byte // packaging.AutostartEntry, packaging.LaunchAgent
	decode func(text string) string
}

var (
	// xdgEntry is $XDG_CONFIG_HOME/autostart/awstray.desktop.
	xdgEntry = entryKind{make: packaging.AutostartEntry, decode: unquoteExec}
	// launchAgent is ~/Library/LaunchAgents/dev.awstray.awstray.plist,
	// whose program is XML-escaped text.
	launchAgent = entryKind{make: packaging.LaunchAgent, decode: html.UnescapeString}
)

// unquoteExec reads back one argument of a desktop entry's Exec key as
// packaging.AutostartEntry quotes it. A text it did not quote may read
// wrong: the round trip in program then finds the file not ours.
func unquoteExec(s string) string {
	if inner, ok := strings.CutPrefix(s, `"`); ok && len(inner) > 0 {
		inner = strings.TrimSuffix(inner, `"`)
		var b strings.Builder
		for i := 0; i < len(inner); i++ {
			rest := inner[i:]
			switch {
			case strings.HasPrefix(rest, `\\\\`): // a backslash
				b.WriteByte('\\')
				i += 3
			case strings.HasPrefix(rest, `\\`) && len(rest) > 2 && strings.ContainsRune("\"`$", rune(rest[2])):
				b.WriteByte(rest[2])
				i += 2
			case strings.HasPrefix(rest, `\n`):
				b.WriteByte('\n')
				i++
			case strings.HasPrefix(rest, `\t`):
				b.WriteByte('\t')
				i++
			default:
				b.WriteByte(inner[i])
			}
		}
		s = b.String()
	}
	return strings.ReplaceAll(s, "%%", "%")
}

// program is the program entry k names in content, when content is byte
// for byte what k.make writes for that program; ok is false for any other
// file, however close. The test is the round trip: the text where the
// program stands is decoded, the entry made again for it, and the two
// compared — so a person's edit anywhere (a flag, a delay, a disabled
// key, other line endings) makes the file theirs.
func (k entryKind) program(content []byte) (exe string, ok bool) {
	const mark = "/awstray-program-mark"
	var pre, post string
	for l := range strings.SplitAfterSeq(string(k.make(mark)), "\n") {
		if a, b, found := strings.Cut(l, mark); found {
			pre, post = a, b
			break
		}
	}
	if pre == "" {
		return "", false // the template has no program: nothing is ours
	}
	for l := range strings.SplitAfterSeq(string(content), "\n") {
		text, found := strings.CutPrefix(l, pre)
		if !found {
			continue
		}
		if text, found = strings.CutSuffix(text, post); !found {
			return "", false
		}
		exe = k.decode(text)
		// The tray writes the absolute path of the running program; an
		// entry naming a bare "awstray" is a copy of the one the packages
		// ship, put there by the person.
		return exe, filepath.IsAbs(exe) && bytes.Equal(k.make(exe), content)
	}
	return "", false
}

// syncEntry makes the file at path follow on: when on, it holds k's entry
// for exe (written only when it differs); when off, it is gone. A file
// that is not k's entry for some program is the person's: it is left as
// it is and the answer is a *NotOursError.
func syncEntry(path string, k entryKind, exe string, on bool) error {
	// A link (to the packages' entry, to a dotfiles repository) is the
	// person's way of keeping the entry: never replaced, never removed.
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return &NotOursError{Path: path}
	}
	old, err := os.ReadFile(path)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	if exists {
		if _, ours := k.program(old); !ours {
			return &NotOursError{Path: path}
		}
	}
	if !on {
		if !exists {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("removing %s: %w", path, err)
		}
		return nil
	}
	want := k.make(exe)
	if exists && bytes.Equal(old, want) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", filepath.Dir(path), err)
	}
	if err := replaceFile(path, want); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// replaceFile writes data to path through a temporary file beside it, so
// a session that starts meanwhile reads the old entry or the new one,
// never half of one. The temporary name does not end in the entry's
// extension: nothing reads it as an entry.
func replaceFile(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}
