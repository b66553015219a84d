package awsconfig

import (
	"fmt"
	"strings"
	"testing"
)

// roleProfile is a role profile whose source is src.
func roleProfile(name, src string) string {
	return fmt.Sprintf("[profile %s]\nrole_arn = arn:aws:iam::123456789012:role/%s\nsource_profile = %s\n", name, name, src)
}

func TestChain(t *testing.T) {
	for _, tc := range []struct {
		name   string
		config string
		target string
		want   string // names joined by ">", or the error
	}{
		{"depth 1 user", "[profile u]\nregion = us-east-1\n", "u", "u"},
		{"depth 1 default", "[default]\n", "default", "default"},
		{"depth 1 process", "[profile p]\ncredential_process = /bin/creds\n", "p", "p"},
		{"depth 1 sso", "[profile s]\nsso_start_url = https://x\nsso_region = us-east-1\nsso_account_id = 111122223333\nsso_role_name = r\n", "s", "s"},
		{"depth 1 role with process", "[profile r]\nrole_arn = arn:aws:iam::123456789012:role/r\ncredential_process = /bin/creds\n", "r", "r"},
		{"depth 2", roleProfile("r", "u") + "[profile u]\n", "r", "r>u"},
		{"depth 2 source without role", "[profile a]\nsource_profile = u\nregion = eu-west-1\n[profile u]\n", "a", "a>u"},
		{"depth 5", roleProfile("r1", "r2") + roleProfile("r2", "r3") + roleProfile("r3", "r4") + roleProfile("r4", "u") + "[profile u]\nmfa_serial = arn:aws:iam::123456789012:mfa/u\n", "r1", "r1>r2>r3>r4>u"},
		{"depth 5 reversed file order", "[profile u]\n" + roleProfile("r4", "u") + roleProfile("r3", "r4") + roleProfile("r2", "r3") + roleProfile("r1", "r2"), "r1", "r1>r2>r3>r4>u"},
		{"self source (cycle of 1)", roleProfile("a", "a"), "a", "a"},
		{"self source without role", "[profile a]\nsource_profile = a\n", "a", "a"},
		{"ends at self source", roleProfile("r", "a") + roleProfile("a", "a"), "r", "r>a"},
		{"ends at process", roleProfile("r", "p") + "[profile p]\ncredential_process = /bin/x\nsource_profile = zz\n", "r", "r>p"},
		{"ends at sso", roleProfile("r", "s") + "[profile s]\nsso_session = c\nsso_account_id = 111122223333\nsso_role_name = x\nsource_profile = zz\n[sso-session c]\nsso_start_url = https://x\nsso_region = us-east-1\n", "r", "r>s"},
		{"source through include", roleProfile("r", "x") + "[profile x]\ninclude_profile = base\n[profile base]\nsource_profile = u\n[profile u]\n", "r", "r>x>u"},
		{"cycle of 2", roleProfile("a", "b") + roleProfile("b", "a"), "a", "profile cycle: a -> b -> a"},
		{"cycle of 3", roleProfile("a", "b") + roleProfile("b", "c") + roleProfile("c", "a"), "a", "profile cycle: a -> b -> c -> a"},
		{"cycle of 3 from b", roleProfile("a", "b") + roleProfile("b", "c") + roleProfile("c", "a"), "b", "profile cycle: b -> c -> a -> b"},
		{"cycle after prefix", roleProfile("x", "y") + roleProfile("y", "a") + roleProfile("a", "b") + roleProfile("b", "a"), "x", "profile cycle: a -> b -> a"},
		{"missing source", roleProfile("a", "nope"), "a", `profile "a": source_profile "nope" does not exist`},
		{"missing target", roleProfile("admin", "admin"), "admn", `profile "admn" not found in c (did you mean "admin"?)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c", []byte(tc.config))
			if err != nil {
				t.Fatal(err)
			}
			chain, err := cfg.Chain(tc.target)
			var got string
			if err != nil {
				got = err.Error()
			} else {
				names := make([]string, len(chain))
				for i, p := range chain {
					names[i] = p.Name
				}
				got = strings.Join(names, ">")
			}
			if got != tc.want {
				t.Fatalf("Chain(%q) = %q, want %q", tc.target, got, tc.want)
			}
		})
	}
}

func TestChainDeep(t *testing.T) {
	var b strings.Builder
	const n = 200
	for i := 0; i < n; i++ {
		b.WriteString(roleProfile(fmt.Sprint("p", i), fmt.Sprint("p", i+1)))
	}
	b.WriteString(fmt.Sprintf("[profile p%d]\n", n))
	cfg, err := Parse("c", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := cfg.Chain("p0")
	if err != nil || len(chain) != n+1 {
		t.Fatalf("len %d, err %v", len(chain), err)
	}
}

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestRegion(t *testing.T) {
	p := &Profile{Name: "a", Region: "eu-west-1"}
	for _, tc := range []struct {
		name string
		p    *Profile
		env  func(string) string
		want string
	}{
		{"profile", p, env(), "eu-west-1"},
		{"default region env", p, env("AWS_DEFAULT_REGION", "us-west-2"), "us-west-2"},
		{"region env", p, env("AWS_DEFAULT_REGION", "us-west-2", "AWS_REGION", "ap-south-1"), "ap-south-1"},
		{"nil profile", nil, env(), ""},
		{"nil profile env", nil, env("AWS_DEFAULT_REGION", "us-west-2"), "us-west-2"},
		{"empty profile", &Profile{}, env(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Region(tc.p, tc.env); got != tc.want {
				t.Fatalf("Region = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestEndpoint(t *testing.T) {
	cfg, err := Parse("c", []byte(`[profile a]
endpoint_url = https://profile.example
services = local
[profile plain]
[profile ignore]
endpoint_url = https://profile.example
ignore_configured_endpoint_urls = true
[services local]
sts =
  endpoint_url = http://sts.local
sso_oidc =
  endpoint_url = http://oidc.local
`))
	if err != nil {
		t.Fatal(err)
	}
	a, _ := cfg.Profile("a")
	plain, _ := cfg.Profile("plain")
	ign, _ := cfg.Profile("ignore")
	for _, tc := range []struct {
		name    string
		p       *Profile
		service string
		env     func(string) string
		want    string
	}{
		{"profile endpoint_url", a, "iam", env(), "https://profile.example"},
		{"services section", a, "sts", env(), "http://sts.local"},
		{"services section upper id", a, "STS", env(), "http://sts.local"},
		{"services section sso-oidc", a, "sso-oidc", env(), "http://oidc.local"},
		{"services section SSO OIDC", a, "SSO OIDC", env(), "http://oidc.local"},
		{"global env over config", a, "sts", env("AWS_ENDPOINT_URL", "http://env"), "http://env"},
		{"service env over global", a, "sts", env("AWS_ENDPOINT_URL", "http://env", "AWS_ENDPOINT_URL_STS", "http://env-sts"), "http://env-sts"},
		{"service env sso-oidc", a, "sso-oidc", env("AWS_ENDPOINT_URL_SSO_OIDC", "http://env-oidc"), "http://env-oidc"},
		{"other service env ignored", a, "iam", env("AWS_ENDPOINT_URL_STS", "http://env-sts"), "https://profile.example"},
		{"ignore env", a, "sts", env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", "AWS_ENDPOINT_URL_STS", "http://env-sts"), ""},
		{"ignore env case", a, "iam", env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE"), ""},
		{"ignore env false", a, "iam", env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"), "https://profile.example"},
		{"ignore profile", ign, "iam", env("AWS_ENDPOINT_URL", "http://env"), ""},
		{"ignore profile overridden by env", ign, "iam", env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false"), "https://profile.example"},
		{"nothing", plain, "sts", env(), ""},
		{"nil profile", nil, "sts", env("AWS_ENDPOINT_URL", "http://env"), "http://env"},
		{"nil profile nothing", nil, "sts", env(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := cfg.Endpoint(tc.p, tc.service, tc.env); got != tc.want {
				t.Fatalf("Endpoint = %q, want %q", got, tc.want)
			}
		})
	}
}
