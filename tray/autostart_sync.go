package tray

import (
	"errors"

	"github.com/awstray/awstray/settings"
)

// NotOursError is StartAtLogin's answer when the autostart entry's place
// holds something awstray did not write (a file or Run value the person
// made, or ours edited by hand): it is neither replaced nor removed.
type NotOursError struct {
	Path string // the file, or the registry value on Windows
}

func (e *NotOursError) Error() string {
	return e.Path + " is not the autostart entry awstray writes, so it was left as it is: remove it to let the start_at_login setting decide"
}

// loginKnown reports whether the settings, as loaded with err, say what
// start_at_login is: a bad value, or a file that cannot be read, leaves
// it unknown, and the autostart entry is then left as it is rather than
// removed for a default nobody chose.
func loginKnown(err error) bool {
	if err == nil {
		return true
	}
	var fe *settings.FileError
	return errors.As(err, &fe) && !fe.Bad("start_at_login")
}

// syncStartAtLogin makes the autostart entry follow start_at_login: at
// start, after every settings (re)load and so after the menu's click. The
// menu's tick shows the setting; this makes the entry match it. A failure
// is logged and notified once — the same one again, at the next reload,
// says nothing new — and the tray goes on. An entry that is not awstray's
// is only logged, unless the person just clicked the item.
func (a *App) syncStartAtLogin() {
	if a.o.StartAtLogin == nil || !a.loginKnown {
		return
	}
	clicked := a.loginClicked
	a.loginClicked = false
	msg := ""
	err := a.o.StartAtLogin(a.settings.StartAtLogin)
	var notOurs *NotOursError
	if errors.As(err, &notOurs) && !clicked {
		// The person's own entry (a copy of the packages' one, a link, an
		// edit): theirs to keep, and nothing to be told at every start.
		// A click that cannot change it says so, below.
		a.o.Log.Info("the autostart entry is not awstray's; left as it is", "on", a.settings.StartAtLogin, "path", notOurs.Path)
		err = nil
	}
	if err != nil {
		msg = err.Error()
	}
	if msg == a.loginErrShown {
		return
	}
	a.loginErrShown = msg
	if msg != "" {
		a.o.Log.Warn("the autostart entry does not follow start_at_login", "on", a.settings.StartAtLogin, "err", msg)
		a.o.Notify("autostart", "Start at login: the autostart entry was not changed", msg)
	}
}
