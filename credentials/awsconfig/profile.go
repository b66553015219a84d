package awsconfig

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// UnknownProfileError is a profile name that the config file does not have.
type UnknownProfileError struct {
	Name       string
	Path       string
	Suggestion string // the closest existing name, "" when none is close
}

func (e *UnknownProfileError) Error() string {
	s := "profile " + strconv.Quote(e.Name) + " not found"
	if e.Path != "" {
		s += " in " + cleanPath(e.Path)
	}
	if e.Suggestion != "" {
		s += " (did you mean " + strconv.Quote(e.Suggestion) + "?)"
	}
	return s
}

// ProfileError is a profile whose settings awstray cannot use: a bad value, a
// missing key or a missing profile or section that a key names. Msg names
// the key and never holds its value.
type ProfileError struct {
	Profile string
	Key     string
	Msg     string
}

func (e *ProfileError) Error() string {
	return "profile " + strconv.Quote(e.Profile) + ": " + e.Msg
}

// CycleError is a loop of source_profile or include_profile keys.
type CycleError struct {
	Key   string   // "source_profile" or "include_profile"
	Cycle []string // the profiles in the loop, the first one repeated last
}

func (e *CycleError) Error() string {
	prefix := "profile cycle: "
	if e.Key == "include_profile" {
		prefix = "include_profile cycle: "
	}
	var b strings.Builder
	b.WriteString(prefix)
	for i, n := range e.Cycle {
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(displayName(n))
	}
	return b.String()
}

// displayName is a profile name as it is, or quoted when it has characters
// that would not print on one line.
func displayName(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || r == '"' || r == ' ' || !strconv.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

func (c *Config) lookup(name string) *Profile {
	for _, p := range c.Profiles {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// Profile returns the named profile, include_profile merged in, once its
// settings are checked (see Validate). The profile is shared with c.
func (c *Config) Profile(name string) (*Profile, error) {
	p := c.lookup(name)
	if p == nil {
		return nil, c.unknown(name)
	}
	if err := c.check(p); err != nil {
		return nil, err
	}
	return p, nil
}

// Validate checks the named profile's settings: the profile exists, its
// include_profile chain resolves, duration_seconds is 900..43200, role_arn,
// mfa_serial, region and endpoint URLs are well formed, a role has a source,
// an SSO profile is complete. The error names the profile and the key.
func (c *Config) Validate(name string) error {
	_, err := c.Profile(name)
	return err
}

func (c *Config) unknown(name string) error {
	e := &UnknownProfileError{Name: name, Path: c.Path}
	n := utf8.RuneCountInString(name)
	best := 3
	lname := strings.ToLower(name)
	for _, p := range c.Profiles {
		d := editDistance(lname, strings.ToLower(p.Name), best)
		if d < best && d < n {
			best, e.Suggestion = d, p.Name
		}
	}
	return e
}

// editDistance is the Levenshtein distance between a and b, in runes, or
// max when it is max or more.
func editDistance(a, b string, max int) int {
	ra, rb := []rune(a), []rune(b)
	if d := len(ra) - len(rb); d >= max || -d >= max {
		return max
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low >= max {
			return max
		}
		prev, cur = cur, prev
	}
	return min(prev[len(rb)], max)
}

// Chain returns the profiles whose credentials make those of the named
// profile: the profile first, then its source_profile, that one's source,
// and so on. It ends at a profile with no source_profile, at one that is its
// own source (its stored key assumes its role), or at one with a
// credential_process or SSO settings: the last profile gives the base
// credentials, and each profile with a role_arn, from the last to the first,
// assumes its role with the credentials before it. Every profile of the
// chain is checked as Validate checks it.
func (c *Config) Chain(name string) ([]*Profile, error) {
	p, err := c.Profile(name)
	if err != nil {
		return nil, err
	}
	chain := []*Profile{p}
	for {
		if p.SourceProfile == "" || p.SourceProfile == p.Name || p.CredentialProcess != "" || p.isSSO() {
			return chain, nil
		}
		next := c.lookup(p.SourceProfile)
		if next == nil {
			return nil, &ProfileError{Profile: p.Name, Key: "source_profile",
				Msg: "source_profile " + strconv.Quote(p.SourceProfile) + " does not exist"}
		}
		for i, q := range chain {
			if q == next {
				cycle := make([]string, 0, len(chain)-i+1)
				for _, r := range chain[i:] {
					cycle = append(cycle, r.Name)
				}
				return nil, &CycleError{Key: "source_profile", Cycle: append(cycle, next.Name)}
			}
		}
		if err := c.check(next); err != nil {
			return nil, err
		}
		chain = append(chain, next)
		p = next
	}
}

func (p *Profile) isSSO() bool {
	return p.SSOSession != "" || p.SSOStartURL != "" || p.SSOAccountID != "" || p.SSORoleName != ""
}

// Region returns the region for requests made for p: AWS_REGION, else
// AWS_DEFAULT_REGION, else the profile's region. p may be nil.
func Region(p *Profile, getenv func(string) string) string {
	if r := getenv("AWS_REGION"); r != "" {
		return r
	}
	if r := getenv("AWS_DEFAULT_REGION"); r != "" {
		return r
	}
	if p != nil {
		return p.Region
	}
	return ""
}

// Endpoint returns the endpoint URL configured for service ("sts", "iam",
// "sso", "sso-oidc"...) in the order of the AWS SDKs:
// AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL, the entry for the service in
// the profile's [services] section, the profile's endpoint_url. "" means the
// service's default endpoint, as it does when
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's
// ignore_configured_endpoint_urls) is true. p may be nil.
func (c *Config) Endpoint(p *Profile, service string, getenv func(string) string) string {
	ignore := getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
	if ignore == "" && p != nil {
		ignore = p.Raw["ignore_configured_endpoint_urls"]
	}
	if strings.EqualFold(ignore, "true") {
		return ""
	}
	if u := getenv("AWS_ENDPOINT_URL_" + serviceKey(service, true)); u != "" {
		return u
	}
	if u := getenv("AWS_ENDPOINT_URL"); u != "" {
		return u
	}
	if p == nil {
		return ""
	}
	if c != nil && p.Services != "" {
		if s := c.Services[p.Services]; s != nil {
			if u := s.Settings[serviceKey(service, false)]["endpoint_url"]; u != "" {
				return u
			}
		}
	}
	return p.EndpointURL
}

// serviceKey turns a service id into its form in variable names (upper) or
// in [services] sections (lower): "SSO OIDC", "sso-oidc" -> SSO_OIDC, sso_oidc.
func serviceKey(service string, upper bool) string {
	if upper {
		service = strings.ToUpper(service)
	} else {
		service = strings.ToLower(service)
	}
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return '_'
		}
		return r
	}, strings.TrimSpace(service))
}

// mergeIncludes copies into each profile with an include_profile the keys of
// the profile it names (recursively) that it does not set itself. A missing
// or looping include is recorded in the profile and reported when it is used.
func (c *Config) mergeIncludes() {
	var byName map[string]*Profile
	for _, p := range c.Profiles {
		if p.IncludeProfile != "" {
			byName = make(map[string]*Profile, len(c.Profiles))
			break
		}
	}
	if byName == nil {
		return
	}
	for _, p := range c.Profiles {
		byName[p.Name] = p
	}
	const (
		visiting = 1
		done     = 2
	)
	state := make(map[*Profile]uint8)
	var stack []*Profile
	var visit func(p *Profile)
	visit = func(p *Profile) {
		if state[p] != 0 || p.IncludeProfile == "" {
			return
		}
		state[p] = visiting
		stack = append(stack, p)
		defer func() {
			stack = stack[:len(stack)-1]
			state[p] = done
		}()
		inc := byName[p.IncludeProfile]
		switch {
		case inc == nil:
			p.err = &ProfileError{Profile: p.Name, Key: "include_profile",
				Msg: "include_profile " + strconv.Quote(p.IncludeProfile) + " does not exist"}
			return
		case state[inc] == visiting:
			i := 0
			for stack[i] != inc {
				i++
			}
			loop := stack[i:]
			for j, q := range loop {
				cycle := make([]string, 0, len(loop)+1)
				for k := range loop {
					cycle = append(cycle, loop[(j+k)%len(loop)].Name)
				}
				q.err = &CycleError{Key: "include_profile", Cycle: append(cycle, q.Name)}
			}
			return
		}
		visit(inc)
		if inc.err != nil {
			if p.err == nil {
				p.err = inc.err
			}
			return
		}
		for k, v := range inc.Raw {
			if _, ok := p.Raw[k]; !ok {
				p.Raw[k] = v
				p.set(k, v)
			}
		}
	}
	for _, p := range c.Profiles {
		visit(p)
	}
}
