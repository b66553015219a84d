package tray

import (
	"github.com/awstray/awstray/internal/oneline"
	"github.com/awstray/awstray/tray/notify"
)

// NotifyCannotStart tells the person, in one notification, that the tray
// could not start and how to find out why. The error names no secret (it is
// the same one line the CLI prints). Failures to notify are ignored: the
// error still goes to stderr and the journal.
func NotifyCannotStart(err error) {
	n, nerr := notify.New(notify.Options{})
	if nerr != nil {
		return
	}
	defer n.Close()
	_, _ = n.Notify(notify.Notification{
		Title: "awstray cannot start",
		Body:  oneline.String(err.Error()) + ". Run “awstray doctor” in a terminal to see what is missing.",
	})
}
