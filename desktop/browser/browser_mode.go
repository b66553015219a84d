package browser

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/awstray/awstray/desktop/internal/spawn"
)

// The two built-in browser modes of the browser setting. Each may be
// followed by the browser's command (default firefox, chromium).
const (
	// ModeFirefoxContainer opens the console of each AWS profile in a
	// Firefox container of its own, named after the profile, through the
	// Granted Containers add-on's ext+granted-containers: link (maintained;
	// the older "Open external links in a container" add-on's
	// ext+container: asks before every unsigned link and has not been
	// updated since 2020).
	ModeFirefoxContainer = "firefox-container"
	// ModeChromiumProfile opens the console of each AWS profile in a
	// browser profile of its own of a Chromium-family browser (Chrome,
	// Chromium, Brave, Edge, Vivaldi): --profile-directory=awstray-NAME.
	//
	// --profile-directory rather than --user-data-dir: the profile lives
	// in the person's own browser (the running browser opens the window,
	// the profile is in its profile menu, the extensions installed in it —
	// a password manager — stay), which is why Granted moved to it in its
	// 0.16. Chromium creates a missing profile directory silently, which
	// here is what is wanted: the first sign-in makes it. --user-data-dir
	// would start a second, bare browser per AWS profile, without any
	// extension, for isolation that --profile-directory already gives
	// (each profile has its own cookies).
	ModeChromiumProfile = "chromium-profile"
)

// Browser is a parsed browser setting: a command line where %s stands for
// the URL (else the URL is its last argument) and %% for a percent sign, or
// one of the modes ModeFirefoxContainer and ModeChromiumProfile followed by
// an optional command. Quotes ('…' or "…") keep spaces in an argument.
type Browser struct {
	mode string   // "" for a plain command
	argv []string // the command, never empty
}

// Parse parses a browser setting. "" gives nil: the default browser
// (OpenURL's).
func Parse(spec string) (*Browser, error) {
	if strings.TrimSpace(spec) == "" {
		return nil, nil
	}
	fields, err := splitCommand(spec)
	if err != nil {
		return nil, err
	}
	b := &Browser{argv: fields}
	switch fields[0] {
	case ModeFirefoxContainer, ModeChromiumProfile:
		b.mode, b.argv = fields[0], fields[1:]
		if len(b.argv) == 0 {
			b.argv = []string{map[string]string{ModeFirefoxContainer: "firefox", ModeChromiumProfile: "chromium"}[b.mode]}
		}
		if b.argv[0] == "" {
			return nil, errors.New("the browser command is empty")
		}
		for _, f := range b.argv {
			if strings.Contains(f, "%s") {
				return nil, fmt.Errorf("%s takes the browser's command without %%s (the link is its last argument)", b.mode)
			}
		}
	}
	return b, nil
}

// splitCommand splits a command line into fields at spaces and tabs;
// single or double quotes keep spaces (backslashes are plain characters,
// as in Windows paths).
func splitCommand(s string) ([]string, error) {
	var fields []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				fields = append(fields, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("the browser command %q has an unclosed %c quote", s, quote)
	}
	if in {
		fields = append(fields, cur.String())
	}
	if len(fields) == 0 || fields[0] == "" {
		return nil, errors.New("the browser command is empty")
	}
	return fields, nil
}

// Argv is the command line that opens u as profile's console. u is the
// only URL it holds: pass the one-shot loopback URL, never a secret.
func (b *Browser) Argv(profile, u string) []string {
	argv := append([]string(nil), b.argv...)
	switch b.mode {
	case ModeFirefoxContainer:
		return append(argv, FirefoxContainerLink(profile, u))
	case ModeChromiumProfile:
		return append(argv, "--profile-directory="+ChromiumProfileDir(profile), u)
	}
	return withURL(argv, u)
}

// containerColors and containerIcons are the values the Granted
// Containers add-on accepts; it rejects the link for any other.
var (
	containerColors = []string{"blue", "turquoise", "green", "yellow", "orange", "red", "pink", "purple"}
	containerIcon   = "fingerprint"
)

// ContainerColor is the colour of profile's Firefox container: the same
// for a profile every time, one of the add-on's eight.
func ContainerColor(profile string) string {
	h := fnv.New32a()
	h.Write([]byte(profile))
	return containerColors[h.Sum32()%uint32(len(containerColors))]
}

// FirefoxContainerLink is the ext+granted-containers: link that opens u in
// the container named profile. Every parameter is escaped (a profile name
// may hold & or =); the add-on decodes the link once, then its query.
func FirefoxContainerLink(profile, u string) string {
	return "ext+granted-containers:name=" + url.QueryEscape(profile) +
		"&url=" + url.QueryEscape(u) +
		"&color=" + url.QueryEscape(ContainerColor(profile)) +
		"&icon=" + url.QueryEscape(containerIcon)
}

// ChromiumProfileDir is the browser profile directory of an AWS profile:
// awstray- and the name with every byte but letters, digits, - and _
// written %XX, so no name can reach outside the browser's data folder
// (.., /) or clash with a profile the person made.
func ChromiumProfileDir(profile string) string {
	var b strings.Builder
	b.WriteString("awstray-")
	for i := 0; i < len(profile); i++ {
		c := profile[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// OpenConsole opens target, a secret URL (the console sign-in link), as
// OpenSecretURL does, in browser b for profile; a nil b is the default
// browser. The browser's argv holds the one-shot loopback URL only.
func OpenConsole(ctx context.Context, target, profile string, b *Browser, timeout time.Duration) error {
	if b == nil {
		return OpenSecretURL(ctx, target, timeout)
	}
	return openSecret(ctx, target, timeout, func(ctx context.Context, u string) error {
		return b.start(ctx, profile, u, exec.LookPath)
	})
}

// start starts the browser on u and returns without waiting for it.
func (b *Browser) start(ctx context.Context, profile, u string, lookPath func(string) (string, error)) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("opening the browser: %w", err)
	}
	argv := b.Argv(profile, u)
	path, err := lookPath(argv[0])
	if err != nil {
		return fmt.Errorf("%w: %s is not installed or not on PATH; check the browser setting", ErrNoBrowser, argv[0])
	}
	c := exec.Command(path, argv[1:]...)
	c.Env = spawn.Env(os.Environ())
	spawn.Detach(c)
	if err := c.Start(); err != nil {
		return fmt.Errorf("starting the browser %s: %w", argv[0], err)
	}
	go func() { _ = c.Wait() }() // reap; the browser may run for hours
	return nil
}
