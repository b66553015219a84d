package launcher

import (
	"strings"
	"time"
)

// EnvMarker is set in every environment awstray makes, to the profile's name.
const EnvMarker = "AWSTRAY"

// PromptVar names the profile for shell prompts in every environment
// awstray makes. Prompts read the profile from these variables, first
// found first:
//
//	starship's aws module: AWSU_PROFILE, AWS_VAULT, AWSUME_PROFILE, AWS_PROFILE, AWS_SSO_PROFILE
//	powerlevel10k's aws segment: AWS_SSO_PROFILE, AWS_VAULT, AWSUME_PROFILE, AWS_PROFILE, AWS_DEFAULT_PROFILE
//	oh-my-zsh's aws plugin: AWS_PROFILE
//
// AWS_SSO_PROFILE is the one that two of them read and no SDK or AWS CLI
// does (it is aws-sso-cli's own marker): the SDKs read AWS_PROFILE, which
// would have them load the profile's config (its source_profile, role,
// credential_process, endpoint settings) beside the keys — exec removes it
// for that reason. AWS_VAULT would make aws-vault refuse to run inside,
// which awstray's own AWSTRAY marker already decides for awstray, and it
// would hide the profile a later aws-vault, awsume or AWS_PROFILE switch
// names in starship. Starship shows the expiry from
// AWS_CREDENTIAL_EXPIRATION, which exec sets; oh-my-zsh needs the one
// line the README gives.
const PromptVar = "AWS_SSO_PROFILE"

// otherToolVars name another tool's profile or expiry: inherited into an
// awstray environment they would make prompts show credentials that were
// replaced.
var otherToolVars = []string{"AWS_VAULT", "AWSUME_PROFILE", "AWSU_PROFILE", "AWSUME_EXPIRATION", PromptVar}

// removedVars are taken out of a credentialed environment: they would make
// SDKs look for another profile or file instead of the variables we set,
// or prompts show another profile.
var removedVars = append([]string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_SESSION_EXPIRATION",
	"AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CREDENTIAL_FILE",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	EnvMarker,
}, otherToolVars...)

// CredentialEnv returns base with the credential variables of v set,
// AWS_REGION and AWS_DEFAULT_REGION when region is known, AWSTRAY=profile
// and AWS_SSO_PROFILE=profile (PromptVar), and the variables that would
// point SDKs or prompts elsewhere removed.
func CredentialEnv(base []string, v Vars, region string) []string {
	env := make([]string, 0, len(base)+10)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if contains(removedVars, name) || (region != "" && (name == "AWS_REGION" || name == "AWS_DEFAULT_REGION")) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "AWS_ACCESS_KEY_ID="+v.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+v.SecretAccessKey)
	if v.SessionToken != "" {
		env = append(env, "AWS_SESSION_TOKEN="+v.SessionToken, "AWS_SECURITY_TOKEN="+v.SessionToken)
	}
	if !v.Expires.IsZero() {
		exp := v.Expires.UTC().Format(time.RFC3339)
		env = append(env, "AWS_CREDENTIAL_EXPIRATION="+exp, "AWS_SESSION_EXPIRATION="+exp)
	}
	if region != "" {
		env = append(env, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	}
	return append(env, PromptVar+"="+v.Profile, EnvMarker+"="+v.Profile)
}

// secretVars carry secrets: no program started for the tray (a dialog, a
// terminal, a browser) inherits them.
var secretVars = []string{
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWSTRAY_FILE_PASSPHRASE",
}

// IsSecretVar reports whether the environment variable name carries a
// secret (a key, a token, the file keyring's passphrase), so that a
// program started for the tray must not inherit it.
func IsSecretVar(name string) bool { return contains(secretVars, name) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// ServerEnv is CredentialEnv for `exec --server`: no key variables — SDKs
// read the container-credentials endpoint in serverVars
// (AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN)
// and refresh from it by themselves.
func ServerEnv(base, serverVars []string, region, profile string) []string {
	env := make([]string, 0, len(base)+6)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if contains(removedVars, name) || (region != "" && (name == "AWS_REGION" || name == "AWS_DEFAULT_REGION")) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, serverVars...)
	if region != "" {
		env = append(env, "AWS_REGION="+region, "AWS_DEFAULT_REGION="+region)
	}
	return append(env, PromptVar+"="+profile, EnvMarker+"="+profile)
}
