package notify

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestWindowsNotifierReportsAFastFailure(t *testing.T) {
	n := newNotifier(Options{}, func(string, Notification) error { return errors.New("no toast here") })
	defer n.Close()
	if _, err := n.Notify(Notification{Title: "x"}); err == nil || !strings.Contains(err.Error(), "no toast here") {
		t.Errorf("Notify = %v, want the toast's error", err)
	}
}

// TestWindowsNotifierDoesNotWaitForASlowToast: a toast that does not end
// (PowerShell that hangs) holds up neither Notify nor the toasts after it
// longer than the wait, and they are shown in order once it ends.
func TestWindowsNotifierDoesNotWaitForASlowToast(t *testing.T) {
	release := make(chan struct{})
	shown := make(chan string, queueLen+2)
	apps := make(chan string, queueLen+2)
	n := newNotifier(Options{CallTimeout: time.Millisecond}, func(app string, note Notification) error {
		apps <- app
		if note.Title == "slow" {
			<-release
		}
		shown <- note.Title
		return nil
	})
	defer n.Close()
	first, err := n.Notify(Notification{Title: "slow"})
	if err != nil || first == 0 {
		t.Fatalf("Notify(slow) = %d, %v", first, err)
	}
	if app := <-apps; app != "awstray" {
		t.Errorf("app name %q, want awstray", app)
	}
	// The slow toast is being shown: as many as the queue holds wait.
	for i := range queueLen {
		id, err := n.Notify(Notification{Title: "next"})
		if err != nil || id != first+ID(i)+1 {
			t.Fatalf("Notify(next) #%d = %d, %v", i, id, err)
		}
	}
	if _, err := n.Notify(Notification{Title: "one too many"}); !errors.Is(err, errTooMany) {
		t.Errorf("Notify with a full queue = %v, want errTooMany", err)
	}
	close(release)
	if got := <-shown; got != "slow" {
		t.Errorf("shown first: %q", got)
	}
	for range queueLen {
		if got := <-shown; got != "next" {
			t.Errorf("shown then: %q", got)
		}
	}
}

func TestWindowsNotifierClosed(t *testing.T) {
	n := newNotifier(Options{}, func(string, Notification) error { return nil })
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Notify(Notification{Title: "x"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Notify after Close = %v, want ErrClosed", err)
	}
	if err := n.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
