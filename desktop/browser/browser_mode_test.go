package browser

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

func TestBrowserArgv(t *testing.T) {
	const u = "http://127.0.0.1:1/n"
	for _, tc := range []struct {
		spec, profile string
		want          []string
	}{
		{"firefox", "p", []string{"firefox", u}},
		{"firefox --new-window %s --x=100%%", "p", []string{"firefox", "--new-window", u, "--x=100%"}},
		{`"C:\Program Files\Mozilla Firefox\firefox.exe" -P 'my work'`, "p", []string{`C:\Program Files\Mozilla Firefox\firefox.exe`, "-P", "my work", u}},
		{"firefox-container", "work", []string{"firefox", "ext+granted-containers:name=work&url=http%3A%2F%2F127.0.0.1%3A1%2Fn&color=" + ContainerColor("work") + "&icon=fingerprint"}},
		{"firefox-container flatpak run org.mozilla.firefox", "a&b=c d", []string{"flatpak", "run", "org.mozilla.firefox",
			"ext+granted-containers:name=a%26b%3Dc+d&url=http%3A%2F%2F127.0.0.1%3A1%2Fn&color=" + ContainerColor("a&b=c d") + "&icon=fingerprint"}},
		{"chromium-profile", "work", []string{"chromium", "--profile-directory=awstray-work", u}},
		{"chromium-profile google-chrome --new-window", "../x/Prod.1", []string{"google-chrome", "--new-window", "--profile-directory=awstray-%2E%2E%2Fx%2FProd%2E1", u}},
	} {
		b, err := Parse(tc.spec)
		if err != nil {
			t.Fatalf("%q: %v", tc.spec, err)
		}
		if got := b.Argv(tc.profile, u); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q for %q:\n got %q\nwant %q", tc.spec, tc.profile, got, tc.want)
		}
	}
	if b, err := Parse("  "); b != nil || err != nil {
		t.Errorf("empty: %v %v", b, err)
	}
	for spec, want := range map[string]string{
		"firefox 'x":                  `the browser command "firefox 'x" has an unclosed ' quote`,
		`""`:                          "the browser command is empty",
		"firefox-container ff %s":     "firefox-container takes the browser's command without %s (the link is its last argument)",
		"chromium-profile brave --%s": "chromium-profile takes the browser's command without %s (the link is its last argument)",
	} {
		if _, err := Parse(spec); err == nil || err.Error() != want {
			t.Errorf("%q: %v, want %q", spec, err, want)
		}
	}
}

// TestFirefoxContainerLinkRoundTrip reads the link back as the add-on
// does: the protocol handler hands it over escaped, the add-on decodes
// it once and parses the rest as a query.
func TestFirefoxContainerLinkRoundTrip(t *testing.T) {
	for _, profile := range []string{"work", "a&url=https://evil.example/&name=x", "ünï cödé+%20", "#frag?q"} {
		const u = "http://127.0.0.1:4242/abc_-DEF"
		link := FirefoxContainerLink(profile, u)
		handed, err := url.PathUnescape(url.PathEscape(link)) // Firefox's %s, then decodeURIComponent
		if err != nil {
			t.Fatal(err)
		}
		q, err := url.ParseQuery(strings.TrimPrefix(handed, "ext+granted-containers:"))
		if err != nil {
			t.Fatal(err)
		}
		if q.Get("name") != profile || q.Get("url") != u || len(q["url"]) != 1 || len(q["name"]) != 1 ||
			!strings.Contains(strings.Join(containerColors, " "), q.Get("color")) || q.Get("icon") != "fingerprint" {
			t.Errorf("%q: %q read back as %v", profile, link, q)
		}
	}
	// The colour is pinned: a changed hash would recolour every container.
	if got := ContainerColor("alice"); got != "purple" {
		t.Errorf("alice's colour %s", got)
	}
}

func TestChromiumProfileDir(t *testing.T) {
	for _, p := range []string{"..", "a/b", `a\b`, "x.", "CON", "é", "a b"} {
		d := ChromiumProfileDir(p)
		if strings.ContainsAny(strings.TrimPrefix(d, "awstray-"), `./\ `) || !strings.HasPrefix(d, "awstray-") || filepath.Base(d) != d {
			t.Errorf("%q: %q", p, d)
		}
	}
	if ChromiumProfileDir("a/b") == ChromiumProfileDir("a%2Fb") {
		t.Error("two profiles share a directory")
	}
}

// TestOpenConsoleContainer runs a real stand-in browser in the container
// mode: its argv holds the one-shot URL inside the container link and
// nothing of the secret; the link, fetched as the add-on would, signs in
// once.
func TestOpenConsoleContainer(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		testenv.Missing(t, "/bin/sh, to run the stand-in browser")
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "argv")
	script := filepath.Join(dir, "firefox")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > "+out+".tmp && mv "+out+".tmp "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := Parse("firefox-container " + script + " --new-tab")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "https://signin.example/federation?Action=login&SigninToken=s3cret"
	done := make(chan error, 1)
	go func() { done <- OpenConsole(context.Background(), secret, "prod&x", b, time.Minute) }()

	var argv []string
	for deadline := time.Now().Add(20 * time.Second); argv == nil; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(out); err == nil {
			argv = strings.Split(strings.TrimSpace(string(b)), "\n")
		} else if time.Now().After(deadline) {
			t.Fatal("the browser never ran")
		}
	}
	if len(argv) != 2 || argv[0] != "--new-tab" || strings.Contains(strings.Join(argv, " "), "s3cret") || strings.Contains(strings.Join(argv, " "), "signin") {
		t.Fatalf("browser argv %q", argv)
	}
	q, err := url.ParseQuery(strings.TrimPrefix(argv[1], "ext+granted-containers:"))
	if err != nil || q.Get("name") != "prod&x" || !strings.HasPrefix(q.Get("url"), "http://127.0.0.1:") {
		t.Fatalf("container link %q: %v %v", argv[1], q, err)
	}
	resp, err := noRedirects().Get(q.Get("url"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != secret {
		t.Fatalf("the link: %s %s", resp.Status, resp.Header.Get("Location"))
	}
	if err := <-done; err != nil {
		t.Fatalf("OpenConsole: %v", err)
	}
}

func TestOpenConsoleNoBrowser(t *testing.T) {
	b, err := Parse("chromium-profile /nonexistent/brave")
	if err != nil {
		t.Fatal(err)
	}
	err = OpenConsole(context.Background(), "https://x/?SigninToken=s3cret", "p", b, time.Minute)
	if err == nil || err.Error() != "no browser found: /nonexistent/brave is not installed or not on PATH; check the browser setting" {
		t.Fatalf("error %v", err)
	}
}
