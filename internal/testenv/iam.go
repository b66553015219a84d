package testenv

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
)

// AllowAllPolicy lets a moto user call everything once moto enforces
// signatures and policies.
const AllowAllPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// CreateUserKey makes an IAM user with an allow-all policy and an access key
// in moto and returns the key. It takes four IAM calls: start moto with
// INITIAL_NO_AUTH_ACTION_COUNT=4 (per user) to have signatures enforced
// afterwards.
func (m *Moto) CreateUserKey(user string) (id, secret string, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(m.URL),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIAIOSFODNN7SETUP00", SecretAccessKey: "setup/setup/setup/setup/setup/setup/0000"}, nil
		}),
	})
	if _, err := client.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		return "", "", fmt.Errorf("creating user %s in moto: %w", user, err)
	}
	key, err := client.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(user)})
	if err != nil {
		return "", "", fmt.Errorf("creating a key for %s in moto: %w", user, err)
	}
	pol, err := client.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(user + "-all"), PolicyDocument: aws.String(AllowAllPolicy)})
	if err != nil {
		return "", "", fmt.Errorf("creating a policy in moto: %w", err)
	}
	if _, err := client.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(user), PolicyArn: pol.Policy.Arn}); err != nil {
		return "", "", fmt.Errorf("attaching a policy in moto: %w", err)
	}
	return *key.AccessKey.AccessKeyId, *key.AccessKey.SecretAccessKey, nil
}
