//go:build unix

package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/awstray/awstray/internal/oneline"
)

// socketPermissions checks what the agent's Listen makes: a folder of ours
// that only we can enter, and a socket only we can use. Anyone who can
// connect to the socket can ask for credentials.
func socketPermissions(path string, sock os.FileInfo) *Result {
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil {
		return &Result{Status: Fail, Detail: "reading " + dir + ": " + oneline.String(err.Error()), Fix: "check the folder's permissions"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &Result{Status: Fail, Detail: fmt.Sprintf("the socket's folder %s belongs to another user (uid %d)", dir, st.Uid),
			Fix: "quit the tray, remove the folder, start the tray again"}
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return &Result{Status: Fail, Detail: fmt.Sprintf("the socket's folder %s is open to others (mode %04o)", dir, fi.Mode().Perm()),
			Fix: "chmod 700 " + dir}
	}
	if sock.Mode().Perm()&0o077 != 0 {
		return &Result{Status: Fail, Detail: fmt.Sprintf("the socket %s is open to others (mode %04o)", path, sock.Mode().Perm()),
			Fix: "quit the tray and start it again"}
	}
	return nil
}
