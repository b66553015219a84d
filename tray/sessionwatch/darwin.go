//go:build darwin && cgo

package sessionwatch

/*
#cgo CFLAGS: -x objective-c -fobjc-arc
#cgo LDFLAGS: -framework Cocoa
#import <Cocoa/Cocoa.h>

extern void awstraySessionEvent(int reason);

static id awstrayLockObserver;
static id awstraySleepObserver;

// Observers on the main queue: systray runs the application's run loop
// there, where distributed notifications arrive.
static void awstrayWatchStart(void) {
	awstrayLockObserver = [[NSDistributedNotificationCenter defaultCenter]
		addObserverForName:@"com.apple.screenIsLocked" object:nil queue:[NSOperationQueue mainQueue]
		usingBlock:^(NSNotification *n) { awstraySessionEvent(1); }];
	awstraySleepObserver = [[[NSWorkspace sharedWorkspace] notificationCenter]
		addObserverForName:NSWorkspaceWillSleepNotification object:nil queue:[NSOperationQueue mainQueue]
		usingBlock:^(NSNotification *n) { awstraySessionEvent(2); }];
}

static void awstrayWatchStop(void) {
	if (awstrayLockObserver != nil) {
		[[NSDistributedNotificationCenter defaultCenter] removeObserver:awstrayLockObserver];
		awstrayLockObserver = nil;
	}
	if (awstraySleepObserver != nil) {
		[[[NSWorkspace sharedWorkspace] notificationCenter] removeObserver:awstraySleepObserver];
		awstraySleepObserver = nil;
	}
}
*/
import "C"

import "context"

// Run listens for com.apple.screenIsLocked and NSWorkspace's will-sleep
// until ctx ends, and returns ctx.Err().
func Run(ctx context.Context, o Options) error {
	o.defaults()
	if err := claim(&o); err != nil {
		return err
	}
	C.awstrayWatchStart()
	o.Ready()
	<-ctx.Done()
	C.awstrayWatchStop()
	release()
	return ctx.Err()
}
