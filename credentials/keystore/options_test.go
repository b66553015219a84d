package keystore

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"
)

func TestOptionsFromEnv(t *testing.T) {
	env := map[string]string{
		"AWSTRAY_BACKEND":                   "pass",
		"AWSTRAY_FILE_DIR":                  "/tmp/kr",
		"AWSTRAY_FILE_PASSPHRASE":           "s3cret",
		"AWSTRAY_PASS_DIR":                  "/tmp/ps",
		"AWSTRAY_PASS_CMD":                  "gopass",
		"AWSTRAY_PASS_PREFIX":               "aws",
		"AWSTRAY_SECRET_SERVICE_COLLECTION": "Login2",
		"AWSTRAY_KEYCTL_SCOPE":              "session",
	}
	o := OptionsFromEnv(func(k string) string { return env[k] })
	want := Options{Backend: "pass", FileDir: "/tmp/kr", PassDir: "/tmp/ps", PassCmd: "gopass", PassPrefix: "aws", Collection: "Login2", KeyctlScope: "session"}
	if o.FilePassphrase == nil {
		t.Fatal("FilePassphrase is nil with AWSTRAY_FILE_PASSPHRASE set")
	}
	if pw, err := o.FilePassphrase(); pw != "s3cret" || err != nil {
		t.Errorf("FilePassphrase() = %q, %v", pw, err)
	}
	o.FilePassphrase = nil
	if fmt.Sprintf("%+v", o) != fmt.Sprintf("%+v", want) {
		t.Errorf("OptionsFromEnv = %+v, want %+v", o, want)
	}

	empty := OptionsFromEnv(func(string) string { return "" })
	if empty.FilePassphrase != nil {
		t.Error("FilePassphrase is set without AWSTRAY_FILE_PASSPHRASE; the caller's prompt must be used")
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Setenv("PASSWORD_STORE_DIR", "/tmp/store")
	o := Options{}.withDefaults()
	if o.ServiceName != "awstray" || o.Collection != "login" || o.KeyctlScope != "user" ||
		o.KWalletFolder != "awstray" || o.PassCmd != "pass" || o.PassPrefix != "awstray" ||
		o.PassDir != "/tmp/store" || o.Timeout != 30*time.Second {
		t.Errorf("defaults = %+v", o)
	}
	dir, err := o.fileDir()
	if err != nil || filepath.Base(dir) != "keyring" || filepath.Base(filepath.Dir(dir)) != "awstray" {
		t.Errorf("fileDir() = %q, %v", dir, err)
	}
	home := t.TempDir()
	t.Setenv("HOME", home)
	if dir, err := (Options{FileDir: "~/kr"}).fileDir(); err != nil || dir != filepath.Join(home, "kr") {
		t.Errorf("fileDir(~/kr) = %q, %v", dir, err)
	}
}
