package credentials

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
	"github.com/aws/smithy-go"
)

// NewSTSClient returns an STS client for region that signs with creds,
// sends to endpoint when it is set, and gives every attempt a deadline:
// the SDK's default HTTP client waits forever on a server that accepts and
// never answers.
func NewSTSClient(region, endpoint string, creds Credentials, timeout time.Duration) *sts.Client {
	o := sts.Options{
		Region:      region,
		Credentials: staticProvider(creds),
		HTTPClient:  &http.Client{Timeout: timeout},
		Retryer:     retryer(),
	}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return sts.New(o)
}

// retryer gives each AWS client three attempts with short backoffs: a
// person waits on most calls.
func retryer() aws.Retryer {
	return retry.NewStandard(func(so *retry.StandardOptions) {
		so.MaxAttempts = 3
		so.MaxBackoff = 2 * time.Second
	})
}

func staticProvider(c Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		return aws.Credentials{
			AccessKeyID:     c.AccessKeyID,
			SecretAccessKey: c.SecretAccessKey.Reveal(),
			SessionToken:    c.SessionToken.Reveal(),
			CanExpire:       c.CanExpire(),
			Expires:         c.Expires,
			Source:          "awstray",
		}, nil
	})
}

func fromSTS(c *ststypes.Credentials) (Credentials, error) {
	if c == nil || c.AccessKeyId == nil || c.SecretAccessKey == nil || c.SessionToken == nil || c.Expiration == nil {
		return Credentials{}, errors.New("STS answered without credentials")
	}
	return Credentials{
		AccessKeyID:     *c.AccessKeyId,
		SecretAccessKey: NewSecret(*c.SecretAccessKey),
		SessionToken:    NewSecret(*c.SessionToken),
		Expires:         c.Expiration.UTC(),
	}, nil
}

// AWSError is an error answered by AWS, shown as "Code: message".
type AWSError struct {
	Code    string
	Message string
	err     error
}

func (e *AWSError) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

func (e *AWSError) Unwrap() error { return e.err }

// describeAWSError turns an SDK error into one line a person can act on:
// AWS's own code and message, or what went wrong on the way.
func describeAWSError(err error, timeout time.Duration) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return &AWSError{Code: ae.ErrorCode(), Message: ae.ErrorMessage(), err: err}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("no answer from AWS within %s: %w", timeout, errShort(err))
	}
	if errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return fmt.Errorf("cannot reach AWS: %w", oe)
	}
	return errShort(err)
}

// errShort drops the SDK's long operation prefix.
func errShort(err error) error {
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}
