//go:build unix

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

var rotateKillSeed = flag.Uint64("rotate.seed", 0, "seed of TestRotateSIGKILL's random kill moments (0: a new one, printed)")

// killPoint is where the proxy kills the rotate: when a request of action
// arrives (it never reaches moto), or once moto has answered it (the answer
// never reaches rotate).
type killPoint struct {
	name   string
	action string
	after  bool
}

// killProxy forwards to moto and SIGKILLs the armed process at its point.
type killProxy struct {
	*testfake.CountingProxy

	// mu protects the armed point and process.
	mu    sync.Mutex
	point killPoint
	proc  *os.Process
	fired bool
}

func startKillProxy(t *testing.T, target string) *killProxy {
	t.Helper()
	p := &killProxy{CountingProxy: testfake.StartCountingProxy(t, target)}
	p.OnAction(func(action string, w http.ResponseWriter, r *http.Request, next http.Handler) {
		p.mu.Lock()
		hit := p.proc != nil && p.point.action == action
		proc, after := p.proc, p.point.after
		if hit {
			p.proc, p.fired = nil, true
		}
		p.mu.Unlock()
		if !hit {
			next.ServeHTTP(w, r)
			return
		}
		if after {
			next.ServeHTTP(httptest.NewRecorder(), r) // moto does it; rotate never hears
		}
		_ = proc.Signal(syscall.SIGKILL)
		// Answer nothing: the connection closes when the process is gone.
		select {
		case <-r.Context().Done():
		case <-time.After(20 * time.Second):
		}
	})
	return p
}

func (p *killProxy) arm(pt killPoint, proc *os.Process) {
	p.mu.Lock()
	p.point, p.proc, p.fired = pt, proc, false
	p.mu.Unlock()
}

// disarm reports whether the armed kill fired.
func (p *killProxy) disarm() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.proc = nil
	return p.fired
}

// killEnv is one IAM user in a moto that enforces signatures, its key
// stored by the real binary in a file keyring, reaching moto through the
// kill proxy.
type killEnv struct {
	s       *sandbox
	proxy   *killProxy
	motoURL string
	user    string
}

// start starts `awstray rotate kim`.
func (k *killEnv) start(t *testing.T) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(binary(t), "rotate", "kim")
	cmd.Env, cmd.Dir = k.s.env, k.s.tmp
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &e
}

func killed(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

func (k *killEnv) store(t *testing.T) *keystore.Store {
	t.Helper()
	st, err := keystore.Open(keystore.Options{
		Backend:        keystore.BackendFile,
		FileDir:        k.s.keyring,
		FilePassphrase: func() (string, error) { return "correct horse battery staple", nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// signs reports whether the key signs GetCallerIdentity in moto as the user.
func (k *killEnv) signs(id string, secret credentials.Secret) error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := credentials.NewSTSClient("us-east-1", k.motoURL, credentials.Credentials{AccessKeyID: id, SecretAccessKey: secret}, 20*time.Second)
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err == nil && !strings.HasSuffix(aws.ToString(out.Arn), ":user/"+k.user) {
		err = errors.New("signs as " + aws.ToString(out.Arn))
	}
	return err
}

func (k *killEnv) iamKeys(t *testing.T, id string, secret credentials.Secret) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(k.motoURL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret.Reveal()}, nil
		}),
	})
	out, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(k.user)})
	if err != nil {
		t.Fatalf("listing the keys in IAM: %v", err)
	}
	var ids []string
	for _, m := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(m.AccessKeyId))
	}
	return ids
}

// afterKill checks the keyring the killed rotate left: it holds a key that
// signs — the stored one, or, when that item was torn mid-write, the one
// kept aside. It returns false when no key there signs: a key lost.
func (k *killEnv) afterKill(t *testing.T, what string) (ok, torn bool) {
	t.Helper()
	st := k.store(t)
	id, secret, err := credentials.StoredKey(st, "kim")
	if err == nil {
		if err := k.signs(id, secret); err != nil {
			t.Errorf("%s: the stored key %s does not sign: %v", what, id, err)
			return false, false
		}
		return true, false
	}
	t.Logf("%s: the stored key is unreadable: %v", what, err)
	bid, bsecret, berr := credentials.RotationBackup(st, "kim")
	if berr != nil {
		t.Errorf("%s: the stored key is unreadable (%v) and no key is kept aside (%v)", what, err, berr)
		return false, true
	}
	if err := k.signs(bid, bsecret); err != nil {
		t.Errorf("%s: the stored key is unreadable (%v) and the key kept aside %s does not sign: %v", what, err, bid, err)
		return false, true
	}
	return true, true
}

// settled runs rotate again, undisturbed, and checks that it succeeds and
// leaves exactly one key in IAM, the stored one, which signs. It returns
// rotate's stderr and how long it ran.
func (k *killEnv) settled(t *testing.T, what string) (string, time.Duration, bool) {
	t.Helper()
	cmd, stderr := k.start(t)
	begin := time.Now()
	err := cmd.Wait()
	took := time.Since(begin)
	if err != nil {
		t.Errorf("%s: rotate again: %v\n%s", what, err, stderr)
		return stderr.String(), took, false
	}
	st := k.store(t)
	id, secret, err := credentials.StoredKey(st, "kim")
	if err != nil {
		t.Errorf("%s: after rotate again: %v", what, err)
		return stderr.String(), took, false
	}
	if err := k.signs(id, secret); err != nil {
		t.Errorf("%s: after rotate again the stored key %s does not sign: %v", what, id, err)
		return stderr.String(), took, false
	}
	if got := k.iamKeys(t, id, secret); !slices.Equal(got, []string{id}) {
		t.Errorf("%s: after rotate again IAM holds %v, want only the stored key %s", what, got, id)
		return stderr.String(), took, false
	}
	if _, _, err := credentials.RotationBackup(st, "kim"); !errors.Is(err, credentials.ErrNoKey) {
		t.Errorf("%s: after rotate again a backup item is left (%v)", what, err)
		return stderr.String(), took, false
	}
	return stderr.String(), took, true
}

// TestRotateSIGKILL kills the real `awstray rotate` (file keyring, moto
// enforcing signatures) at each step and at random moments. After every
// kill the keyring holds a key that signs, and rotate run again succeeds
// and leaves exactly one key in IAM: the stored one.
func TestRotateSIGKILL(t *testing.T) {
	moto := testenv.StartMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT=4")
	id, secret, err := moto.CreateUserKey("kim")
	if err != nil {
		t.Fatal(err)
	}
	proxy := startKillProxy(t, moto.URL)
	k := &killEnv{s: newSandbox(t, proxy.URL), proxy: proxy, motoURL: moto.URL, user: "kim"}
	if err := os.MkdirAll(filepath.Join(k.s.home, ".aws"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(k.s.home, ".aws", "config"), []byte("[profile kim]\nregion = us-east-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	k.s.run(t, id+"\n"+secret+"\n", "add", "kim")

	// One undisturbed rotate: it works. How long the last undisturbed one
	// took bounds the next random moment.
	_, full, ok := k.settled(t, "first rotate")
	if !ok {
		t.FailNow()
	}

	kills, lost, torn := 0, 0, 0
	count := func(ok, wasTorn bool) {
		kills++
		if !ok {
			lost++
		}
		if wasTorn {
			torn++
		}
	}
	for _, pt := range []killPoint{
		{"after ListAccessKeys", "ListAccessKeys", true},
		{"after the backup write (CreateAccessKey arrives)", "CreateAccessKey", false},
		{"after CreateAccessKey", "CreateAccessKey", true},
		{"after the keyring write (GetCallerIdentity arrives)", "GetCallerIdentity", false},
		{"after the check (DeleteAccessKey arrives)", "DeleteAccessKey", false},
		{"after DeleteAccessKey", "DeleteAccessKey", true},
	} {
		cmd, stderr := k.start(t)
		proxy.arm(pt, cmd.Process)
		err := cmd.Wait()
		if !proxy.disarm() || !killed(err) {
			t.Fatalf("%s: the rotate was not killed there (%v)\n%s", pt.name, err, stderr)
		}
		count(k.afterKill(t, pt.name))
		out, _, ok := k.settled(t, pt.name)
		if !ok {
			lost++
			continue
		}
		// Every kill after the backup write leaves a rotation that the
		// next rotate finishes first.
		if resumed := strings.Contains(out, "finished an earlier rotate of kim"); resumed != (pt.action != "ListAccessKeys") {
			t.Errorf("%s: rotate again said:\n%s", pt.name, out)
		}
	}

	seed := *rotateKillSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("random kills: -rotate.seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for random, tries := 0, 0; random < 20; tries++ {
		if tries == 60 {
			t.Fatalf("only %d of 60 rotates were still running at their random moment", random)
		}
		after := time.Duration(rng.Float64() * float64(full))
		cmd, _ := k.start(t)
		timer := time.AfterFunc(after, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		err := cmd.Wait()
		timer.Stop()
		what := "killed " + after.Round(time.Millisecond).String() + " after start"
		if killed(err) {
			random++
			count(k.afterKill(t, what))
		}
		out, took, ok := k.settled(t, what)
		if !ok && killed(err) {
			lost++
		}
		if ok && !strings.Contains(out, "finished an earlier rotate") {
			full = took // a plain rotation, as the next one will be
		}
	}
	t.Logf("%d keys lost over %d kills (%d left the stored key torn, the key kept aside signed)", lost, kills, torn)
	if lost > 0 {
		t.Fail()
	}
}
