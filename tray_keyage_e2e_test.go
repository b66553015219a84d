//go:build linux

package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/testenv"
)

// TestTrayRotateKey clicks Rotate key… over D-Bus in the real tray, against
// a moto that enforces signatures: afterwards the old key is refused
// (InvalidClientTokenId), the stored key signs as the same user, and a
// notification names the new key, masked.
func TestTrayRotateKey(t *testing.T) {
	d := newTrayDesktop(t, "[profile bob]\nregion = us-east-1\n", "")
	// CreateUserKey takes moto's four unsigned calls; every call after it,
	// the tray's included, must be signed with a key moto knows.
	auth := testenv.StartMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT=4")
	oldID, oldSecret, err := auth.CreateUserKey("bob")
	if err != nil {
		t.Fatal(err)
	}
	leaks.secret(oldSecret)
	for i, kv := range d.env {
		if strings.HasPrefix(kv, "AWS_ENDPOINT_URL=") {
			d.env[i] = "AWS_ENDPOINT_URL=" + auth.URL
		}
	}
	d.run(t, oldID+"\n"+oldSecret+"\n", "add", "bob")
	if _, err := whoami(auth.URL, oldID, oldSecret); err != nil {
		t.Fatalf("the added key does not sign: %v", err)
	}

	c, _ := d.startTray(t)
	waitLabel(t, c, "bob — locked")
	if _, err := c.WaitFor(20*time.Second, "the key's age", func(m testenv.MenuItem) bool {
		_, ok := m.Find("bob — locked", "key 0 days old")
		return ok
	}); err != nil {
		t.Fatal(err)
	}
	click(t, c, "bob — locked", "Rotate key…")

	var done testenv.RecordedNotification
	for end := time.Now().Add(60 * time.Second); done.Summary == ""; {
		for _, n := range d.notes.Notifications() {
			if strings.HasPrefix(n.Summary, "Rotat") {
				done = n
			}
		}
		if done.Summary == "" {
			if time.Now().After(end) {
				t.Fatalf("no rotation notification: %+v", d.notes.Notifications())
			}
			d.notes.WaitFor(len(d.notes.Notifications())+1, time.Until(end))
		}
	}
	if done.Summary != "Rotated the key of bob" {
		t.Fatalf("notification %q: %s", done.Summary, done.Body)
	}

	out, _ := d.run(t, "", "export", "bob", "--no-session", "--format", "env-no-export")
	env := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			env[k] = v
		}
	}
	newID, newSecret := env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
	leaks.secret(newSecret)
	if newID == "" || newID == oldID {
		t.Fatalf("the stored key is %q after the rotation (old %s)", newID, oldID)
	}
	if want := "The new key " + credentials.MaskAccessKeyID(newID) + " is stored and works; the old key " + credentials.MaskAccessKeyID(oldID) + " is deleted from IAM."; done.Body != want {
		t.Errorf("notification body %q, want %q", done.Body, want)
	}
	checkNoSecret(t, "a notification", done.Summary+done.Body, []string{oldSecret, newSecret})
	if arn, err := whoami(auth.URL, newID, newSecret); err != nil || !strings.HasSuffix(arn, ":user/bob") {
		t.Fatalf("the stored key: %s %v", arn, err)
	}
	if out, err := whoami(auth.URL, oldID, oldSecret); err == nil || !strings.Contains(out, "InvalidClientTokenId") {
		t.Fatalf("the old key still signs, or fails otherwise: %v: %s", err, out)
	}
	// The menu shows the new key's age; list --json its creation time.
	waitLabel(t, c, "bob — locked")
	if _, err := c.WaitFor(20*time.Second, "Rotate key… enabled again", func(m testenv.MenuItem) bool {
		it, ok := m.Find("bob — locked", "Rotate key…")
		return ok && it.Enabled
	}); err != nil {
		t.Fatal(err)
	}
	if out, _ := d.run(t, "", "list", "--json"); !strings.Contains(out, `"key_created": "20`) {
		t.Fatalf("list --json after the rotation:\n%s", out)
	}
}

// whoami calls GetCallerIdentity at endpoint with a key, in the test
// binary's awstray-whoami mode; out is its output (the ARN, or the error).
func whoami(endpoint, id, secret string) (string, error) {
	cmd := exec.Command(os.Args[0])
	cmd.Args = []string{"awstray-whoami"}
	cmd.Env = []string{"AWS_ENDPOINT_URL=" + endpoint, "AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=" + id, "AWS_SECRET_ACCESS_KEY=" + secret}
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}
