package credentials

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// consoleCalls records which of a ConsoleSource's calls ran.
type consoleCalls struct{ calls []string }

func (r *consoleCalls) source(held Credentials) ConsoleSource {
	return ConsoleSource{
		Credentials: func(_ context.Context, p string) (Credentials, error) {
			r.calls = append(r.calls, "credentials "+p)
			return held, nil
		},
		FederationToken: func(_ context.Context, p string, d time.Duration) (Credentials, error) {
			r.calls = append(r.calls, "federation "+p+" "+d.String())
			return Credentials{AccessKeyID: "ASIAFEDERATED", SessionToken: NewSecret("fed")}, nil
		},
		FederationTokenWith: func(_ context.Context, p string, key Credentials, d time.Duration) (Credentials, error) {
			r.calls = append(r.calls, "federation-with "+p+" "+key.AccessKeyID+" "+d.String())
			return Credentials{AccessKeyID: "ASIAFEDERATEDWITH", SessionToken: NewSecret("fed")}, nil
		},
	}
}

func TestConsoleCredentials(t *testing.T) {
	session := Credentials{AccessKeyID: "ASIAROLE", SecretAccessKey: NewSecret("s"), SessionToken: NewSecret("t")}
	longTerm := Credentials{AccessKeyID: "AKIAPROCESS", SecretAccessKey: NewSecret("s")}
	for _, tc := range []struct {
		name          string
		p             awsconfig.Profile
		held          Credentials
		wantKey       string
		wantFederated bool
		wantCalls     string
		wantErr       error
	}{
		{name: "IAM user: a federation token from the stored key", p: awsconfig.Profile{Name: "dev"},
			wantKey: "ASIAFEDERATED", wantFederated: true, wantCalls: "federation dev 2h0m0s"},
		{name: "IAM user with mfa_serial: refused, no call", p: awsconfig.Profile{Name: "dev", MFASerial: "arn:aws:iam::123456789012:mfa/dev"},
			wantErr: ErrFederationMFA},
		{name: "role: its own credentials", p: awsconfig.Profile{Name: "admin", RoleARN: "arn:aws:iam::123456789012:role/admin"}, held: session,
			wantKey: "ASIAROLE", wantCalls: "credentials admin"},
		{name: "SSO: its role credentials", p: awsconfig.Profile{Name: "sso", SSOSession: "corp"}, held: session,
			wantKey: "ASIAROLE", wantCalls: "credentials sso"},
		{name: "credential_process with a session: as it is", p: awsconfig.Profile{Name: "proc", CredentialProcess: "x"}, held: session,
			wantKey: "ASIAROLE", wantCalls: "credentials proc"},
		{name: "credential_process with a long-term key: federated with it", p: awsconfig.Profile{Name: "proc", CredentialProcess: "x"}, held: longTerm,
			wantKey: "ASIAFEDERATEDWITH", wantFederated: true, wantCalls: "credentials proc, federation-with proc AKIAPROCESS 2h0m0s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec consoleCalls
			c, federated, err := ConsoleCredentials(context.Background(), rec.source(tc.held), &tc.p, 2*time.Hour)
			if got := strings.Join(rec.calls, ", "); got != tc.wantCalls {
				t.Errorf("calls %q, want %q", got, tc.wantCalls)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || c.AccessKeyID != tc.wantKey || federated != tc.wantFederated {
				t.Fatalf("= %s, %v, %v; want %s, %v", c.AccessKeyID, federated, err, tc.wantKey, tc.wantFederated)
			}
		})
	}
}
