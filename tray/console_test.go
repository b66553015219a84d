package tray

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/internal/testenv"
)

// fakeFederation answers getSigninToken as AWS documents it, or with
// status when it is not 200.
func fakeFederation(t *testing.T, status int) (endpoint string, sessions func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.URL.Query().Get("Session"))
		mu.Unlock()
		if status != http.StatusOK {
			http.Error(w, "no "+r.URL.RawQuery, status)
			return
		}
		_, _ = w.Write([]byte(`{"SigninToken":"tray-token-1"}`))
	}))
	t.Cleanup(s.Close)
	return s.URL + "/federation", func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), got...) }
}

func TestAppOpenConsole(t *testing.T) {
	h := newApp(t)
	endpoint, sessions := fakeFederation(t, http.StatusOK)
	getenv := func(k string) string {
		return map[string]string{"AWSTRAY_FEDERATION_URL": endpoint, "AWS_REGION": "eu-west-1"}[k]
	}
	opened := make(chan string, 1)
	h.f.mu.Lock()
	h.f.console = ConsoleOpener(h.m, getenv, 10*time.Second, func(_ context.Context, _, link string) error {
		opened <- link
		return nil
	})
	h.f.mu.Unlock()

	h.app.Intents() <- Intent{Kind: IntentUnlock, Profile: "tool"}
	m := h.waitMenu(t, "tool unlocked", func(m Menu) bool { return title(m, "p/tool") == "tool — active" })
	if it := mustFind(t, m, "p/tool/console"); it.Disabled || it.Hidden {
		t.Fatalf("Open console is not offered: %+v", it)
	}
	h.app.Intents() <- Intent{Kind: IntentOpenConsole, Profile: "tool"}
	var link string
	select {
	case link = <-opened:
	case <-time.After(20 * time.Second):
		t.Fatal("the console was not opened")
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("SigninToken") != "tray-token-1" || q.Get("Destination") != "https://eu-west-1.console.aws.amazon.com/console/home?region=eu-west-1" {
		t.Fatalf("link %s", link)
	}
	if s := sessions(); len(s) != 1 || !strings.Contains(s[0], `"sessionId":"ASIAPROCESS000000001"`) {
		t.Fatalf("sessions sent: %v", s)
	}
	if notes, _, _ := h.f.snapshot(); len(notes) != 0 {
		t.Fatalf("notifications: %v", notes)
	}
}

func TestAppOpenConsoleError(t *testing.T) {
	h := newApp(t)
	endpoint, _ := fakeFederation(t, http.StatusBadRequest)
	getenv := func(k string) string { return map[string]string{"AWSTRAY_FEDERATION_URL": endpoint}[k] }
	h.f.mu.Lock()
	h.f.console = ConsoleOpener(h.m, getenv, 10*time.Second, func(context.Context, string, string) error {
		t.Error("a failed sign-in opened the browser")
		return nil
	})
	h.f.mu.Unlock()
	h.app.Intents() <- Intent{Kind: IntentOpenConsole, Profile: "tool"}
	waitFor(t, "the notification", func() bool { n, _, _ := h.f.snapshot(); return len(n) == 1 })
	notes, _, _ := h.f.snapshot()
	if !strings.HasPrefix(notes[0], "tool|Cannot open the AWS console for tool|getting a console sign-in token: 127.0.0.1:") || !strings.Contains(notes[0], "answered 400 Bad Request") {
		t.Fatalf("notification: %s", notes[0])
	}
	for _, secret := range []string{"process-secret", "process-token", "sessionKey"} {
		if strings.Contains(notes[0], secret) {
			t.Fatalf("a secret in the notification: %s", notes[0])
		}
	}
}

func TestConsoleOpenerRefusesMFAUser(t *testing.T) {
	h := newApp(t)
	cfg, err := awsconfig.Parse("config", []byte(processConfig+"\n[profile boss]\nmfa_serial = arn:aws:iam::123456789012:mfa/boss\n"))
	if err != nil {
		t.Fatal(err)
	}
	h.m.SetConfig(cfg, nil)
	open := ConsoleOpener(h.m, func(string) string { return "" }, time.Second, func(context.Context, string, string) error {
		t.Error("opened the browser")
		return nil
	})
	// Refused before the keyring (which holds no key for boss) or STS.
	if err := open(context.Background(), "boss"); !errors.Is(err, credentials.ErrFederationMFA) {
		t.Fatalf("boss: %v", err)
	}
	if err := open(context.Background(), "nope"); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unknown profile: %v", err)
	}
}

// TestBrowserOpenerFollowsTheSettings: Open console reads the settings at
// each click and starts the browser they choose for the profile, which gets
// the one-shot link only.
func TestBrowserOpenerFollowsTheSettings(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		testenv.Missing(t, "/bin/sh, to run the stand-in browser")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	script := filepath.Join(dir, "brave")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "settings.toml")
	// Written after the opener was made: the file is read at the click.
	open := BrowserOpener(path, time.Minute)
	if err := os.WriteFile(path, []byte("browser = \"nosuchbrowser\"\n[browsers]\n\"prod-*\" = \"chromium-profile "+script+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const secret = "https://signin.example/federation?Action=login&SigninToken=tray-s3cret"
	done := make(chan error, 1)
	go func() { done <- open(context.Background(), "prod-eu", secret) }()
	var argv []string
	for deadline := time.Now().Add(20 * time.Second); argv == nil; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(out); err == nil {
			argv = strings.Split(strings.TrimSpace(string(b)), "\n")
		} else if time.Now().After(deadline) {
			t.Fatal("the browser never ran")
		}
	}
	if len(argv) != 2 || argv[0] != "--profile-directory=awstray-prod-eu" || !strings.HasPrefix(argv[1], "http://127.0.0.1:") || strings.Contains(argv[1], "s3cret") {
		t.Fatalf("browser argv %q", argv)
	}
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(argv[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Location") != secret {
		t.Fatalf("the link: %s", resp.Status)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Another profile: the browser setting.
	if err := open(context.Background(), "dev", secret); err == nil || !strings.Contains(err.Error(), "nosuchbrowser is not installed") {
		t.Fatalf("dev: %v", err)
	}
}
