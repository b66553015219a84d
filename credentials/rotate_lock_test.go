package credentials

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// isolateLocks gives the test a private folder of its own for lock files,
// so that rotations in other test processes of this user do not meet it.
func isolateLocks(t *testing.T) { t.Setenv("XDG_RUNTIME_DIR", t.TempDir()) }

// gatedIAM holds the first CreateAccessKey until release is closed (it
// closes arrived when that call arrives), and counts the calls it gets.
type gatedIAM struct {
	*fakeIAM

	mu      sync.Mutex // protects calls and arrived
	calls   int
	arrived chan struct{} // nil once closed
	release chan struct{}
}

func (g *gatedIAM) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.calls
}

func (g *gatedIAM) CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, o ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	g.mu.Lock()
	g.calls++
	first := g.arrived != nil
	if first {
		close(g.arrived)
		g.arrived = nil
	}
	g.mu.Unlock()
	if first {
		<-g.release
	}
	return g.fakeIAM.CreateAccessKey(ctx, in, o...)
}

func (g *gatedIAM) ListAccessKeys(ctx context.Context, in *iam.ListAccessKeysInput, o ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	g.mu.Lock()
	g.calls++
	g.mu.Unlock()
	return g.fakeIAM.ListAccessKeys(ctx, in, o...)
}

// TestRotateLocked: a second Rotate of a profile while one runs is refused
// at once, before any IAM call, naming the process that rotates; the first
// one finishes undisturbed. (Real processes: TestRotateTwoProcesses.)
func TestRotateLocked(t *testing.T) {
	isolateLocks(t)
	ctx := context.Background()
	h := newHarness(t)
	arrived := make(chan struct{})
	g := &gatedIAM{fakeIAM: newFakeIAM(), arrived: arrived, release: make(chan struct{})}
	h.r.NewIAM = func(Credentials) IAMAPI { return g }
	url := stsAnswering(t)
	h.r.Getenv = func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": url}[k] }

	first := make(chan error, 1)
	go func() {
		_, err := h.r.Rotate(ctx, "plain")
		first <- err
	}()
	select {
	case <-arrived:
	case err := <-first:
		t.Fatalf("the first rotate ended before CreateAccessKey: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the first rotate did not reach CreateAccessKey")
	}
	calls := g.count()
	_, err := h.r.Rotate(ctx, "plain")
	want := fmt.Sprintf("a rotation of profile \"plain\" is already running (pid %d); nothing was changed", os.Getpid())
	if err == nil || err.Error() != want {
		t.Errorf("second rotate: %v\nwant: %s", err, want)
	}
	if n := g.count(); n != calls {
		t.Errorf("the second rotate called IAM %d times", n-calls)
	}
	close(g.release)
	if err := <-first; err != nil {
		t.Fatalf("the first rotate: %v", err)
	}
	if id, _ := StoredAccessKeyID(h.store, "plain"); id != "AKIANEWKEY0000000001" {
		t.Fatalf("stored %s", id)
	}
}
