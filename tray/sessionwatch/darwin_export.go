//go:build darwin && cgo

package sessionwatch

import "C"

import "time"

// sleepWait is how long the will-sleep observer holds the main thread for
// the lock: macOS does not wait for it beyond its handler.
const sleepWait = 2 * time.Second

//export awstraySessionEvent
func awstraySessionEvent(reason C.int) {
	o := running()
	if o == nil {
		return
	}
	if reason == 1 {
		o.OnEvent(Event{Reason: ScreenLocked, Source: "com.apple.screenIsLocked"})
		return
	}
	done := make(chan struct{})
	o.OnEvent(Event{Reason: Suspend, Source: "NSWorkspaceWillSleepNotification", done: once(func() { close(done) })})
	select {
	case <-done:
	case <-time.After(sleepWait):
	}
}
