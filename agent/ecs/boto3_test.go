package ecs

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/internal/testenv"
)

// boto3Script reads credentials through the endpoint twice (boto3 asks
// again on every access when under 10 minutes are left, as here) and
// signs a call to moto with them.
const boto3Script = `
import json, os, sys
import boto3

session = boto3.Session()
creds = session.get_credentials()
first = creds.get_frozen_credentials()
second = creds.get_frozen_credentials()
ident = session.client("sts", endpoint_url=os.environ["MOTO_URL"]).get_caller_identity()
json.dump({
    "method": creds.method,
    "first": [first.access_key, first.secret_key, first.token],
    "second": [second.access_key, second.secret_key, second.token],
    "account": ident["Account"],
}, sys.stdout)
`

// requireBoto3 returns python3, which can import boto3.
func requireBoto3(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		testenv.Missing(t, "python3 not found")
	}
	if out, err := exec.Command(py, "-c", "import boto3").CombinedOutput(); err != nil {
		testenv.Missing(t, "boto3 not importable (pip install boto3): %v: %s", err, out)
	}
	return py
}

// boto3Env is an environment in which boto3 knows only the endpoint of s,
// with files in dir, and extra.
func boto3Env(dir string, s *Server, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "BOTO") {
			env = append(env, kv)
		}
	}
	env = append(env, s.Env()...)
	env = append(env,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"BOTO_CONFIG="+filepath.Join(dir, "boto"),
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_DEFAULT_REGION=us-east-1",
	)
	return append(env, extra...)
}

// TestBoto3 proves the answer's shape works for Python: boto3 raises
// KeyError on a missing Token or Expiration.
func TestBoto3(t *testing.T) {
	py := requireBoto3(t)
	moto := testenv.StartMoto(t)

	var m minter
	s := startTest(t, t.Context(), m.source, Options{MaxLifetime: 30 * time.Second})
	dir := t.TempDir()
	env := boto3Env(dir, s, "MOTO_URL="+moto.URL)
	cmd := exec.CommandContext(t.Context(), py, "-c", boto3Script)
	cmd.Env = env
	cmd.Dir = dir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("boto3: %v\n%s", err, stderr.String())
	}
	var got struct {
		Method  string
		First   [3]string
		Second  [3]string
		Account string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 output: %v", err)
	}
	if got.Method != "container-role" {
		t.Errorf("boto3 took credentials from %q, not the endpoint", got.Method)
	}
	for _, f := range [][3]string{got.First, got.Second} {
		c, ok := m.lookup(f[0])
		if !ok || c.SecretAccessKey.Reveal() != f[1] || c.SessionToken.Reveal() != f[2] {
			t.Fatalf("boto3 read credentials the source did not give (key %s)", f[0])
		}
	}
	if got.First[0] == got.Second[0] {
		t.Error("boto3 did not ask again with under 10 minutes left")
	}
	if got.Account == "" {
		t.Error("no account from GetCallerIdentity")
	}
	t.Logf("boto3: %d credential requests", s.Requests())
}

// TestBoto3ReportsLockedProfile: boto3 gives up on a locked profile with
// the endpoint's message. It tries any failure three times, a second
// apart, whatever the status.
func TestBoto3ReportsLockedProfile(t *testing.T) {
	py := requireBoto3(t)
	var calls atomic.Int64
	s := startTest(t, t.Context(), func(context.Context) (credentials.Credentials, error) {
		calls.Add(1)
		return credentials.Credentials{}, &credentials.LockedError{Profile: "dev"}
	}, Options{})
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), py, "-c", "import boto3; boto3.Session().get_credentials()")
	cmd.Env = boto3Env(dir, s)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("boto3 got credentials of a locked profile: %s", out)
	}
	for _, want := range []string{"Received non 200 response 423", "ProfileLocked", `profile \"dev\" is locked in the awstray tray`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("boto3 said no %q:\n%s", want, out)
		}
	}
	if n := calls.Load(); n != 3 {
		t.Errorf("boto3 asked %d times, want 3", n)
	}
}
