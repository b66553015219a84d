package credentials

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sso"
	"github.com/aws/smithy-go/middleware"

	"github.com/awstray/awstray/credentials/awsconfig"
)

// Calls to the AWS access portal with an access token: the role
// credentials of a profile, and the accounts and roles a sign-in may use.

func (r *Resolver) getRoleCredentials(ctx context.Context, p *awsconfig.Profile, s ssoSettings, t *ssoToken) (Credentials, error) {
	o := r.opts()
	cctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	out, err := r.ssoPortal(p, s).GetRoleCredentials(cctx, &sso.GetRoleCredentialsInput{
		AccessToken: aws.String(t.Access.Reveal()),
		AccountId:   aws.String(p.SSOAccountID),
		RoleName:    aws.String(p.SSORoleName),
	})
	what := fmt.Sprintf("getting role %s in account %s for profile %q", p.SSORoleName, p.SSOAccountID, p.Name)
	if err != nil {
		return Credentials{}, fmt.Errorf("%s: %w", what, describeAWSError(err, o.Timeout))
	}
	rc := out.RoleCredentials
	if rc == nil || rc.AccessKeyId == nil || rc.SecretAccessKey == nil || rc.SessionToken == nil || rc.Expiration == 0 {
		return Credentials{}, fmt.Errorf("%s: the portal answered without credentials", what)
	}
	return Credentials{
		AccessKeyID:     *rc.AccessKeyId,
		SecretAccessKey: NewSecret(*rc.SecretAccessKey),
		SessionToken:    NewSecret(*rc.SessionToken),
		Expires:         time.UnixMilli(rc.Expiration).UTC(),
	}, nil
}

func (r *Resolver) ssoPortal(p *awsconfig.Profile, s ssoSettings) SSOAPI {
	endpoint := r.Config.Endpoint(p, "sso", r.getenv)
	if r.NewSSO != nil {
		return r.NewSSO(s.region, endpoint)
	}
	o := sso.Options{Region: s.region, Credentials: aws.AnonymousCredentials{}, HTTPClient: r.httpClient(), Retryer: retryerFor(r.opts().Timeout),
		APIOptions: []func(*middleware.Stack) error{recordAttempts}, DisableClockSkewCorrection: true}
	if endpoint != "" {
		o.BaseEndpoint = aws.String(endpoint)
	}
	return sso.New(o)
}

// SSOAssignment is an account and role the signed-in person may use.
type SSOAssignment struct {
	AccountID   string
	AccountName string
	RoleName    string
}

// SSOAssignments lists every account and role the sso-session's sign-in
// may use (the portal's ListAccounts and ListAccountRoles), signing in
// first when needed, sorted by account name and role.
func (r *Resolver) SSOAssignments(ctx context.Context, session string) ([]SSOAssignment, error) {
	sess := r.Config.SSOSessions[session]
	switch {
	case sess == nil:
		return nil, fmt.Errorf("no [sso-session %s] in %s", session, r.Config.Path)
	case sess.StartURL == "" || sess.Region == "":
		return nil, fmt.Errorf("[sso-session %s] needs sso_start_url and sso_region", session)
	}
	p := &awsconfig.Profile{SSOSession: session}
	s := ssoSettingsOf(r.Config, p)
	tok, signedIn, err := r.ssoAccessToken(ctx, p, s, &retrieval{})
	if err != nil {
		return nil, err
	}
	out, err := r.listAssignments(ctx, p, s, tok)
	var ue *AWSError
	if err != nil && !signedIn && errors.As(err, &ue) && ue.Code == "UnauthorizedException" {
		if tok, err = r.ssoSignIn(ctx, p, s, tok, &retrieval{}); err != nil {
			return nil, err
		}
		out, err = r.listAssignments(ctx, p, s, tok)
	}
	if err != nil {
		return nil, fmt.Errorf("listing the accounts of sso-session %q: %w", session, err)
	}
	slices.SortFunc(out, func(a, b SSOAssignment) int {
		return cmp.Or(cmp.Compare(a.AccountName, b.AccountName), cmp.Compare(a.AccountID, b.AccountID), cmp.Compare(a.RoleName, b.RoleName))
	})
	return out, nil
}

func (r *Resolver) listAssignments(ctx context.Context, p *awsconfig.Profile, s ssoSettings, t *ssoToken) ([]SSOAssignment, error) {
	o := r.opts()
	portal := r.ssoPortal(p, s)
	var out []SSOAssignment
	accounts := sso.NewListAccountsPaginator(portal, &sso.ListAccountsInput{AccessToken: aws.String(t.Access.Reveal()), MaxResults: aws.Int32(100)})
	for accounts.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, o.Timeout)
		page, err := accounts.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, describeAWSError(err, o.Timeout)
		}
		for _, a := range page.AccountList {
			id, name := aws.ToString(a.AccountId), aws.ToString(a.AccountName)
			roles := sso.NewListAccountRolesPaginator(portal, &sso.ListAccountRolesInput{AccessToken: aws.String(t.Access.Reveal()), AccountId: a.AccountId, MaxResults: aws.Int32(100)})
			for roles.HasMorePages() {
				cctx, cancel := context.WithTimeout(ctx, o.Timeout)
				rp, err := roles.NextPage(cctx)
				cancel()
				if err != nil {
					return nil, describeAWSError(err, o.Timeout)
				}
				for _, role := range rp.RoleList {
					out = append(out, SSOAssignment{AccountID: id, AccountName: name, RoleName: aws.ToString(role.RoleName)})
				}
			}
		}
	}
	return out, nil
}
