package agent

import (
	"crypto/rand"
	"testing"
)

// testPath is a pipe name of the test's own.
func testPath(testing.TB) string {
	return `\\.\pipe\awstray-test-` + rand.Text()
}
