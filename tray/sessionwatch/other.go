//go:build !unix && !windows

package sessionwatch

import (
	"context"
	"errors"
)

// Run reports that this system has no screen lock to watch.
func Run(ctx context.Context, o Options) error {
	return errors.New("watching for the screen lock: not supported on this system")
}
