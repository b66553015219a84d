package agent

import (
	"context"
	"errors"
	"os"
	"testing"
)

// TestAskerReachesTheBackend: the backend gets the command and program the
// client sent and the pid the system reports for the client, and OpLog
// returns the backend's record; a refused guarded profile is CodeRefused
// with the line the CLI prints.
func TestAskerReachesTheBackend(t *testing.T) {
	s := startServer(t, "", newFakeBackend())
	c := s.dial(t)
	ctx := context.Background()
	if _, err := c.CredentialsAs(ctx, "dev", true, CommandExec, "terraform"); err != nil {
		t.Fatal(err)
	}
	s.b.mu.Lock()
	got := s.b.asked[len(s.b.asked)-1]
	s.b.mu.Unlock()
	if got.Command != CommandExec || got.Program != "terraform" || got.PeerPID != os.Getpid() {
		t.Fatalf("the backend got %+v, want exec of terraform by pid %d", got, os.Getpid())
	}
	recs, err := c.Usage(ctx)
	if err != nil || len(recs) != 1 || recs[0].Program != "terraform" || recs[0].PID != os.Getpid() {
		t.Fatalf("Usage = %+v, %v", recs, err)
	}
	_, err = c.CredentialsAs(ctx, "guarded", true, CommandExport, "")
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != CodeRefused || err.Error() != `credentials for profile "guarded" were refused in the tray` {
		t.Fatalf("a refused profile: %v", err)
	}
}
