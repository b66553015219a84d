package agent

import (
	"context"
	"errors"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// TestPipeFirstClient: the first client of a new listener gets its answer,
// and so does every later one. go-winio's ListenPipe, used before, left
// the first client under Wine on an instance that nothing reads (issue 9).
func TestPipeFirstClient(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	for i := range 3 {
		c, err := Dial(s.path, time.Second)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = c.Ping(ctx)
		cancel()
		_ = c.Close()
		if err != nil {
			t.Fatalf("client %d got no answer: %v", i, err)
		}
	}
}

// TestPipeSecurity: the pipe belongs to the current user, and its DACL —
// protected from inheritance — grants that user alone.
func TestPipeSecurity(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	c := dialRaw(t, s.path)
	f, ok := c.c.(interface{ Fd() uintptr })
	if !ok {
		t.Fatalf("%T has no handle", c.c)
	}
	sd, err := windows.GetSecurityInfo(windows.Handle(f.Fd()), windows.SE_KERNEL_OBJECT,
		windows.OWNER_SECURITY_INFORMATION|windows.DACL_SECURITY_INFORMATION)
	if err != nil {
		t.Fatal(err)
	}
	me, err := currentSID()
	if err != nil {
		t.Fatal(err)
	}
	if owner, _, err := sd.Owner(); err != nil || owner == nil || !owner.Equals(me) {
		t.Errorf("owner = %v (%v), want %v", owner, err, me)
	}
	control, _, err := sd.Control()
	if err != nil || control&windows.SE_DACL_PROTECTED == 0 {
		t.Errorf("DACL not protected: control %#x, %v", control, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil || dacl == nil {
		t.Fatalf("no DACL: %v", err)
	}
	if dacl.AceCount != 1 {
		t.Fatalf("DACL has %d entries, want 1", dacl.AceCount)
	}
	var ace *windows.ACCESS_ALLOWED_ACE
	if err := windows.GetAce(dacl, 0, &ace); err != nil {
		t.Fatal(err)
	}
	sid := (*windows.SID)(unsafe.Pointer(&ace.SidStart))
	if ace.Header.AceType != windows.ACCESS_ALLOWED_ACE_TYPE || !sid.Equals(me) {
		t.Errorf("DACL entry: type %d for %v, want access allowed for %v", ace.Header.AceType, sid, me)
	}
}

// TestPipeAlreadyServing: a second agent on the same pipe is refused.
func TestPipeAlreadyServing(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	l, err := Listen(s.path)
	var ae *AlreadyServingError
	if !errors.As(err, &ae) {
		if l != nil {
			_ = l.Close()
		}
		t.Fatalf("Listen on a served pipe: %v, want *AlreadyServingError", err)
	}
	// Without the probe (a pipe that another user made first, whose
	// clients this user cannot open): Windows refuses a first instance of
	// a pipe that exists. Wine 10 does not (its server ignores
	// FILE_FLAG_FIRST_PIPE_INSTANCE); there every process is one user's.
	if pl, err := listenPipe(s.path, "D:P(A;;GA;;;OW)"); err == nil {
		_ = pl.Close()
		if !underWine() {
			t.Fatal("made a first instance of a pipe that exists")
		}
		t.Log("Wine made a first instance of a pipe that exists")
	}
}

// underWine reports whether this runs under Wine, whose ntdll has
// wine_get_version.
func underWine() bool {
	return windows.NewLazySystemDLL("ntdll.dll").NewProc("wine_get_version").Find() == nil
}
