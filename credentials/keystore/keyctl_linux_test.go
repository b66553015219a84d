package keystore

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/awstray/awstray/internal/testenv"
)

// openKeyctl opens a keyctl store with a keyring of its own in the user
// keyring (which every process of the user shares), unlinked at cleanup.
func openKeyctl(t *testing.T) (*Store, string) {
	t.Helper()
	name := randomName("awstray-test-")
	s, err := Open(Options{Backend: BackendKeyctl, ServiceName: name})
	if err != nil {
		testenv.Missing(t, "keyctl: %v", err)
	}
	t.Cleanup(func() {
		id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
		if err != nil {
			t.Errorf("finding keyring %s: %v", name, err)
			return
		}
		if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0); err != nil {
			t.Errorf("unlinking keyring %s: %v", name, err)
		}
	})
	if s.Backend() != BackendKeyctl {
		t.Fatalf("Backend() = %q", s.Backend())
	}
	return s, name
}

func TestKeyctl(t *testing.T) {
	runConformance(t, func(t *testing.T) *Store {
		s, _ := openKeyctl(t)
		return s
	})

	t.Run("SeenByKeyctl", func(t *testing.T) {
		// Another process (keyutils' keyctl) finds and reads the key, and
		// the key grants the user, not only its possessor, all rights.
		if _, err := exec.LookPath("keyctl"); err != nil {
			testenv.Missing(t, "keyctl is not installed (Debian package keyutils)")
		}
		s, name := openKeyctl(t)
		k := Key{Kind: KindSession, Profile: "my profile"}
		mustSet(t, s, k, []byte("kernel"))
		ring, err := exec.Command("keyctl", "search", "@u", "keyring", name).Output()
		if err != nil {
			t.Fatalf("keyctl search @u keyring %s: %v", name, err)
		}
		id, err := exec.Command("keyctl", "search", strings.TrimSpace(string(ring)), "user", k.String()).Output()
		if err != nil {
			t.Fatalf("keyctl search for %s: %v", k, err)
		}
		desc, err := exec.Command("keyctl", "rdescribe", strings.TrimSpace(string(id))).Output()
		f := strings.Split(strings.TrimSpace(string(desc)), ";") // type;uid;gid;perm;description
		if err != nil || len(f) != 5 || f[0] != "user" || f[3] != "3f3f0000" || f[4] != k.String() {
			t.Errorf("keyctl rdescribe = %q, %v; want a user key %s with perm 3f3f0000", desc, err, k)
		}
		data, err := exec.Command("keyctl", "pipe", strings.TrimSpace(string(id))).Output()
		if err != nil || string(data) != "kernel" {
			t.Errorf("keyctl pipe: %v (read %d bytes)", err, len(data))
		}
	})
}

// TestKeyctlTwoProcesses: the tray and the CLI write the same items at
// once. The keyring package passes each new key through the session
// keyring all processes share; without the lock in keyctlLocked, one of
// two processes running the Concurrent case gets "setting permission …
// permission denied" within a few runs.
func TestKeyctlTwoProcesses(t *testing.T) {
	if os.Getenv("AWSTRAY_KEYCTL_CHILD") == "1" {
		return // a child runs only the Concurrent case
	}
	openKeyctl(t) // Missing when the kernel refuses keyctl
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for i := 0; i < 2; i++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKeyctl$/^Concurrent$", "-test.count=15")
		cmd.Env = append(os.Environ(), "AWSTRAY_KEYCTL_CHILD=1")
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, out)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("process %d: %v\n%s", i, err, outs[i])
		}
	}
}
