package notify_test

import (
	"log"
	"time"

	"github.com/awstray/awstray/tray/notify"
)

// The tray warns before a session that needs the person ends, replaces
// the warning as the time runs down, and withdraws it once renewed. Only
// profile names and times go into a notification.
func Example() {
	n, err := notify.New(notify.Options{
		OnAction: func(id notify.ID, key string) {
			// Send an intent to the tray's event loop; do not block here.
		},
	})
	if err != nil {
		log.Printf("awstray: notifications off: %v", err)
		return
	}
	defer n.Close()

	id, err := n.Notify(notify.Notification{
		Title:   "AWS session of prod ends in 10 min",
		Body:    "Renew it to keep working without a new MFA code later.",
		Urgency: notify.Critical,
		Timeout: notify.Never,
		Actions: []notify.Action{{Key: "renew", Label: "Renew…"}},
	})
	if err != nil {
		log.Printf("awstray: %v", err) // e.g. no notification server: log and carry on
		return
	}
	time.Sleep(5 * time.Minute)
	id, _ = n.Notify(notify.Notification{Title: "AWS session of prod ends in 5 min", Urgency: notify.Critical, Replaces: id})
	// … renewed:
	_ = n.CloseNotification(id)
}
