//go:build linux || darwin || freebsd

package agent

import (
	"context"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testPath is a socket path in a folder that Listen creates. macOS's
// temporary folder and a long test name can pass the 103 bytes a socket
// path may have; /tmp is short.
func testPath(t testing.TB) string {
	if p := filepath.Join(t.TempDir(), "agent", "agent.sock"); len(p) <= 100 {
		return p
	}
	dir, err := os.MkdirTemp("/tmp", "agt")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "agent", "agent.sock")
}

func TestSocketPath(t *testing.T) {
	tmp := filepath.Join(os.TempDir(), "awstray-"+strconv.Itoa(os.Getuid()), "agent.sock")
	tests := []struct {
		name    string
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"override", map[string]string{"AWSTRAY_AGENT_SOCKET": "/x/a.sock", "XDG_RUNTIME_DIR": "/run/user/7"}, "/x/a.sock", false},
		{"relative override", map[string]string{"AWSTRAY_AGENT_SOCKET": "a.sock"}, "", true},
		{"runtime dir", map[string]string{"XDG_RUNTIME_DIR": "/run/user/7"}, "/run/user/7/awstray/agent.sock", false},
		{"relative runtime dir", map[string]string{"XDG_RUNTIME_DIR": "run"}, tmp, false},
		{"no runtime dir", nil, tmp, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := SocketPath(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("SocketPath = %q, %v; want %q (error %v)", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestListenModes(t *testing.T) {
	old := syscall.Umask(0) // the modes must not depend on the umask
	defer syscall.Umask(old)
	path := filepath.Join(filepath.Dir(filepath.Dir(testPath(t))), "a", "b", "agent.sock")
	l, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for p, want := range map[string]fs.FileMode{filepath.Dir(path): fs.ModeDir | 0o700, path: fs.ModeSocket | 0o600} {
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode() & (fs.ModeType | fs.ModePerm); got != want {
			t.Errorf("mode of %s = %v, want %v", p, got, want)
		}
	}
	_ = l.Close()
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the socket outlived its listener: %v", err)
	}
}

func TestListenRefusesUnsafeFolder(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T, dir string)
		reason string
	}{
		{"open to the group", func(t *testing.T, dir string) { mkdir(t, dir, 0o750) }, "has mode 0750"},
		{"open to all", func(t *testing.T, dir string) { mkdir(t, dir, 0o777) }, "has mode 0777"},
		{"another owner", func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("chown needs root")
			}
			mkdir(t, dir, 0o700)
			if err := os.Chown(dir, 65534, 65534); err != nil {
				t.Fatal(err)
			}
		}, "belongs to uid 65534, not to you"},
		{"a symbolic link", func(t *testing.T, dir string) {
			target := filepath.Join(filepath.Dir(dir), "target")
			mkdir(t, target, 0o700)
			if err := os.Symlink(target, dir); err != nil {
				t.Fatal(err)
			}
		}, "is a symbolic link"},
		{"a file", func(t *testing.T, dir string) {
			if err := os.WriteFile(dir, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "is not a folder"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Dir(testPath(t))
			tc.setup(t, dir)
			l, err := Listen(filepath.Join(dir, "agent.sock"))
			if err == nil {
				_ = l.Close()
				t.Fatal("Listen accepted the folder")
			}
			var ue *UnsafeDirError
			if !errors.As(err, &ue) || ue.Path != dir || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("Listen error = %v, want *UnsafeDirError saying %q", err, tc.reason)
			}
		})
	}
}

func mkdir(t *testing.T, dir string, mode fs.FileMode) {
	t.Helper()
	if err := os.Mkdir(dir, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, mode); err != nil {
		t.Fatal(err)
	}
}

func TestListenBadPaths(t *testing.T) {
	file := testPath(t)
	mkdir(t, filepath.Dir(file), 0o700)
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path, want string }{
		{"relative", "agent.sock", "not absolute"},
		{"too long", "/" + strings.Repeat("x", 200) + "/agent.sock", "over the system's limit"},
		{"not a socket", file, "is not a socket"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Listen(tc.path)
			if err == nil {
				_ = l.Close()
				t.Fatal("Listen succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Listen error = %v, want %q", err, tc.want)
			}
		})
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("Listen removed a file that is not a socket: %v", err)
	}
}

// staleSocket leaves a socket at path that nobody listens on, as a
// crashed agent does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	mkdir(t, filepath.Dir(path), 0o700)
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	l.SetUnlinkOnClose(false)
	_ = l.Close()
}

func TestListenReplacesStaleSocket(t *testing.T) {
	path := testPath(t)
	staleSocket(t, path)
	if _, err := Dial(path, time.Second); !errors.Is(err, ErrNoAgent) {
		t.Errorf("Dial on a stale socket = %v, want ErrNoAgent", err)
	}
	s := startServer(t, path, newFakeBackend())
	if err := s.dial(t).Ping(context.Background()); err != nil {
		t.Errorf("Ping on the replaced socket: %v", err)
	}
}

func TestListenDoesNotStealLiveSocket(t *testing.T) {
	t.Run("another agent", func(t *testing.T) {
		s := startServer(t, "", newFakeBackend())
		l, err := Listen(s.path)
		if err == nil {
			_ = l.Close()
			t.Fatal("a second Listen succeeded")
		}
		var ae *AlreadyServingError
		if !errors.As(err, &ae) || ae.Path != s.path || err.Error() != "another awstray agent is serving "+s.path {
			t.Errorf("Listen error = %v, want *AlreadyServingError", err)
		}
		if err := s.dial(t).Ping(context.Background()); err != nil {
			t.Errorf("the first agent stopped serving: %v", err)
		}
	})
	t.Run("a listener without the lock", func(t *testing.T) {
		path := testPath(t)
		mkdir(t, filepath.Dir(path), 0o700)
		raw, err := net.Listen("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		s := serveOn(t, path, raw, newFakeBackend())
		l, err := Listen(path)
		if err == nil {
			_ = l.Close()
			t.Fatal("Listen took a live socket")
		}
		var ae *AlreadyServingError
		if !errors.As(err, &ae) {
			t.Errorf("Listen error = %v, want *AlreadyServingError", err)
		}
		if err := s.dial(t).Ping(context.Background()); err != nil {
			t.Errorf("the live agent stopped serving: %v", err)
		}
	})
}
