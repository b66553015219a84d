package tray

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
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
	h.f.console = ConsoleOpener(h.m, getenv, 10*time.Second, func(_ context.Context, link string) error {
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
	h.f.console = ConsoleOpener(h.m, getenv, 10*time.Second, func(context.Context, string) error {
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
	open := ConsoleOpener(h.m, func(string) string { return "" }, time.Second, func(context.Context, string) error {
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
