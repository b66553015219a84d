package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/awstray/awstray/internal/proc"
)

// processTimeout bounds a credential_process run, as the AWS SDKs do (a
// variable for tests).
var processTimeout = time.Minute

// processOutput is the credential_process JSON contract.
type processOutput struct {
	Version         int
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	SessionToken    string
	Expiration      string
}

// runCredentialProcess runs a profile's credential_process through the
// shell, as the AWS CLI does, and reads its JSON answer. The process's
// stderr goes to ours; its stdout (the secret) is never echoed.
func runCredentialProcess(ctx context.Context, profile, command string) (Credentials, error) {
	ctx, cancel := context.WithTimeout(ctx, processTimeout)
	defer cancel()
	cmd := shellCommand(ctx, command)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	cmd.Stdin = nil
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Credentials{}, fmt.Errorf("credential_process of profile %q gave no answer within %s", profile, processTimeout)
		}
		return Credentials{}, fmt.Errorf("credential_process of profile %q failed: %w", profile, err)
	}
	return parseProcessOutput(profile, out.Bytes())
}

func parseProcessOutput(profile string, b []byte) (Credentials, error) {
	var po processOutput
	if err := json.Unmarshal(b, &po); err != nil {
		return Credentials{}, fmt.Errorf("credential_process of profile %q printed no valid JSON: %w", profile, errNoValues(err))
	}
	if po.Version != 1 {
		return Credentials{}, fmt.Errorf("credential_process of profile %q printed Version %d; only 1 is supported", profile, po.Version)
	}
	if po.AccessKeyID == "" || po.SecretAccessKey == "" {
		return Credentials{}, fmt.Errorf("credential_process of profile %q printed no AccessKeyId or SecretAccessKey", profile)
	}
	c := Credentials{AccessKeyID: po.AccessKeyID, SecretAccessKey: NewSecret(po.SecretAccessKey), SessionToken: NewSecret(po.SessionToken)}
	if po.Expiration != "" {
		t, err := time.Parse(time.RFC3339, po.Expiration)
		if err != nil {
			return Credentials{}, fmt.Errorf("credential_process of profile %q printed an Expiration that is not RFC 3339", profile)
		}
		c.Expires = t.UTC()
	}
	return c, nil
}

// shellCommand runs a command line from the config through the shell, as
// the AWS CLI runs credential_process and mfa_process. The shell and
// whatever it starts end together at ctx's end: a command line that
// forks (`helper & …`) cannot keep the caller waiting.
func shellCommand(ctx context.Context, command string) *proc.Cmd {
	if runtime.GOOS == "windows" {
		return proc.Command(ctx, "cmd.exe", "/C", command)
	}
	return proc.Command(ctx, "/bin/sh", "-c", command)
}
