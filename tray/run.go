package tray

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"fyne.io/systray"
	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/assets"
	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/desktop/browser"
	"github.com/awstray/awstray/desktop/clipboard"
	"github.com/awstray/awstray/desktop/dialog"
	"github.com/awstray/awstray/desktop/terminal"
	"github.com/awstray/awstray/internal/doctor"
	"github.com/awstray/awstray/internal/single"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
	"github.com/awstray/awstray/tray/notify"
	"github.com/awstray/awstray/tray/sessionwatch"
)

// RunOptions are what the tray starts from.
type RunOptions struct {
	Store        *keystore.Store
	ConfigPath   string
	SettingsPath string
	Settings     settings.Settings
	SettingsErr  error
	Getenv       func(string) string
	Exe          string // this program, which terminals run as `EXE exec PROFILE`
	Log          *slog.Logger
	// AWSTimeout is the deadline of each call to AWS (AWSTRAY_AWS_TIMEOUT);
	// zero: credentials.DefaultTimeout.
	AWSTimeout time.Duration
}

// ErrNoDesktop means there is no desktop session to show a tray in.
var ErrNoDesktop = errors.New("the tray needs a desktop session (no D-Bus session bus); the CLI commands work without one, see 'awstray --help'")

// CheckDesktop reports whether a tray can be shown here.
func CheckDesktop(getenv func(string) string) error {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" && runtime.GOOS != "openbsd" && runtime.GOOS != "netbsd" {
		return nil
	}
	if a := getenv("DBUS_SESSION_BUS_ADDRESS"); a == "" || a == "disabled:" {
		return ErrNoDesktop
	}
	return nil
}

// Lock takes the per-user single-instance lock of the tray.
func Lock() (release func(), err error) {
	release, err = single.Acquire("tray")
	var held *single.HeldError
	if errors.As(err, &held) {
		return nil, held
	}
	if err != nil {
		return nil, fmt.Errorf("taking the tray's lock: %w", err)
	}
	return release, nil
}

// Run shows the tray and blocks until the person chooses Quit. Call it
// from main's goroutine (systray needs the main thread on macOS), after
// Lock.
func Run(o RunOptions) error {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		// Info by default: the one line per lock on screen lock or suspend.
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: LogLevel(o.Getenv)}))
	}
	s := o.Settings.WithDefaults()
	cfg, cfgErr := awsconfig.Load(o.ConfigPath)
	if cfg == nil {
		cfg = &awsconfig.Config{Path: o.ConfigPath}
	}

	notifier, err := notify.New(notify.Options{})
	if err != nil {
		o.Log.Warn("notifications are off", "err", err)
	}
	ids := newNoteIDs()
	notifyFn := func(key, title, body string) {
		if notifier == nil {
			return
		}
		id, err := notifier.Notify(notify.Notification{Title: title, Body: body, Replaces: ids.get(key)})
		if err != nil {
			o.Log.Warn("showing a notification", "err", err)
			return
		}
		ids.set(key, id)
	}

	prompter := &dialog.Prompter{Tool: s.Dialogs, YkmanAccount: s.YkmanAccount}
	// AWSTRAY_CHECK_INTERVAL tunes how often the wall clock is looked at
	// (default 15 s); tests with short sessions set it lower.
	var tick time.Duration
	if v := o.Getenv("AWSTRAY_CHECK_INTERVAL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			tick = d
		}
	}
	var app *App
	m := credentials.NewManager(credentials.ManagerConfig{
		Config:     cfg,
		Store:      o.Store,
		Options:    credentials.Options{SessionDuration: s.SessionDuration.Duration, RoleDuration: s.RoleDuration.Duration, Timeout: o.AWSTimeout},
		Getenv:     o.Getenv,
		NotifyLead: s.NotifyLead.Duration,
		Tick:       tick,
		Prompt:     dialogs{prompter}.MFACode,
		// IAM Identity Center: the browser opens the page with the code,
		// and a notification says which code to approve.
		SSOLogin: func(ctx context.Context, d credentials.DeviceAuth) error {
			notifyFn("sso/"+d.Profile, "Sign in to AWS for "+d.Profile,
				"Approve the code "+d.UserCode+" in the browser (or open "+d.URL+").")
			return browser.OpenURL(ctx, d.URL)
		},
		OnEvent: func(e credentials.Event) { app.OnEvent(e) },
	})
	if cfgErr != nil {
		m.SetConfig(nil, cfgErr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	usageLog := usage.NewLog(UsagePath(o.Getenv))
	grd := newGuard(prompter.Confirm, o.Settings, time.Now)
	app = newTrayApp(o, Options{
		AWSTimeout:   o.AWSTimeout,
		Usage:        usageLog,
		OnSettings:   grd.setSettings,
		OnLockAll:    grd.forget,
		Manager:      m,
		Store:        o.Store,
		ConfigPath:   o.ConfigPath,
		SettingsPath: o.SettingsPath,
		StatePath:    StatePath(o.Getenv),
		Settings:     o.Settings,
		SettingsErr:  o.SettingsErr,
		Getenv:       o.Getenv,
		Log:          o.Log,
		Deps: Deps{
			Dialogs: dialogs{prompter},
			Notify:  notifyFn,
			Console: ConsoleOpener(m, o.Getenv, cmp.Or(o.AWSTimeout, credentials.DefaultTimeout), func(ctx context.Context, profile, link string) error {
				return BrowserOpener(o.SettingsPath, time.Minute)(ctx, profile, link)
			}),
			Clipboard:    clipboard.CopySecret,
			StartAtLogin: func(on bool) error { return StartAtLogin(o.Exe, on) },
			OpenFile:     openFile,
			Quit:         systray.Quit,
		},
	})
	if notifier != nil {
		if _, err := o.Store.List(); err != nil { // a locked keyring says so at once
			notifyFn("keyring", "The "+o.Store.Backend()+" keyring is not readable", err.Error())
		}
	}

	go watchTrayHost(ctx, trayHostWatch{
		Check: func(ctx context.Context) doctor.Result {
			return doctor.CheckTray(ctx, doctor.Env{Getenv: o.Getenv})
		},
		Grace: trayHostGrace,
		Poll:  trayHostPoll,
		Sleep: sleepCtx,
		Say: func(r doctor.Result) {
			o.Log.Warn("no tray host: the tray's icon will not show", "detail", r.Detail, "fix", r.Fix)
			notifyFn("trayhost", "awstray runs, but its icon cannot show", r.Detail+". To fix: "+r.Fix+".")
		},
	})

	// Serve the CLI: exec, export and credential-process get their
	// credentials from here while the tray runs.
	if path, err := agent.SocketPath(o.Getenv); err != nil {
		o.Log.Warn("no agent socket", "err", err)
	} else if l, err := agent.Listen(path); err != nil {
		o.Log.Warn("no agent socket", "err", err)
		notifyFn("agent", "The CLI cannot reach this tray", err.Error())
	} else {
		go func() {
			b := newAgentBackend(ctx, m, notifyFn)
			b.guard = grd
			b.recs = usageLog.Records
			b.record = func(r usage.Record) {
				if err := usageLog.Add(r); err != nil {
					o.Log.Warn("writing the usage record", "err", err)
				}
				app.UsageChanged()
			}
			if err := agent.Serve(ctx, l, b, o.Log); err != nil {
				o.Log.Warn("the agent stopped", "err", err)
			}
		}()
	}

	// The screen lock and suspend: watched whatever the settings say, so
	// turning them on takes effect at once; the loop decides.
	go func() {
		err := sessionwatch.Run(ctx, sessionwatch.Options{Getenv: o.Getenv, OnEvent: app.OnSession, Log: o.Log})
		if err != nil && !errors.Is(err, context.Canceled) {
			o.Log.Warn("the tray cannot lock with the screen or on suspend", "err", err)
		}
	}()

	a := newApplier(app.Intents(), iconBytes)
	app.o.Apply = a.Apply
	var once sync.Once
	cleanup := func() {
		once.Do(func() {
			cancel()
			cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = clipboard.ClearIfOurs(cctx)
			ccancel()
			if notifier != nil {
				_ = notifier.Close()
			}
		})
	}
	// systemctl stop, Ctrl-C: leave as Quit does (the clipboard is cleared).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case <-sigs:
			systray.Quit()
		case <-ctx.Done():
		}
	}()
	systray.SetTitle("awstray")
	// A tray lives for days and idles: trade a little GC work for memory.
	debug.SetGCPercent(50)
	systray.Run(func() {
		app.Render()
		go app.Run(ctx)
		go func() {
			// Start-up garbage (config parsing, the first menu, restoring
			// sessions) goes back to the OS once things settle, and what
			// each minute's relabelling leaves after that: the live heap is a
			// few MiB, so this costs about a millisecond each time.
			t := time.NewTimer(10 * time.Second)
			defer t.Stop()
			for {
				select {
				case <-t.C:
					debug.FreeOSMemory()
					t.Reset(30 * time.Second)
				case <-ctx.Done():
					return
				}
			}
		}()
	}, cleanup)
	cleanup() // macOS never calls onExit
	return nil
}

// UsagePath is the usage record's file, beside the tray's state file; ""
// when there is no state folder.
func UsagePath(getenv func(string) string) string {
	sp := StatePath(getenv)
	if sp == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(sp), usage.FileName)
}

// newTrayApp is NewApp with the real terminal (openTerminal).
func newTrayApp(o RunOptions, opts Options) *App {
	opts.Terminal = func(ctx context.Context, profile string, choice TerminalChoice) error {
		return openTerminal(ctx, o.Exe, o.Getenv, profile, choice)
	}
	return NewApp(opts)
}

// openTerminal opens the chosen emulator on `EXE exec [--server] PROFILE`.
// It runs off the loop, so it gets the settings it needs as a copy.
func openTerminal(ctx context.Context, exe string, getenv func(string) string, profile string, choice TerminalChoice) error {
	t, err := terminal.Find(choice.Emulator, getenv, nil)
	if err != nil {
		return err
	}
	t.Title = "awstray: " + profile
	if choice.Guarded {
		t.Title += " (guarded)"
	}
	_, err = t.Open(ctx, terminalArgv(runtime.GOOS, exe, t, getenv, profile, choice.Server), os.Environ())
	return err
}

// terminalArgv is what the terminal t runs for profile on goos.
func terminalArgv(goos, exe string, t terminal.Terminal, getenv func(string) string, profile string, server bool) []string {
	// The terminal runs awstray exec, which asks the tray for the
	// credentials: no secret in the emulator's argv or environment. With
	// --server, programs in it refresh their credentials from the tray as
	// long as they run.
	argv := []string{exe, "exec", profile}
	if server {
		argv = []string{exe, "exec", "--server", profile}
	}
	// Windows has no $SHELL for exec to fall back on.
	if sh := terminal.Shell(goos, t, getenv, nil); sh != nil {
		argv = append(append(argv, "--"), sh...)
	}
	return argv
}

// dialogs adapts dialog.Prompter to the tray's Dialogs.
type dialogs struct{ p *dialog.Prompter }

func (d dialogs) MFACode(ctx context.Context, profile, serial, prev string) (string, error) {
	c, err := d.p.MFACode(ctx, profile, serial, prev)
	return c, cancelled(err)
}

func (d dialogs) AddProfile(ctx context.Context) (NewProfile, error) {
	in, err := d.p.AddProfile(ctx)
	if err != nil {
		return NewProfile{}, cancelled(err)
	}
	return NewProfile(in), nil
}

func cancelled(err error) error {
	if errors.Is(err, dialog.ErrCancelled) {
		return credentials.ErrCancelled
	}
	return err
}

// noteIDs remembers the last notification per subject, so a newer one
// replaces it instead of piling up.
type noteIDs struct {
	mu sync.Mutex
	m  map[string]notify.ID
}

func newNoteIDs() *noteIDs { return &noteIDs{m: map[string]notify.ID{}} }

func (n *noteIDs) get(k string) notify.ID {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.m[k]
}

func (n *noteIDs) set(k string, id notify.ID) {
	n.mu.Lock()
	n.m[k] = id
	n.mu.Unlock()
}

func iconBytes(i Icon) []byte {
	switch i {
	case IconActive:
		return assets.Icon(assets.Active)
	case IconExpiring:
		return assets.Icon(assets.Expiring)
	case IconError:
		return assets.Icon(assets.Error)
	}
	return assets.Icon(assets.Locked)
}

// openFile opens path with the desktop's default application.
func openFile(path string) error {
	var cmd *exec.Cmd
	switch runtime.GOOS {
	case "darwin":
		cmd = exec.Command("open", path)
	case "windows":
		cmd = exec.Command("rundll32", "url.dll,FileProtocolHandler", path)
	default:
		cmd = exec.Command("xdg-open", path)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	go func() { _ = cmd.Wait() }()
	return nil
}

// LogLevel is the tray's log level: AWSTRAY_LOG (debug, info, warn or
// error), else info. At debug the agent logs one line per request (the
// operation, the profile, how long it took — never a credential).
func LogLevel(getenv func(string) string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(getenv("AWSTRAY_LOG"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
