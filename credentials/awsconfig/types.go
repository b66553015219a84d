// Package awsconfig reads the AWS shared config file (~/.aws/config or
// AWS_CONFIG_FILE) the way the AWS CLI reads it, and resolves a profile's
// source_profile chain. It knows nothing of keyrings or STS.
package awsconfig

import "time"

// Kind is what a profile's credentials come from.
type Kind string

// The kinds of profile.
const (
	KindUser    Kind = "iam-user" // a long-term key in the keyring
	KindRole    Kind = "role"     // role_arn with a source_profile (or credential_process)
	KindSSO     Kind = "sso"      // sso_session / sso_start_url
	KindProcess Kind = "process"  // credential_process without role_arn
)

// Profile is one [profile NAME] (or [default]) section with the keys
// awstray uses. Values are as written, trimmed; include_profile is already
// merged in (keys of this profile win).
type Profile struct {
	Name string
	Line int // line of the section header, for messages

	Region            string
	SourceProfile     string
	RoleARN           string
	MFASerial         string
	MFAProcess        string
	RoleSessionName   string
	ExternalID        string
	Duration          time.Duration // duration_seconds; 0 when unset
	IncludeProfile    string
	CredentialProcess string
	SSOSession        string
	SSOStartURL       string
	SSORegion         string
	SSOAccountID      string
	SSORoleName       string
	EndpointURL       string
	Services          string // name of a [services NAME] section

	// Raw holds every key of the section (lower-cased) with its value,
	// including ones awstray does not interpret. A key whose value spans
	// lines holds them joined by "\n", as the AWS CLI joins them.
	Raw map[string]string

	err error // why include_profile could not be merged, reported on use
}

// Kind reports where the profile's credentials come from.
func (p *Profile) Kind() Kind {
	switch {
	case p.RoleARN != "":
		return KindRole
	case p.SSOSession != "" || p.SSOStartURL != "":
		return KindSSO
	case p.CredentialProcess != "":
		return KindProcess
	default:
		return KindUser
	}
}

// SSOSession is one [sso-session NAME] section.
type SSOSession struct {
	Name               string
	Line               int
	StartURL           string
	Region             string
	RegistrationScopes string
	Raw                map[string]string
}

// Services is one [services NAME] section: per-service settings such as
// endpoint_url, keyed by lower-cased service id ("sts", "iam", "sso", "sso_oidc"...).
type Services struct {
	Name     string
	Line     int
	Settings map[string]map[string]string
}

// Config is a parsed config file. Parse and Load never leave its maps nil.
// Its methods only read it, so it may be shared between goroutines once
// parsed.
type Config struct {
	Path        string
	Profiles    []*Profile // in file order
	SSOSessions map[string]*SSOSession
	Services    map[string]*Services
}
