package credentials

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// FederationAPI is the part of the STS client console sign-in of an IAM
// user calls; *sts.Client satisfies it.
type FederationAPI interface {
	GetCallerIdentity(ctx context.Context, in *sts.GetCallerIdentityInput, optFns ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
	GetFederationToken(ctx context.Context, in *sts.GetFederationTokenInput, optFns ...func(*sts.Options)) (*sts.GetFederationTokenOutput, error)
}

// DefaultFederationDuration is how long a console session of an IAM user
// lasts unless asked otherwise.
const DefaultFederationDuration = time.Hour

// ErrFederationMFA means an IAM user profile with mfa_serial was asked for
// federation credentials, which cannot carry MFA.
var ErrFederationMFA = errors.New("GetFederationToken takes no MFA code")

// FederationMFAError names the profile and says what to do instead.
type FederationMFAError struct{ Profile string }

func (e *FederationMFAError) Error() string {
	return fmt.Sprintf("profile %q has an mfa_serial, and the console sign-in of an IAM user (STS GetFederationToken) cannot carry MFA: "+
		"sign in through a role profile instead (role_arn, with source_profile = %s), which asks for the MFA code", e.Profile, e.Profile)
}

// Is makes errors.Is(err, ErrFederationMFA) true.
func (e *FederationMFAError) Is(target error) bool { return target == ErrFederationMFA }

// CheckFederation reports whether profile p, an IAM user, may sign in to the
// console with GetFederationToken.
//
// GetFederationToken is signed with the long-term key and has no MFA
// parameters, so its session never has MFA. For a user with mfa_serial that
// would be a console session that skipped the second factor the person set
// up (and one that fails wherever a policy requires aws:MultiFactorAuthPresent,
// a common guard). aws-vault signs such users in anyway (its issues #564 and
// #784); awstray refuses and points to a role profile, whose AssumeRole does
// take the MFA code.
func CheckFederation(p *awsconfig.Profile) error {
	if p.Kind() != awsconfig.KindUser {
		return fmt.Errorf("profile %q is a %s profile, not an IAM user", p.Name, p.Kind())
	}
	if p.MFASerial != "" {
		return &FederationMFAError{Profile: p.Name}
	}
	return nil
}

// FederationToken makes console sign-in credentials for the IAM user
// profile with GetFederationToken, signed with the user's long-term key:
// the federation endpoint takes only role and federation-token credentials,
// not the user's GetSessionToken session. duration 0 means
// DefaultFederationDuration. Nothing is cached: each sign-in makes its own.
func (r *Resolver) FederationToken(ctx context.Context, profile string, duration time.Duration) (Credentials, error) {
	p, err := r.Config.Profile(profile)
	if err != nil {
		return Credentials{}, err
	}
	if err := CheckFederation(p); err != nil {
		return Credentials{}, err
	}
	key, err := r.longTermKey(p.Name)
	if err != nil {
		return Credentials{}, err
	}
	return r.federate(ctx, p, key, duration)
}

// FederationTokenWith is FederationToken signed with key, a long-term key
// from elsewhere (a credential_process that gives one).
func (r *Resolver) FederationTokenWith(ctx context.Context, profile string, key Credentials, duration time.Duration) (Credentials, error) {
	p, err := r.Config.Profile(profile)
	if err != nil {
		return Credentials{}, err
	}
	return r.federate(ctx, p, key, duration)
}

// adminPolicy is the session policy passed to GetFederationToken, in the
// caller's partition.
//
// Without a session policy a federated user session has no permissions at
// all. With one, its permissions are the intersection of the policy and
// the IAM user's own policies (AWS: "Session policies"); permission
// boundaries and SCPs still apply. So a policy that allows everything gives
// the console exactly the user's own permissions — never more. AWS's
// documentation of GetFederationToken shows passing a managed policy ARN
// as the session policy; the AWS-managed AdministratorAccess (Action "*",
// Resource "*") is that allow-everything policy, exists in every partition,
// costs far less of the packed-policy size than an inline document, and
// names itself in CloudTrail. (aws-vault passes the same statement inline.)
func adminPolicy(partition string) string {
	return "arn:" + partition + ":iam::aws:policy/AdministratorAccess"
}

func (r *Resolver) federate(ctx context.Context, p *awsconfig.Profile, key Credentials, duration time.Duration) (Credentials, error) {
	o := r.opts()
	if duration == 0 {
		duration = DefaultFederationDuration
	}
	client, ok := r.client(p, key).(FederationAPI)
	if !ok {
		return Credentials{}, errors.New("this STS client cannot call GetFederationToken")
	}
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	id, err := client.GetCallerIdentity(cctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return Credentials{}, fmt.Errorf("finding the IAM user of profile %q: %w", p.Name, describeAWSError(err, o.Timeout))
	}
	arn := aws.ToString(id.Arn)
	partition, name := federationName(arn)
	if name == "" {
		return Credentials{}, fmt.Errorf("profile %q: its key belongs to %s, not an IAM user", p.Name, arn)
	}
	out, err := client.GetFederationToken(cctx, &sts.GetFederationTokenInput{
		Name:            aws.String(name),
		DurationSeconds: aws.Int32(int32(duration / time.Second)),
		PolicyArns:      []ststypes.PolicyDescriptorType{{Arn: aws.String(adminPolicy(partition))}},
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("getting a federation token for profile %q: %w", p.Name, describeAWSError(err, o.Timeout))
	}
	c, err := fromSTS(out.Credentials)
	if err != nil {
		return Credentials{}, fmt.Errorf("getting a federation token for profile %q: %w", p.Name, err)
	}
	return c, nil
}

// federationName takes an IAM user's ARN (arn:aws:iam::123456789012:user/path/alice)
// apart into its partition and the federated user's name: the user's name
// as GetFederationToken takes it (2 to 32 of [A-Za-z0-9+=,.@_-]), so the
// console and CloudTrail show who it is. name is "" for what is not a user
// (the root user, a role).
func federationName(arn string) (partition, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "user/") {
		return "", ""
	}
	partition = parts[1]
	user := parts[5][strings.LastIndex(parts[5], "/")+1:]
	name = strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("+=,.@_-", r):
			return r
		}
		return '_'
	}, user)
	if len(name) > 32 {
		name = name[:32]
	}
	if len(name) < 2 {
		name = "awstray-" + name
	}
	return partition, name
}
