package tray

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/launcher"
	"github.com/awstray/awstray/settings"
	"github.com/awstray/awstray/tray/sessionwatch"
)

// Dialogs are the questions the tray asks the person.
type Dialogs interface {
	MFACode(ctx context.Context, profile, serial, previousError string) (string, error)
	AddProfile(ctx context.Context) (NewProfile, error)
}

// NewProfile is what "Add profile…" collects.
type NewProfile struct {
	Name, AccessKeyID string
	SecretAccessKey   credentials.Secret
	MFASerial, Region string
}

// Deps are the parts of the outside world the tray drives; Run fills in the
// real ones and tests pass their own.
type Deps struct {
	Dialogs Dialogs
	// Notify shows a notification; key identifies what it is about, so a
	// newer one about the same thing replaces it.
	Notify func(key, title, body string)
	// Terminal opens a terminal running `awstray exec PROFILE`, as choice
	// (copied from the settings on the loop) says.
	Terminal func(ctx context.Context, profile string, choice TerminalChoice) error
	// Console signs in to the AWS console as the profile in the browser.
	Console func(ctx context.Context, profile string) error
	// Clipboard copies text and clears it after clearAfter if unchanged.
	Clipboard func(ctx context.Context, text string, clearAfter time.Duration) error
	// StartAtLogin makes the autostart entry follow enable (StartAtLogin
	// of this package, for the running program).
	StartAtLogin func(enable bool) error
	// OpenFile opens a file in the person's editor.
	OpenFile func(path string) error
	// Quit ends the tray.
	Quit func()
}

// TerminalChoice is what the settings say about opening a terminal. The
// loop copies it for the work that opens one: the settings are the loop's,
// reloaded there while the work runs.
type TerminalChoice struct {
	Emulator string // the terminal setting: a name or a path; "" finds one
	Server   bool   // run `awstray exec --server`
	Guarded  bool   // the profile is guarded: the title says so
}

// Options set up an App.
type Options struct {
	Manager      *credentials.Manager
	Store        *keystore.Store
	ConfigPath   string
	SettingsPath string
	StatePath    string
	Settings     settings.Settings
	SettingsErr  error
	Getenv       func(string) string
	Now          func() time.Time
	Log          *slog.Logger
	// Apply shows a menu; nil in tests that read menus with LastMenu.
	Apply func(Menu)
	// PollEvery is how often the config and settings files are looked at
	// (default 2 s).
	PollEvery time.Duration
	// AWSTimeout bounds each AWS call the tray makes itself (key age,
	// Rotate key…); zero: credentials.DefaultTimeout.
	AWSTimeout time.Duration
	// Usage is the usage record "Recent use" shows and the console's
	// sign-ins go to; nil: none.
	Usage *usage.Log
	// OnSettings hears the settings each time the loop (re)loads them:
	// the agent's guard reads them off the loop.
	OnSettings func(settings.Settings)
	// OnLockAll runs after every Lock all (the menu, a screen lock, a
	// suspend): the guard forgets its yeses with the sessions.
	OnLockAll func()
	Deps
}

// App is the tray's event loop: snapshots and clicks in, menus and actions
// out. Its fields are touched by the loop goroutine only.
type App struct {
	o                  Options
	intents            chan Intent
	events             chan credentials.Event
	done               chan func() // results of background work, applied on the loop
	snap               credentials.Snapshot
	state              uiState
	settings           settings.Settings
	setErr             string
	setErrShown        string // the settings error last notified, so each is said once
	last               Menu
	menus              chan Menu // Menus' feed, for tests
	cfgStamp, setStamp fileStamp
	renderedMinute     time.Time // the minute of the last render
	// heldSeen is which profiles the last snapshot showed held, so that
	// state.Unlocked follows every unlock and lock — from the menu, the
	// agent, a config edit — and a restarted tray holds the same profiles.
	heldSeen map[string]bool
	sessions chan sessionwatch.Event
	// used wakes the loop (1-buffered) when the usage record grew.
	used chan struct{}
	// sessionSeen, set by tests before Run, hears each screen lock or
	// suspend the loop handled and whether it locked.
	sessionSeen func(e sessionwatch.Event, locking bool)
	// Key ages (keyage.go): the stored keys as last read, the profiles
	// being rotated, and the key scan's state.
	keys                   map[string]KeyInfo
	rotating               map[string]bool
	keyScanning, keyRescan bool
	keyScanned             time.Time
	// Start at login (autostart_sync.go): whether the settings say what
	// start_at_login is, the autostart failure last notified, and whether
	// the coming sync follows a click of the menu item.
	loginKnown    bool
	loginErrShown string
	loginClicked  bool
}

// NewApp prepares the loop; Start runs it.
func NewApp(o Options) *App {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.PollEvery == 0 {
		o.PollEvery = 2 * time.Second
	}
	a := &App{
		o:        o,
		intents:  make(chan Intent, 16),
		events:   make(chan credentials.Event, 64),
		done:     make(chan func(), 16),
		state:    loadState(o.StatePath),
		settings: o.Settings.WithDefaults(),
		menus:    make(chan Menu, 1),
		sessions: make(chan sessionwatch.Event, 16),
		used:     make(chan struct{}, 1),
	}
	a.loginKnown = loginKnown(o.SettingsErr)
	if o.SettingsErr != nil {
		a.setErr = o.SettingsErr.Error()
		a.notifySettingsErr()
	}
	a.cfgStamp = stamp(o.ConfigPath)
	a.setStamp = stamp(o.SettingsPath)
	return a
}

// Intents is where click handlers send.
func (a *App) Intents() chan<- Intent { return a.intents }

// OnEvent is the manager's event callback: it never blocks.
func (a *App) OnEvent(e credentials.Event) {
	select {
	case a.events <- e:
	default:
	}
}

// OnSession is the session watcher's callback: the screen locked or the
// machine is about to suspend. It never blocks.
func (a *App) OnSession(e sessionwatch.Event) {
	select {
	case a.sessions <- e:
	default:
		// The loop never blocks, so this does not happen; holding the
		// machine awake for it would not help either.
		a.o.Log.Warn("a screen lock or suspend was not handled: the tray is busy", "reason", e.Reason.String())
		e.Done()
	}
}

// UsageChanged tells the loop that the usage record grew, so "Recent
// use" shows it. It never blocks.
func (a *App) UsageChanged() {
	select {
	case a.used <- struct{}{}:
	default:
	}
}

// Menus delivers each menu the loop renders (latest wins), for tests.
func (a *App) Menus() <-chan Menu { return a.menus }

// Render builds the first menu before the loop starts, so the tray shows
// a full menu from its first frame.
func (a *App) Render() Menu {
	a.snap = a.o.Manager.Snapshot()
	return a.render()
}

// Run is the event loop; it returns when ctx ends.
func (a *App) Run(ctx context.Context) {
	snaps, stop := a.o.Manager.Subscribe()
	defer stop()
	go func() { _ = a.o.Manager.Run(ctx) }()
	go a.o.Manager.Restore(ctx, a.state.Unlocked)
	a.scanKeys(ctx)
	// The file may say start_at_login = true (or false) with no entry to
	// match, written by hand or before this program moved.
	a.syncStartAtLogin()

	minute := time.NewTicker(20 * time.Second) // labels show minutes
	defer minute.Stop()
	poll := time.NewTicker(a.o.PollEvery)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case s := <-snaps:
			a.snap = s
			a.followHeld(s)
			a.render()
		case in := <-a.intents:
			a.handle(ctx, in)
		case e := <-a.events:
			a.notifyEvent(e)
		case f := <-a.done:
			f()
		case e := <-a.sessions:
			a.sessionEvent(ctx, e)
		case <-a.used:
			a.render()
		case <-minute.C:
			// Labels show minutes: render when the minute turned.
			if now := a.o.Now().Truncate(time.Minute); !now.Equal(a.renderedMinute) {
				a.checkKeyAges()
				a.render()
			}
			if a.o.Now().Sub(a.keyScanned) >= keyScanEvery {
				a.scanKeys(ctx)
			}
		case <-poll.C:
			before := a.cfgStamp
			a.pollFiles()
			if a.cfgStamp != before {
				a.scanKeys(ctx) // profiles and keys added from the CLI
			}
		}
	}
}

func (a *App) render() Menu {
	now := a.o.Now()
	a.renderedMinute = now.Truncate(time.Minute)
	m := BuildMenu(a.snap, UI{
		Now:              now,
		Recent:           a.state.Recent,
		ExportFormat:     a.exportFormat(),
		NotifyLead:       a.settings.NotifyLead.Duration,
		ClipboardTimeout: a.settings.ClipboardTimeout.Duration,
		StartAtLogin:     a.settings.StartAtLogin,
		TerminalServer:   a.settings.UseTerminalServer(),
		Terminal:         a.settings.Terminal,
		LockOnScreenLock: a.settings.LockOnScreenLock,
		LockOnSuspend:    a.settings.LockOnSuspend,
		SettingsErr:      a.setErr,
		Keys:             a.keyInfos(),
		KeyMaxAge:        a.settings.KeyMaxAge.Duration,
		Guarded:          a.guarded(),
		GuardedExact:     a.guardedExact(),
		RecentUse:        a.recentUse(),
	})
	if a.o.Apply != nil {
		a.o.Apply(m)
	}
	a.last = m
	select {
	case <-a.menus:
	default:
	}
	a.menus <- m
	return m
}

// guarded is which profiles the settings guard.
func (a *App) guarded() map[string]bool {
	m := map[string]bool{}
	for _, p := range a.snap.Profiles {
		if a.settings.Guarded(p.Name) {
			m[p.Name] = true
		}
	}
	return m
}

// guardedExact is which profiles guarded_profiles names as they are.
func (a *App) guardedExact() map[string]bool {
	m := map[string]bool{}
	for _, n := range a.settings.GuardedProfiles {
		m[n] = true
	}
	return m
}

func (a *App) recentUse() []usage.Record {
	if a.o.Usage == nil {
		return nil
	}
	return a.o.Usage.Last(recentSlotsUse)
}

// toggleGuard adds the profile to guarded_profiles, or takes it out.
func (a *App) toggleGuard(p string) {
	list := slices.Clone(a.settings.GuardedProfiles)
	if slices.Contains(list, p) {
		list = slices.DeleteFunc(list, func(n string) bool { return n == p })
	} else if a.settings.Guarded(p) {
		return // a pattern guards it: the menu shows the toggle disabled
	} else {
		list = append(list, p)
	}
	if err := settings.Set(a.o.SettingsPath, "guarded_profiles", settings.QuoteList(list)); err != nil {
		a.o.Notify("settings", "Cannot save the setting", err.Error())
		return
	}
	a.reloadSettings()
}

func (a *App) exportFormat() string {
	if a.settings.ExportFormat != "" {
		return a.settings.ExportFormat
	}
	return launcher.FormatForShell(a.o.Getenv("SHELL"))
}

// background runs slow work off the loop; then, if it returns a function,
// that runs on the loop.
func (a *App) background(ctx context.Context, work func(context.Context) func()) {
	go func() {
		if f := work(ctx); f != nil {
			select {
			case a.done <- f:
			case <-ctx.Done():
			}
		}
	}()
}

func (a *App) handle(ctx context.Context, in Intent) {
	m := a.o.Manager
	p := in.Profile
	switch in.Kind {
	case IntentUnlock:
		a.background(ctx, func(ctx context.Context) func() {
			if err := m.Unlock(ctx, p); err != nil {
				if !errors.Is(err, credentials.ErrCancelled) && !errors.Is(err, context.Canceled) {
					a.o.Notify(p, "Unlocking "+p+" failed", err.Error())
				}
				return nil
			}
			return func() { a.remember(p, true) }
		})
	case IntentGuard:
		a.toggleGuard(p)
	case IntentOpenTerminal:
		choice := TerminalChoice{Emulator: a.settings.Terminal, Server: a.settings.UseTerminalServer(), Guarded: a.settings.Guarded(p)}
		a.background(ctx, func(ctx context.Context) func() {
			if err := a.o.Terminal(ctx, p, choice); err != nil {
				a.o.Notify(p, "Cannot open a terminal for "+p, err.Error())
				return nil
			}
			return func() { a.remember(p, true) }
		})
	case IntentCopyExports:
		format, clear := a.exportFormat(), a.settings.ClipboardTimeout.Duration
		a.background(ctx, func(ctx context.Context) func() {
			if err := a.copyExports(ctx, p, format, clear); err != nil {
				a.o.Notify(p, "Cannot copy the export lines of "+p, err.Error())
				return nil
			}
			return func() { a.remember(p, true) }
		})
	case IntentRefresh:
		a.background(ctx, func(ctx context.Context) func() {
			if err := m.Refresh(ctx, p); err != nil && !errors.Is(err, credentials.ErrCancelled) {
				a.o.Notify(p, "Refreshing "+p+" failed", err.Error())
			}
			return nil
		})
	case IntentLock:
		a.background(ctx, func(context.Context) func() {
			if err := m.Lock(p); err != nil {
				a.o.Notify(p, "Locking "+p+" left sessions in the keyring", err.Error())
			}
			return func() { a.remember(p, false) }
		})
	case IntentLockAll:
		a.lockAll(ctx, "", func() {})
	case IntentAddProfile:
		a.background(ctx, a.addProfile)
	case IntentSetting:
		a.changeSetting(in.Setting, in.Value)
	case IntentEditSettings:
		a.editSettings()
	case IntentOpenConsole:
		a.background(ctx, func(ctx context.Context) func() {
			if a.o.Console == nil {
				return nil
			}
			// The errors name no secret: the console and browser packages word them so.
			err := a.o.Console(ctx, p)
			a.recordConsole(p, err)
			if err != nil && !errors.Is(err, credentials.ErrCancelled) && !errors.Is(err, context.Canceled) {
				a.o.Notify(p, "Cannot open the AWS console for "+p, err.Error())
				return nil
			}
			return func() { a.remember(p, true) }
		})
	case IntentRotateKey:
		a.rotateKey(ctx, p)
	case IntentQuit:
		if a.o.Quit != nil {
			a.o.Quit()
		}
	}
}

// recordConsole puts a console sign-in from the menu in the usage record:
// the tray itself is the asker. Safe off the loop.
func (a *App) recordConsole(p string, err error) {
	if a.o.Usage == nil {
		return
	}
	exe, _ := os.Executable()
	r := usage.Record{Time: a.o.Now(), Profile: p, Op: usage.OpConsole, PID: os.Getpid(), Exe: exe, Outcome: usage.Served}
	var le *credentials.LockedError
	switch {
	case err == nil:
	case errors.Is(err, credentials.ErrCancelled), errors.Is(err, context.Canceled):
		return // nothing was delivered, nobody refused
	case errors.As(err, &le):
		r.Outcome = usage.Locked
	default:
		r.Outcome, r.Error = usage.Error, err.Error()
	}
	if err := a.o.Usage.Add(r); err != nil {
		a.o.Log.Warn("writing the usage record", "err", err)
	}
	a.UsageChanged()
}

// lockAll locks every profile; reason ("screen locked", "suspend") is
// logged when the lock was not the person's click. after runs once
// LockAll returned, whether it worked or not.
func (a *App) lockAll(ctx context.Context, reason string, after func()) {
	a.background(ctx, func(context.Context) func() {
		err := a.o.Manager.LockAll()
		if a.o.OnLockAll != nil {
			a.o.OnLockAll()
		}
		after()
		if err != nil {
			a.o.Notify("lockall", "Locking left sessions in the keyring", err.Error())
		}
		if reason != "" {
			if err != nil {
				a.o.Log.Warn("locked every profile, leaving sessions in the keyring", "reason", reason, "err", err)
			} else {
				a.o.Log.Info("locked every profile", "reason", reason)
			}
		}
		return func() { a.state.Unlocked = nil; a.saveState() }
	})
}

// sessionEvent locks every profile when the screen locked or the machine
// is about to suspend, as the settings say; else it lets the machine
// sleep at once.
func (a *App) sessionEvent(ctx context.Context, e sessionwatch.Event) {
	on := e.Reason == sessionwatch.ScreenLocked && a.settings.LockOnScreenLock ||
		e.Reason == sessionwatch.Suspend && a.settings.LockOnSuspend
	if on {
		a.lockAll(ctx, e.Reason.String(), e.Done)
	} else {
		e.Done()
	}
	if a.sessionSeen != nil {
		a.sessionSeen(e, on)
	}
}

// remember records a profile as used (and held or not) for the next start
// and for the order of the menu.
func (a *App) remember(p string, held bool) {
	a.state.touch(p)
	var out []string
	for _, n := range a.state.Unlocked {
		if n != p {
			out = append(out, n)
		}
	}
	if held {
		out = append(out, p)
	}
	a.state.Unlocked = out
	a.saveState()
	a.render()
}

// followHeld records in the state the profiles that became held or were
// locked since the last snapshot. A profile the manager has not restored
// (yet) is neither: it stays as it was remembered.
func (a *App) followHeld(s credentials.Snapshot) {
	changed := false
	now := make(map[string]bool, len(a.heldSeen))
	for _, p := range s.Profiles {
		switch {
		case p.State == credentials.StateUnlocking:
			now[p.Name] = a.heldSeen[p.Name] // in between: as it was
		case p.Held():
			now[p.Name] = true
			if !slices.Contains(a.state.Unlocked, p.Name) {
				a.state.Unlocked = append(a.state.Unlocked, p.Name)
				changed = true
			}
		case a.heldSeen[p.Name]:
			a.state.Unlocked = slices.DeleteFunc(a.state.Unlocked, func(n string) bool { return n == p.Name })
			changed = true
		}
	}
	a.heldSeen = now
	if changed {
		a.saveState()
	}
}

func (a *App) saveState() {
	if err := saveState(a.o.StatePath, a.state); err != nil {
		a.o.Log.Warn("saving the tray state", "err", err)
	}
}

func (a *App) copyExports(ctx context.Context, p, format string, clear time.Duration) error {
	c, err := a.o.Manager.Credentials(ctx, p, true)
	if err != nil {
		return err
	}
	cfg := a.o.Manager.Config()
	if _, err := cfg.Profile(p); err != nil {
		return err
	}
	text, err := launcher.Export(format, launcher.Vars{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey.Reveal(),
		SessionToken: c.SessionToken.Reveal(), Expires: c.Expires, Profile: p,
	})
	if err != nil {
		return err
	}
	if err := a.o.Clipboard(ctx, text, clear); err != nil {
		return err
	}
	body := fmt.Sprintf("Format %s. The clipboard clears in %s.", format, clearText(clear))
	if c.CanExpire() {
		body = fmt.Sprintf("Format %s. The credentials expire at %s; the clipboard clears in %s.", format, c.Expires.Local().Format("15:04"), clearText(clear))
	}
	a.o.Notify(p, "Copied the export lines of "+p, body)
	return nil
}

func clearText(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d s", int(d/time.Second))
	}
	return Left(d)
}

func (a *App) addProfile(ctx context.Context) func() {
	np, err := a.o.Dialogs.AddProfile(ctx)
	if err != nil {
		if !errors.Is(err, credentials.ErrCancelled) {
			a.o.Notify("add", "Adding a profile failed", err.Error())
		}
		return nil
	}
	// Read now, not the copy the loop last polled: the profile may have
	// been written since, and only an IAM user profile takes a key.
	cfg, err := awsconfig.Load(a.o.ConfigPath)
	if err != nil {
		a.o.Notify("add", "Adding a profile failed", err.Error())
		return nil
	}
	_, err = credentials.AddKey(a.o.Store, cfg, credentials.NewKey{
		Profile: np.Name, AccessKeyID: np.AccessKeyID, Secret: np.SecretAccessKey,
		Created: a.o.Now(), MFASerial: np.MFASerial, Region: np.Region,
	})
	var unchanged *credentials.ConfigNotChangedError
	switch {
	case errors.As(err, &unchanged):
		a.o.Notify("add", "The key of "+np.Name+" is stored, but the config was not changed", unchanged.Err.Error())
		return nil
	case err != nil:
		a.o.Notify("add", "Adding "+np.Name+" failed", err.Error())
		return nil
	}
	a.o.Notify(np.Name, "Profile "+np.Name+" added", "Its key is in the "+a.o.Store.Backend()+" keyring.")
	return func() {
		a.reloadConfig()
		a.scanKeys(ctx)
		a.handle(ctx, Intent{Kind: IntentUnlock, Profile: np.Name})
	}
}

func (a *App) changeSetting(key, value string) {
	v := value
	switch key {
	case "export_format", "notify_lead", "clipboard_timeout":
		v = settings.Quote(value)
	case "start_at_login":
		// The reload below makes the entry follow the setting; a click
		// that cannot says so, even when the last reload said it already.
		a.loginErrShown, a.loginClicked = "", true
	}
	if err := settings.Set(a.o.SettingsPath, key, v); err != nil {
		a.o.Notify("settings", "Cannot save the setting", err.Error())
		return
	}
	a.reloadSettings()
}

func (a *App) editSettings() {
	if _, err := os.Stat(a.o.SettingsPath); errors.Is(err, os.ErrNotExist) {
		if err := settings.WriteTemplate(a.o.SettingsPath); err != nil {
			a.o.Notify("settings", "Cannot create the settings file", err.Error())
			return
		}
	}
	if a.o.OpenFile == nil {
		return
	}
	if err := a.o.OpenFile(a.o.SettingsPath); err != nil {
		a.o.Notify("settings", "Cannot open the settings file", err.Error())
	}
}

func (a *App) notifyEvent(e credentials.Event) {
	switch e.Kind {
	case credentials.EventExpiring:
		a.o.Notify(e.Profile, "AWS session of "+e.Profile+" ends in "+Left(e.At.Sub(a.o.Now())),
			"At "+e.At.Local().Format("15:04")+". Choose Refresh now in the awstray menu to keep working without a break.")
	case credentials.EventExpired:
		need := "a new MFA code"
		if a.isSSO(e.Profile) {
			need = "signing in again"
		}
		a.o.Notify(e.Profile, "AWS session of "+e.Profile+" ended",
			"Renewing it needs "+need+": choose Unlock… in the awstray menu.")
	case credentials.EventRefreshFailing:
		a.o.Notify(e.Profile, "awstray cannot renew "+e.Profile,
			e.Err+". The last credentials keep working until they expire.")
	}
}

// isSSO reports whether the profile's credentials come from IAM Identity
// Center (its own or its source's).
func (a *App) isSSO(name string) bool {
	cfg := a.o.Manager.Config()
	if cfg == nil {
		return false
	}
	chain, err := cfg.Chain(name)
	return err == nil && chain[len(chain)-1].Kind() == awsconfig.KindSSO
}

// fileStamp tells whether a file changed since it was last read.
type fileStamp struct {
	mod  time.Time
	size int64
	ok   bool
}

func stamp(path string) fileStamp {
	fi, err := os.Stat(path)
	if err != nil {
		return fileStamp{}
	}
	return fileStamp{mod: fi.ModTime(), size: fi.Size(), ok: true}
}

// pollFiles reloads the AWS config and the settings when they change on
// disk. A stat every few seconds is cheap and works across editors that
// replace files by renaming.
func (a *App) pollFiles() {
	if s := stamp(a.o.ConfigPath); s != a.cfgStamp {
		a.cfgStamp = s
		a.reloadConfig()
	}
	if s := stamp(a.o.SettingsPath); s != a.setStamp {
		a.setStamp = s
		a.reloadSettings()
	}
}

func (a *App) reloadConfig() {
	a.cfgStamp = stamp(a.o.ConfigPath)
	cfg, err := awsconfig.Load(a.o.ConfigPath)
	a.o.Manager.SetConfig(cfg, err)
	if err != nil {
		a.o.Notify("config", "The AWS config has an error", err.Error()+" — the tray keeps the last good version.")
	}
}

func (a *App) reloadSettings() {
	a.setStamp = stamp(a.o.SettingsPath)
	s, err := settings.Load(a.o.SettingsPath)
	a.loginKnown = loginKnown(err)
	var fe *settings.FileError
	switch {
	case err == nil:
		a.setErr = ""
		a.settings = s.WithDefaults()
	case errors.As(err, &fe):
		// Every setting that is good stays: one typo must not reset the
		// others.
		a.setErr = err.Error()
		a.settings = s.WithDefaults()
	default:
		a.setErr = err.Error() // unreadable: the last settings stay
	}
	a.notifySettingsErr()
	if a.o.OnSettings != nil {
		a.o.OnSettings(a.settings)
	}
	a.o.Manager.SetNotifyLead(a.settings.NotifyLead.Duration)
	a.syncStartAtLogin()
	a.checkKeyAges()
	a.render()
}

// notifySettingsErr tells the person about a settings error once: saving
// the file again with the same mistake does not notify again.
func (a *App) notifySettingsErr() {
	if a.setErr == a.setErrShown {
		return
	}
	a.setErrShown = a.setErr
	if a.setErr != "" {
		a.o.Notify("settings", "The awstray settings have an error", a.setErr+" — the other settings apply.")
	}
}
