package doctor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/desktop/dialog"
	"github.com/awstray/awstray/desktop/terminal"
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/settings"
)

// checkDialog finds the program that asks for MFA codes and passphrases,
// as the Prompter picks it (dialog.ToolsFor).
func checkDialog(e Env, st settingsState) Result {
	tool := st.s.Dialogs
	var ykman string
	if tool == dialog.ToolYkman {
		if _, err := e.LookPath("ykman"); err != nil {
			return Result{Status: Fail, Detail: "the dialogs setting is ykman, and ykman is not installed",
				Fix: "install yubikey-manager, or change dialogs in " + st.path}
		}
		ykman = "; MFA codes from ykman"
	}
	cands := dialog.ToolsFor(tool, e.GOOS, e.Getenv)
	for _, c := range cands {
		prog := dialog.Program(c, e.GOOS)
		if _, err := e.LookPath(prog); err != nil {
			continue
		}
		if (c == dialog.ToolZenity || c == dialog.ToolKdialog) && e.Getenv("DISPLAY") == "" && e.Getenv("WAYLAND_DISPLAY") == "" {
			return Result{Status: Warn, Detail: c + " cannot show a dialog: no graphical session (DISPLAY and WAYLAND_DISPLAY are unset)",
				Fix: "MFA codes and passphrases are asked on the terminal; the tray needs a desktop session"}
		}
		return Result{Status: OK, Detail: c + ykman}
	}
	if len(cands) == 1 && tool != "" {
		return Result{Status: Fail, Detail: "the dialogs setting is " + tool + ", and it is not installed",
			Fix: "install it, or change dialogs in " + st.path}
	}
	fix := "install zenity (or kdialog on KDE)"
	if cands[0] == dialog.ToolKdialog {
		fix = "install kdialog (or zenity)"
	}
	return Result{Status: Fail, Detail: "no " + strings.Join(cands, " or ") + " found: the tray cannot ask for MFA codes", Fix: fix}
}

// checkTerminal finds the terminal "Open terminal" starts.
func checkTerminal(e Env, st settingsState) Result {
	t, err := terminal.Find(st.s.Terminal, e.Getenv, e.LookPath)
	switch {
	case errors.Is(err, terminal.ErrNoTerminal):
		return Result{Status: Fail, Detail: "no terminal emulator found",
			Fix: "install one (xterm, gnome-terminal, konsole, …) or set terminal in " + st.path}
	case err != nil:
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "install it, or change terminal in " + st.path}
	}
	return Result{Status: OK, Detail: t.Name}
}

// checkSettings reads awstray's settings file.
func checkSettings(e Env, err error) Result {
	path, perr := settings.Path(e.Getenv)
	if perr != nil {
		return Result{Status: Fail, Detail: oneline.String(perr.Error()), Fix: "set AWSTRAY_SETTINGS to the settings file"}
	}
	var fe *settings.FileError
	switch {
	case errors.As(err, &fe):
		return Result{Status: Warn, Detail: oneline.String(fe.Error()), Fix: "fix the file; the other settings apply"}
	case err != nil:
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "check the file's permissions"}
	}
	if _, err := os.Stat(path); err != nil {
		return Result{Status: OK, Detail: "defaults (no " + path + ")"}
	}
	return Result{Status: OK, Detail: path}
}

// checkConfig parses the AWS config; the first error comes with its line.
func checkConfig(e Env) configResult {
	path, err := awsconfig.DefaultPath(e.Getenv)
	if err != nil {
		return configResult{Result: Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "set AWS_CONFIG_FILE"}}
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		cfg, _ := awsconfig.Parse(path, nil)
		return configResult{Result: Result{Status: Warn, Detail: "no AWS config at " + path, Fix: "add a profile: awstray add NAME"}, cfg: cfg}
	}
	cfg, err := awsconfig.Load(path)
	var se *awsconfig.SyntaxError
	switch {
	case errors.As(err, &se):
		return configResult{Result: Result{Status: Fail, Detail: oneline.String(se.Error()), Fix: fmt.Sprintf("correct line %d of %s", se.Line, path)}}
	case err != nil:
		return configResult{Result: Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "check the file's permissions"}}
	}
	n := len(cfg.Profiles)
	plural := "s"
	if n == 1 {
		plural = ""
	}
	return configResult{Result: Result{Status: OK, Detail: fmt.Sprintf("%s (%d profile%s)", path, n, plural)}, cfg: cfg}
}

// checkAgent looks for the tray's agent: its socket, the socket's
// folder's permissions, and an answer to a ping.
func checkAgent(ctx context.Context, e Env) Result {
	path, err := agent.SocketPath(e.Getenv)
	if err != nil {
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "correct AWSTRAY_AGENT_SOCKET"}
	}
	start := "start it: awstray tray (or log in again if it starts with the session)"
	if e.GOOS != "windows" {
		fi, err := os.Lstat(path)
		if errors.Is(err, os.ErrNotExist) {
			return Result{Status: Warn, Detail: "the tray is not running (no socket at " + path + ")", Fix: start}
		}
		if err != nil {
			return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "check the permissions of " + filepath.Dir(path)}
		}
		if fi.Mode()&os.ModeSocket == 0 {
			return Result{Status: Fail, Detail: path + " is not a socket", Fix: "remove it, then start the tray"}
		}
		if r := socketPermissions(path, fi); r != nil {
			return *r
		}
	}
	c, err := agent.Dial(path, e.Timeout)
	if errors.Is(err, agent.ErrNoAgent) {
		return Result{Status: Warn, Detail: "the tray is not running (nothing listens on " + path + ")", Fix: start}
	}
	if err != nil {
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "quit the program that listens there, then start the tray"}
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		return Result{Status: Fail, Detail: "the tray does not answer at " + path + ": " + oneline.String(err.Error()),
			Fix: "quit the tray and start it again"}
	}
	return Result{Status: OK, Detail: "the tray answers at " + path}
}

// checkClock compares this computer's clock with the Date of STS's answer
// to an unsigned request: no credentials are sent.
func checkClock(ctx context.Context, e Env) Result {
	endpoint, err := stsEndpoint(e)
	if err != nil {
		return Result{Status: Warn, Detail: "the clock was not checked: " + oneline.String(err.Error()), Fix: "correct the STS endpoint"}
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return Result{Status: Warn, Detail: "the clock was not checked: the STS endpoint is not a URL", Fix: "correct AWS_ENDPOINT_URL_STS or AWS_ENDPOINT_URL"}
	}
	host := u.Host // never the user info or query of a configured URL
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Result{Status: Warn, Detail: "the clock was not checked: " + oneline.String(err.Error()), Fix: "correct the STS endpoint"}
	}
	client := &http.Client{
		// An answer of any kind will do: its Date is what counts.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	sent := e.Now()
	resp, err := client.Do(req)
	if err != nil {
		return Result{Status: Warn, Detail: "the clock was not checked: STS at " + host + " did not answer: " + oneline.String(errText(err)),
			Fix: "check the network connection"}
	}
	got := e.Now()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	date, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		return Result{Status: Warn, Detail: "the clock was not checked: STS at " + host + " answered without a Date", Fix: "check for a proxy in the way"}
	}
	// Date has whole seconds: compare with the middle of the exchange,
	// less the half second Date loses on average.
	mid := sent.Add(got.Sub(sent) / 2)
	off := date.Add(500 * time.Millisecond).Sub(mid)
	mins := int(math.Round(math.Abs(off.Minutes())))
	if mins == 0 {
		return Result{Status: OK, Detail: "less than a minute off STS at " + host}
	}
	unit, way := "minutes", "slow"
	if mins == 1 {
		unit = "minute"
	}
	if off < 0 {
		way = "fast"
	}
	r := Result{Status: Warn, Detail: fmt.Sprintf("%d %s off STS at %s (this clock is %s)", mins, unit, host, way), Fix: clockFix(e.GOOS)}
	if mins >= 5 { // SigV4 refuses signatures more than five minutes off
		r.Status = Fail
		r.Detail += ": AWS refuses requests signed with it"
	}
	return r
}

// errText is a network error without the method and URL the http package
// puts in front.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// stsEndpoint is where STS requests go: as the SDKs look it up for the
// default profile, else the regional endpoint.
func stsEndpoint(e Env) (string, error) {
	var cfg *awsconfig.Config
	var p *awsconfig.Profile
	if path, err := awsconfig.DefaultPath(e.Getenv); err == nil {
		if c, err := awsconfig.Load(path); err == nil {
			cfg = c
			name := e.Getenv("AWS_PROFILE")
			if name == "" {
				name = "default"
			}
			for _, q := range c.Profiles {
				if q.Name == name {
					p = q
				}
			}
		}
	}
	if u := cfg.Endpoint(p, "sts", e.Getenv); u != "" {
		return u, nil
	}
	region := awsconfig.Region(p, e.Getenv)
	if region == "" {
		region = "us-east-1"
	}
	if strings.HasPrefix(region, "cn-") {
		return "https://sts." + region + ".amazonaws.com.cn", nil
	}
	return "https://sts." + region + ".amazonaws.com", nil
}

func clockFix(goos string) string {
	switch goos {
	case "windows":
		return "correct the clock (e.g. w32tm /resync)"
	case "darwin":
		return "correct the clock (System Settings, Date & Time: set automatically)"
	}
	return "correct the clock (e.g. timedatectl set-ntp true)"
}

// checkProfiles says, per profile, where its credentials come from and
// whether that source is there.
func checkProfiles(e Env, cfg *awsconfig.Config, keys keyList) []Result {
	if cfg == nil {
		return nil
	}
	out := make([]Result, 0, len(cfg.Profiles))
	for _, raw := range cfg.Profiles {
		r := checkProfile(e, cfg, raw.Name, keys)
		r.Check = "profile"
		r.Detail = raw.Name + ": " + r.Detail
		out = append(out, r)
	}
	return out
}

func checkProfile(e Env, cfg *awsconfig.Config, name string, keys keyList) Result {
	if err := cfg.Validate(name); err != nil {
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "correct the profile in " + cfg.Path}
	}
	// The chain checks the source profiles too: a role from a profile
	// that does not exist, or from a cycle, has no credentials.
	chain, err := cfg.Chain(name)
	if err != nil {
		return Result{Status: Fail, Detail: oneline.String(err.Error()), Fix: "correct the profile in " + cfg.Path}
	}
	p, base := chain[0], chain[len(chain)-1]
	mfa := ""
	if p.MFASerial != "" {
		mfa = ", with MFA"
	}
	switch p.Kind() {
	case awsconfig.KindRole:
		from := "profile " + p.SourceProfile
		if p.SourceProfile == "" {
			from = "credential_process"
		}
		r := Result{Status: OK, Detail: fmt.Sprintf("role %s from %s%s", p.RoleARN, from, mfa)}
		if base.Kind() == awsconfig.KindUser || base.Name == p.Name && base.CredentialProcess == "" && !isSSO(base) {
			if keys.listed && !keys.keys[base.Name] {
				r.Status, r.Detail = Fail, fmt.Sprintf("role %s from profile %s, which has no long-term key in %s", p.RoleARN, base.Name, keys.backend)
				r.Fix = "awstray add " + base.Name
			}
		}
		return r
	case awsconfig.KindSSO:
		start := p.SSOStartURL
		if s := cfg.SSOSessions[p.SSOSession]; s != nil && start == "" {
			start = s.StartURL
		}
		return Result{Status: OK, Detail: "IAM Identity Center at " + start}
	case awsconfig.KindProcess:
		prog := processProgram(p.CredentialProcess)
		if _, err := e.LookPath(prog); err != nil {
			return Result{Status: Fail, Detail: "credential_process program " + prog + " not found",
				Fix: "install it, or correct credential_process in " + cfg.Path}
		}
		return Result{Status: OK, Detail: "credential_process " + filepath.Base(prog)}
	}
	switch {
	case !keys.listed:
		return Result{Status: Warn, Detail: "long-term key not checked (" + keys.why + ")" + mfa, Fix: "see the keyring line"}
	case keys.keys[name]:
		return Result{Status: OK, Detail: "long-term key in " + keys.backend + mfa}
	}
	return Result{Status: Fail, Detail: "no long-term key in " + keys.backend, Fix: "awstray add " + name}
}

func isSSO(p *awsconfig.Profile) bool { return p.SSOSession != "" || p.SSOStartURL != "" }

// processProgram is the program of a credential_process command line —
// only that: its arguments may hold anything.
func processProgram(cmdline string) string {
	s := strings.TrimSpace(cmdline)
	if q := s[:min(1, len(s))]; q == `"` || q == `'` {
		if end := strings.Index(s[1:], q); end >= 0 {
			return s[1 : 1+end]
		}
	}
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}
