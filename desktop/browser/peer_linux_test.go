//go:build linux

package browser

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

func TestTCPOwner(t *testing.T) {
	client := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	server := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	// The kernel writes the address as a number in the machine's order.
	if c := procAddr(client); c != "0100007F:9C40" && c != "7F000001:9C40" {
		t.Fatalf("procAddr = %s", c)
	}
	// Two sockets of one loopback connection, as the kernel lists them.
	table := filepath.Join(t.TempDir(), "tcp")
	data := "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: " + procAddr(server) + " " + procAddr(client) + " 01 00000000:00000000 00:00000000 00000000  1000        0 111 1 0 20 4 30 10 -1\n" +
		"   1: " + procAddr(client) + " " + procAddr(server) + " 01 00000000:00000000 00:00000000 00000000    65534        0 222 1 0 20 4 30 10 -1\n"
	if err := os.WriteFile(table, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	if uid, err := tcpOwner(table, client, server); err != nil || uid != 65534 {
		t.Fatalf("client socket: %d, %v", uid, err)
	}
	if uid, err := tcpOwner(table, server, client); err != nil || uid != 1000 {
		t.Fatalf("server socket: %d, %v", uid, err)
	}
	if _, err := tcpOwner(table, client, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1}); err == nil {
		t.Fatal("found a socket that is not there")
	}
}

// TestServeOnceOtherUser: another user who read the one-shot URL from the
// browser's command line gets nothing, and the link stays for the browser.
func TestServeOnceOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		testenv.Missing(t, "root, to fetch the link as another user")
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		testenv.Missing(t, "a nobody user: %v", err)
	}
	setpriv, err1 := exec.LookPath("setpriv")
	curl, err2 := exec.LookPath("curl")
	if err1 != nil || err2 != nil {
		testenv.Missing(t, "setpriv and curl (util-linux, curl)")
	}
	const target = "https://signin.example/federation?Action=login&SigninToken=secret"
	o, err := ServeOnce(target, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	out, err := exec.Command(setpriv, "--reuid="+u.Uid, "--regid="+u.Gid, "--clear-groups", "--",
		curl, "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", o.URL).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "404" {
		t.Fatalf("nobody fetched the link: %q, %v", out, err)
	}
	resp, err := noRedirects().Get(o.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != target {
		t.Fatalf("our own fetch after nobody's: %s", resp.Status)
	}
	if err := o.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
}
