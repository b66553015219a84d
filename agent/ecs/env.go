package ecs

import (
	"runtime"
	"strings"
)

// The variables a child reads to find the endpoint.
const (
	EnvFullURI = "AWS_CONTAINER_CREDENTIALS_FULL_URI"
	EnvToken   = "AWS_CONTAINER_AUTHORIZATION_TOKEN"
)

// overriding lists variables that make the SDKs ignore the endpoint or send
// the wrong token: credentials in the environment and web identity come
// first in every SDK's chain, a relative URI beats the full one, a token
// file beats the token, and a profile may carry credentials of its own.
var overriding = []string{
	"AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY",
	"AWS_SESSION_TOKEN",
	"AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION",
	"AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME",
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	EnvFullURI,
	EnvToken,
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
}

// Env is the two entries that point a child at the endpoint, in the
// "KEY=value" form of os/exec. The token is a secret: never log them.
func (s *Server) Env() []string {
	return []string{EnvFullURI + "=" + s.url, EnvToken + "=" + s.token}
}

// Environ returns base without the variables that would take precedence
// over the endpoint (keys, web identity, a relative URI, a token file,
// AWS_PROFILE), followed by Env. A [default] profile with credentials of
// its own in ~/.aws (keys, a role, SSO, credential_process) still wins in
// the SDKs' chains; that is the user's file.
func (s *Server) Environ(base []string) []string {
	out := make([]string, 0, len(base)+2)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		if !isOverriding(name) {
			out = append(out, kv)
		}
	}
	return append(out, s.Env()...)
}

func isOverriding(name string) bool {
	for _, o := range overriding {
		// Windows matches variable names without regard to case.
		if name == o || runtime.GOOS == "windows" && strings.EqualFold(name, o) {
			return true
		}
	}
	return false
}
