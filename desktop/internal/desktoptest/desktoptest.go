// Package desktoptest is what the tests of the desktop packages share:
// they start real dialogs, terminals and clipboard programs under Xvfb,
// and every process they start must be gone when they end. It is imported
// by tests only.
package desktoptest

import (
	"context"
	"testing"
	"time"
)

// Context is a context for one test's calls: cancelled when the test ends,
// and after 20 s at most, so a program that hangs fails the test instead of
// the test binary's timeout.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Eventually polls cond for up to 5 s and fails the test if it never holds.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not after 5s", what)
}
