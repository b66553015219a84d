package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// IAMAPI is the part of the IAM client Rotate calls.
type IAMAPI interface {
	CreateAccessKey(ctx context.Context, in *iam.CreateAccessKeyInput, optFns ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error)
	DeleteAccessKey(ctx context.Context, in *iam.DeleteAccessKeyInput, optFns ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error)
}

// Rotation is what Rotate did.
type Rotation struct {
	OldAccessKeyID, NewAccessKeyID string
}

// rotateVerifyFor bounds how long a new key is tried before the old one is
// deleted: AWS takes a few seconds before a new key signs.
const rotateVerifyFor = 30 * time.Second

// Rotate replaces the long-term key of an IAM user profile: it creates a
// new key, stores it, proves it works, and only then deletes the old one.
// When a step after the new key exists fails, the error says which key is
// stored and which still exists in IAM; nothing is deleted that is not
// replaced. With mfa_serial the IAM calls are signed with an MFA session,
// as IAM requires of session credentials.
func (r *Resolver) Rotate(ctx context.Context, profile string) (Rotation, error) {
	p, err := r.Config.Profile(profile)
	if err != nil {
		return Rotation{}, err
	}
	if p.Kind() != awsconfig.KindUser {
		return Rotation{}, fmt.Errorf("profile %q is a %s profile; only IAM user profiles have a key to rotate", profile, p.Kind())
	}
	old, err := r.longTermKey(profile)
	if err != nil {
		return Rotation{}, err
	}
	signer := old
	st := &retrieval{target: profile, mfa: p.MFASerial, req: Request{Profile: profile}}
	if p.MFASerial != "" {
		if signer, err = r.session(ctx, p, st); err != nil {
			return Rotation{}, err
		}
	}
	o := r.opts()
	client := r.iamClient(p, signer)
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	out, err := client.CreateAccessKey(cctx, &iam.CreateAccessKeyInput{})
	cancel()
	if err != nil {
		return Rotation{}, fmt.Errorf("creating a new access key: %w", describeAWSError(err, o.Timeout))
	}
	if out.AccessKey == nil || out.AccessKey.AccessKeyId == nil || out.AccessKey.SecretAccessKey == nil {
		return Rotation{}, errors.New("creating a new access key: IAM answered without a key")
	}
	rot := Rotation{OldAccessKeyID: old.AccessKeyID, NewAccessKeyID: *out.AccessKey.AccessKeyId}
	secret := NewSecret(*out.AccessKey.SecretAccessKey)
	if err := SaveKey(r.Store, profile, rot.NewAccessKeyID, secret); err != nil {
		// The old key is still stored and works; withdraw the new one.
		dctx, dcancel := context.WithTimeout(ctx, o.Timeout)
		_, derr := client.DeleteAccessKey(dctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(rot.NewAccessKeyID)})
		dcancel()
		if derr != nil {
			return rot, fmt.Errorf("storing the new key %s failed (%v), and deleting it from IAM failed too: %w; the old key is still stored", rot.NewAccessKeyID, err, describeAWSError(derr, o.Timeout))
		}
		return rot, fmt.Errorf("storing the new key failed; it was deleted from IAM and the old key is still stored: %w", err)
	}
	fresh := Credentials{AccessKeyID: rot.NewAccessKeyID, SecretAccessKey: secret}
	if err := r.verifyKey(ctx, p, fresh); err != nil {
		return rot, fmt.Errorf("the new key %s is stored but does not work yet (%w); the old key %s was kept in IAM", rot.NewAccessKeyID, err, rot.OldAccessKeyID)
	}
	if p.MFASerial == "" {
		signer = fresh // the old key is about to go
		client = r.iamClient(p, signer)
	}
	dctx, dcancel := context.WithTimeout(ctx, o.Timeout)
	_, err = client.DeleteAccessKey(dctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(rot.OldAccessKeyID)})
	dcancel()
	if err != nil {
		return rot, fmt.Errorf("the new key %s is stored and works, but deleting the old key %s failed: %w; delete it in IAM", rot.NewAccessKeyID, rot.OldAccessKeyID, describeAWSError(err, o.Timeout))
	}
	return rot, nil
}

// verifyKey calls GetCallerIdentity with c until it works or
// rotateVerifyFor passes.
func (r *Resolver) verifyKey(ctx context.Context, p *awsconfig.Profile, c Credentials) error {
	o := r.opts()
	region := awsconfig.Region(p, r.getenv)
	if region == "" {
		region = "us-east-1"
	}
	client := NewSTSClient(region, r.Config.Endpoint(p, "sts", r.getenv), c, o.Timeout)
	deadline := time.Now().Add(rotateVerifyFor)
	for {
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		_, err := client.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return describeAWSError(err, o.Timeout)
		}
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (r *Resolver) iamClient(p *awsconfig.Profile, c Credentials) IAMAPI {
	if r.NewIAM != nil {
		return r.NewIAM(c)
	}
	o := iam.Options{
		Region:      "us-east-1", // IAM is global; its endpoint signs in us-east-1
		Credentials: staticProvider(c),
		HTTPClient:  &http.Client{Timeout: r.opts().Timeout},
		Retryer:     retry.NewStandard(func(so *retry.StandardOptions) { so.MaxAttempts = 3 }),
	}
	if ep := r.Config.Endpoint(p, "iam", r.getenv); ep != "" {
		o.BaseEndpoint = aws.String(ep)
	}
	return iam.New(o)
}
