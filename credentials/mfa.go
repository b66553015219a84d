package credentials

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// mfaProcessTimeout bounds an mfa_process run (a variable for tests).
var mfaProcessTimeout = 2 * time.Minute

// MFAProcess is the nearest mfa_process along the profile's chain, "" when
// there is none.
func MFAProcess(cfg *awsconfig.Config, profile string) string {
	chain, err := cfg.Chain(profile)
	if err != nil {
		return ""
	}
	for _, p := range chain {
		if p.MFAProcess != "" {
			return p.MFAProcess
		}
	}
	return ""
}

// RunMFAProcess runs an mfa_process command through the shell and returns
// the code it printed.
func RunMFAProcess(ctx context.Context, profile, command string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, mfaProcessTimeout)
	defer cancel()
	cmd := shellCommand(ctx, command)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return "", fmt.Errorf("mfa_process of profile %q gave no code within %s", profile, mfaProcessTimeout)
		}
		return "", fmt.Errorf("mfa_process of profile %q failed: %w", profile, err)
	}
	code := strings.TrimSpace(string(out))
	if code == "" {
		return "", fmt.Errorf("mfa_process of profile %q printed no code", profile)
	}
	return code, nil
}
