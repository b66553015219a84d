package awsconfig

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	minDuration = 900   // seconds; STS's floor for AssumeRole
	maxDuration = 43200 // seconds; a role's maximum session can be 12 h

	msgURL = "must be an absolute http:// or https:// URL"
)

// check returns the first problem with p's settings, nil when awstray can
// use them. Messages name keys, never values.
func (c *Config) check(p *Profile) error {
	if p.err != nil {
		return p.err
	}
	bad := func(key, msg string) error {
		return &ProfileError{Profile: p.Name, Key: key, Msg: msg}
	}
	if p.Region != "" && !validRegion(p.Region) {
		return bad("region", `region must look like "us-east-1" (lowercase letters, digits and dashes)`)
	}
	if v := p.Raw["duration_seconds"]; v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < minDuration || n > maxDuration {
			return bad("duration_seconds", "duration_seconds must be a whole number of seconds from 900 to 43200")
		}
	}
	if p.RoleARN != "" {
		if !validRoleARN(p.RoleARN) {
			return bad("role_arn", `role_arn must look like "arn:aws:iam::123456789012:role/NAME"`)
		}
		if p.SourceProfile == "" && p.CredentialProcess == "" {
			return bad("role_arn", "role_arn needs a source_profile or a credential_process to assume it with")
		}
	}
	if p.MFASerial != "" && !validMFASerial(p.MFASerial) {
		return bad("mfa_serial", `mfa_serial must be an MFA device ARN ("arn:aws:iam::123456789012:mfa/NAME") or a hardware serial (9 to 256 letters and digits)`)
	}
	if p.EndpointURL != "" && !validURL(p.EndpointURL) {
		return bad("endpoint_url", "endpoint_url "+msgURL)
	}
	if p.Services != "" {
		s := c.Services[p.Services]
		if s == nil {
			return bad("services", "services "+strconv.Quote(p.Services)+" does not exist")
		}
		names := make([]string, 0, len(s.Settings))
		for name := range s.Settings {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			if u := s.Settings[name]["endpoint_url"]; u != "" && !validURL(u) {
				return bad("services", "endpoint_url of "+strconv.Quote(name)+" in services "+strconv.Quote(p.Services)+" "+msgURL)
			}
		}
	}
	if p.isSSO() || p.SSORegion != "" {
		return c.checkSSO(p, bad)
	}
	return nil
}

func (c *Config) checkSSO(p *Profile, bad func(key, msg string) error) error {
	startURL, region := p.SSOStartURL, p.SSORegion
	urlMsg := "sso_start_url " + msgURL
	regionMsg := `sso_region must look like "us-east-1" (lowercase letters, digits and dashes)`
	if p.SSOSession != "" {
		s := c.SSOSessions[p.SSOSession]
		name := strconv.Quote(p.SSOSession)
		switch {
		case s == nil:
			return bad("sso_session", "sso_session "+name+" does not exist")
		case s.StartURL == "":
			return bad("sso_session", "sso-session "+name+" has no sso_start_url")
		case s.Region == "":
			return bad("sso_session", "sso-session "+name+" has no sso_region")
		case startURL != "" && startURL != s.StartURL:
			return bad("sso_start_url", "sso_start_url differs from the one of sso-session "+name)
		case region != "" && region != s.Region:
			return bad("sso_region", "sso_region differs from the one of sso-session "+name)
		}
		startURL, region = s.StartURL, s.Region
		urlMsg = "sso_start_url of sso-session " + name + " " + msgURL
		regionMsg = "sso_region of sso-session " + name + ` must look like "us-east-1" (lowercase letters, digits and dashes)`
	}
	switch {
	case startURL == "":
		return bad("sso_start_url", "sso_start_url is missing (or sso_session)")
	case !validURL(startURL):
		return bad("sso_start_url", urlMsg)
	case region == "":
		return bad("sso_region", "sso_region is missing")
	case !validRegion(region):
		return bad("sso_region", regionMsg)
	case p.SSOAccountID == "":
		return bad("sso_account_id", "sso_account_id is missing")
	case !validAccount(p.SSOAccountID):
		return bad("sso_account_id", "sso_account_id must be 12 digits")
	case p.SSORoleName == "":
		return bad("sso_role_name", "sso_role_name is missing")
	}
	return nil
}

// validRegion accepts region names such as us-east-1, eu-central-2 or
// us-gov-west-1: lowercase letters, digits and single dashes, starting with
// a letter.
func validRegion(s string) bool {
	if s == "" || len(s) > 64 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case c == '-' && s[i-1] != '-':
		default:
			return false
		}
	}
	return true
}

func validAccount(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// iamARN splits arn:PARTITION:iam::ACCOUNT:RESOURCE and returns RESOURCE,
// or false when s is not such an ARN.
func iamARN(s string) (string, bool) {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return "", false
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || parts[3] != "" || !validAccount(parts[4]) {
		return "", false
	}
	partition := parts[1]
	if partition == "" {
		return "", false
	}
	for i := 0; i < len(partition); i++ {
		if c := partition[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return "", false
		}
	}
	return parts[5], true
}

func validRoleARN(s string) bool {
	res, ok := iamARN(s)
	name, found := strings.CutPrefix(res, "role/")
	return ok && found && name != "" && !strings.HasSuffix(name, "/")
}

func validMFASerial(s string) bool {
	if strings.HasPrefix(s, "arn:") {
		res, ok := iamARN(s)
		name, found := strings.CutPrefix(res, "mfa/")
		return ok && found && name != "" && !strings.HasSuffix(name, "/")
	}
	if len(s) < 9 || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// validURL accepts an absolute http or https URL with a host.
func validURL(s string) bool {
	if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Hostname() != "" && u.Opaque == ""
}
