// Package doctor runs the checks of `awstray doctor`: whether the desktop
// has what awstray needs (a keyring, a tray host, a notification server, a
// clipboard, dialog and terminal program), whether the AWS config and the
// settings parse, whether the tray answers, whether the clock agrees with
// STS, and where each profile's credentials come from. Each check reads
// only: it stores nothing, starts no daemon, shows no prompt, and never
// reads a keyring item's content.
package doctor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/settings"
)

// Status is a check's verdict.
type Status string

// The verdicts: a Fail makes the command exit 1.
const (
	OK   Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
)

// Result is one line of the report.
type Result struct {
	Check  string `json:"check"`
	Status Status `json:"status"`
	Detail string `json:"detail"`
	// Fix says what to do about a warn or fail; "" for ok.
	Fix string `json:"fix"`
}

// DefaultTimeout bounds each check.
const DefaultTimeout = 2 * time.Second

// Env is what the checks look at. Zero fields mean the process's own
// (os.Getenv, exec.LookPath, time.Now, runtime.GOOS, DefaultTimeout).
type Env struct {
	Getenv   func(string) string
	LookPath func(string) (string, error)
	Now      func() time.Time
	GOOS     string
	// Timeout bounds each check; the checks run side by side, so the whole
	// report takes about one Timeout even when several hang.
	Timeout time.Duration
}

func (e Env) withDefaults() Env {
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.LookPath == nil {
		e.LookPath = exec.LookPath
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	if e.Timeout <= 0 {
		e.Timeout = DefaultTimeout
	}
	return e
}

// Failed reports whether any result is a Fail.
func Failed(results []Result) bool {
	for _, r := range results {
		if r.Status == Fail {
			return true
		}
	}
	return false
}

// keyList is what the keyring check learnt of the stored keys, for the
// profile lines: keys holds the profiles with a long-term key when listed
// is set; otherwise why says why the keys were not listed.
type keyList struct {
	backend string
	listed  bool
	keys    map[string]bool
	why     string
}

// configResult is the config check's line and the config it loaded (nil
// when it did not parse).
type configResult struct {
	Result
	cfg *awsconfig.Config
}

// Run runs every check and returns one Result per check, then one per
// profile of the AWS config, in a fixed order.
func Run(ctx context.Context, env Env) []Result {
	e := env.withDefaults()
	st, stErr := loadSettings(e)

	type job struct {
		name string
		run  func(ctx context.Context) Result
	}
	var keys keyList
	var conf configResult
	keysDone := make(chan keyList, 1)
	confDone := make(chan configResult, 1)
	jobs := []job{
		{"keyring", func(ctx context.Context) Result {
			r, k := checkKeyring(ctx, e, st, stErr)
			keysDone <- k
			return r
		}},
		{"tray", func(ctx context.Context) Result { return checkTray(ctx, e) }},
		{"notify", func(ctx context.Context) Result { return checkNotify(ctx, e) }},
		{"clipboard", func(context.Context) Result { return checkClipboard(e) }},
		{"dialog", func(context.Context) Result { return checkDialog(e, st) }},
		{"terminal", func(context.Context) Result { return checkTerminal(e, st) }},
		{"settings", func(context.Context) Result { return checkSettings(e, stErr) }},
		{"config", func(context.Context) Result {
			c := checkConfig(e)
			confDone <- c
			return c.Result
		}},
		{"agent", func(ctx context.Context) Result { return checkAgent(ctx, e) }},
		{"clock", func(ctx context.Context) Result { return checkClock(ctx, e) }},
	}
	results := make([]Result, len(jobs))
	dones := make([]chan Result, len(jobs))
	for i, j := range jobs {
		dones[i] = make(chan Result, 1)
		go func() {
			cctx, cancel := context.WithTimeout(ctx, e.Timeout)
			defer cancel()
			r := j.run(cctx)
			r.Check = j.name
			dones[i] <- r
		}()
	}
	// One deadline for all: the checks started together.
	deadline := time.NewTimer(e.Timeout + e.Timeout/4)
	defer deadline.Stop()
	for i, j := range jobs {
		select {
		case r := <-dones[i]:
			results[i] = r
		case <-deadline.C:
			results[i] = Result{Check: j.name, Status: Fail, Detail: fmt.Sprintf("did not answer within %s", e.Timeout),
				Fix: "something awstray asks hangs: run awstray doctor again; if it stays, report it"}
		}
	}
	select {
	case keys = <-keysDone:
	default:
		keys = keyList{why: "the keyring check did not finish"}
	}
	select {
	case conf = <-confDone:
	default:
	}
	return append(results, checkProfiles(e, conf.cfg, keys)...)
}

// settingsState is the settings file as the checks see it.
type settingsState struct {
	path   string
	exists bool
	s      settings.Settings
}

func loadSettings(e Env) (settingsState, error) {
	path, err := settings.Path(e.Getenv)
	if err != nil {
		return settingsState{}, err
	}
	st := settingsState{path: path}
	if _, err := os.Stat(path); err == nil {
		st.exists = true
	}
	s, err := settings.Load(path)
	st.s = s
	return st, err
}

// keyringOptions are the keyring options the CLI would use, and what
// chose the backend.
func keyringOptions(e Env, st settingsState) (keystore.Options, string) {
	opts := keystore.OptionsFromEnv(e.Getenv)
	opts.Timeout = e.Timeout
	if opts.Backend != "" {
		return opts, "AWSTRAY_BACKEND"
	}
	if st.s.Backend != "" {
		opts.Backend = st.s.Backend
		return opts, "settings"
	}
	return opts, ""
}

// CheckTray is the tray check alone, for the tray's own start-up: whether
// a StatusNotifierWatcher is on the session bus to show the icon.
func CheckTray(ctx context.Context, env Env) Result {
	r := checkTray(ctx, env.withDefaults())
	r.Check = "tray"
	return r
}
