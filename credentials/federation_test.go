package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

func (c *fakeClient) GetCallerIdentity(_ context.Context, _ *sts.GetCallerIdentityInput, _ ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	c.f.calls = append(c.f.calls, "GetCallerIdentity by "+c.signer.AccessKeyID)
	if c.f.fail != nil {
		return nil, c.f.fail
	}
	return &sts.GetCallerIdentityOutput{Arn: aws.String("arn:aws-us-gov:iam::111111111111:user/team/" + strings.ToLower(c.signer.AccessKeyID[4:9]))}, nil
}

func (c *fakeClient) GetFederationToken(_ context.Context, in *sts.GetFederationTokenInput, _ ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error) {
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	var arns []string
	for _, p := range in.PolicyArns {
		arns = append(arns, aws.ToString(p.Arn))
	}
	c.f.calls = append(c.f.calls, fmt.Sprintf("GetFederationToken %s by %s dur=%d policy=%s inline=%v", aws.ToString(in.Name), c.signer.AccessKeyID, aws.ToInt32(in.DurationSeconds), strings.Join(arns, ","), in.Policy != nil))
	return &sts.GetFederationTokenOutput{Credentials: c.f.mint(aws.ToInt32(in.DurationSeconds))}, nil
}

func TestFederationToken(t *testing.T) {
	h := newHarness(t)
	c := h.get(t, Request{Profile: "plain"}) // a cached session must not be used
	h.sts.take()
	fed, err := h.r.FederationToken(context.Background(), "plain", 0)
	if err != nil {
		t.Fatal(err)
	}
	if fed.AccessKeyID == c.AccessKeyID || fed.SessionToken.IsZero() {
		t.Fatalf("federation credentials %s are not new temporary ones", fed.AccessKeyID)
	}
	want := []string{
		"GetCallerIdentity by AKIAPLAINKEY000000000",
		"GetFederationToken plain by AKIAPLAINKEY000000000 dur=3600 policy=arn:aws-us-gov:iam::aws:policy/AdministratorAccess inline=false",
	}
	if got := h.sts.take(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := h.codes; n != 0 {
		t.Fatalf("asked for %d MFA codes", n)
	}
}

func TestFederationTokenRefused(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct{ profile, want string }{
		{"user", `profile "user" has an mfa_serial, and the console sign-in of an IAM user (STS GetFederationToken) cannot carry MFA`},
		{"r1", `profile "r1" is a role profile, not an IAM user`},
		{"nope", `nope`},
	} {
		_, err := h.r.FederationToken(context.Background(), tc.profile, 0)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.profile, err, tc.want)
		}
	}
	_, err := h.r.FederationToken(context.Background(), "user", 0)
	if !errors.Is(err, ErrFederationMFA) {
		t.Errorf("not ErrFederationMFA: %v", err)
	}
	if calls := h.sts.take(); len(calls) != 0 {
		t.Fatalf("STS was called: %v", calls)
	}
}

func TestFederationName(t *testing.T) {
	for _, tc := range []struct{ arn, partition, name string }{
		{"arn:aws:iam::123456789012:user/alice", "aws", "alice"},
		{"arn:aws-cn:iam::123456789012:user/path/to/bob", "aws-cn", "bob"},
		{"arn:aws:iam::123456789012:user/" + strings.Repeat("x", 40), "aws", strings.Repeat("x", 32)},
		{"arn:aws:iam::123456789012:user/a", "aws", "awstray-a"},
		{"arn:aws:iam::123456789012:root", "", ""},
		{"arn:aws:sts::123456789012:assumed-role/r/s", "", ""},
	} {
		p, n := federationName(tc.arn)
		if p != tc.partition || n != tc.name {
			t.Errorf("%s: %q %q, want %q %q", tc.arn, p, n, tc.partition, tc.name)
		}
	}
}
