//go:build darwin && !cgo

package sessionwatch

import (
	"context"
	"errors"
)

// Run reports that a build without cgo cannot watch the screen lock (the
// tray itself needs cgo on macOS).
func Run(ctx context.Context, o Options) error {
	return errors.New("watching for the screen lock: this build has no cgo")
}
