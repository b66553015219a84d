package browser

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

func TestBrowserCommands(t *testing.T) {
	const u = "http://127.0.0.1:1/n"
	for _, tc := range []struct {
		goos, browser string
		want          [][]string
	}{
		{"linux", "", [][]string{{"xdg-open", u}}},
		{"freebsd", "", [][]string{{"xdg-open", u}}},
		{"darwin", "", [][]string{{"open", u}}},
		{"windows", "", [][]string{{"rundll32", "url.dll,FileProtocolHandler", u}}},
		{"linux", "firefox", [][]string{{"firefox", u}, {"xdg-open", u}}},
		{"linux", "firefox --new-window %s:chromium::w3m -o x=100%% %s", [][]string{
			{"firefox", "--new-window", u}, {"chromium", u}, {"w3m", "-o", "x=100%", u}, {"xdg-open", u}}},
		{"darwin", "x-www-browser '%s'", [][]string{{"x-www-browser", "'" + u + "'"}, {"open", u}}},
	} {
		got := browserCommands(tc.goos, u, func(k string) string { return map[string]string{"BROWSER": tc.browser}[k] })
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s BROWSER=%q:\n got %q\nwant %q", tc.goos, tc.browser, got, tc.want)
		}
	}
}

func TestOpenURLNothingFound(t *testing.T) {
	getenv := func(k string) string { return map[string]string{"BROWSER": "nosuchbrowser"}[k] }
	lookPath := func(string) (string, error) { return "", errors.New("not found") }
	err := openURL(context.Background(), "linux", "http://x/", getenv, lookPath)
	if !errors.Is(err, ErrNoBrowser) || err.Error() != "no browser found (tried nosuchbrowser, xdg-open): install xdg-utils (xdg-open) or set BROWSER" {
		t.Fatalf("error %v", err)
	}
}

// TestOpenURLStartsAndReturns runs a real stand-in browser: OpenURL returns
// before it exits, and it gets the URL as its argument.
func TestOpenURLStartsAndReturns(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		testenv.Missing(t, "/bin/sh, to run the stand-in browser")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsleep 1\necho \"$@\" > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BROWSER", "/nonexistent/browser:"+script+" --flag %s")
	start := time.Now()
	if err := OpenURL(context.Background(), "http://127.0.0.1:9/x"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 900*time.Millisecond {
		t.Fatalf("OpenURL waited %s for the browser", d)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(out)
		if err == nil {
			if got := strings.TrimSpace(string(b)); got != "--flag http://127.0.0.1:9/x" {
				t.Fatalf("browser argv %q", got)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the browser never ran")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func noRedirects() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestServeOnce(t *testing.T) {
	const target = "https://signin.example/federation?Action=login&SigninToken=secret"
	o, err := ServeOnce(target, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	if strings.Contains(o.URL, "secret") || !strings.HasPrefix(o.URL, "http://127.0.0.1:") || len(o.URL[strings.LastIndex(o.URL, "/")+1:]) != 43 {
		t.Fatalf("one-shot URL %s", o.URL)
	}
	c := noRedirects()
	// Wrong nonces do not use it up.
	for _, u := range []string{o.URL + "x", o.URL[:len(o.URL)-1], strings.TrimSuffix(o.URL, o.URL[strings.LastIndex(o.URL, "/"):]) + "/"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s: %s", u, resp.Status)
		}
	}
	resp, err := c.Get(o.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != target || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("first fetch: %s %v", resp.Status, resp.Header)
	}
	if err := o.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	resp, err = c.Get(o.URL)
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusSeeOther {
			t.Fatal("the second fetch was redirected too")
		}
	}
}

func TestServeOnceTimesOut(t *testing.T) {
	o, err := ServeOnce("https://x/", 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Wait(context.Background()); !errors.Is(err, ErrNotFetched) {
		t.Fatalf("Wait: %v", err)
	}
	if resp, err := noRedirects().Get(o.URL); err == nil {
		resp.Body.Close()
		t.Fatalf("served after its deadline: %s", resp.Status)
	}
}

func TestServeOnceCancel(t *testing.T) {
	o, err := ServeOnce("https://x/", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := o.Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait: %v", err)
	}
}
