package cli

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/launcher"
)

// TestExecHelpNamesTheEnvironment: every variable exec sets or removes, as
// launcher.CredentialEnv does it, is named in `exec --help` and in
// docs/commands.md's exec row; and --region's help gives the order
// awsconfig.Region follows (the environment before the profile).
func TestExecHelpNamesTheEnvironment(t *testing.T) {
	src, err := os.ReadFile("../launcher/env.go")
	if err != nil {
		t.Fatal(err)
	}
	// Every variable launcher names, and a few it must leave alone.
	candidates := []string{"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE", "AWS_REGION", "AWS_DEFAULT_REGION"}
	for _, m := range regexp.MustCompile(`"([A-Z][A-Z0-9_]+)"`).FindAllStringSubmatch(string(src), -1) {
		candidates = append(candidates, m[1])
	}
	var base []string
	for _, n := range candidates {
		base = append(base, n+"=inherited")
	}
	out := launcher.CredentialEnv(base, launcher.Vars{AccessKeyID: "A", SecretAccessKey: "S", SessionToken: "T", Expires: time.Now(), Profile: "p"}, "eu-west-1")
	var touched []string
	for _, kv := range out {
		if !slices.Contains(base, kv) {
			name, _, _ := strings.Cut(kv, "=")
			touched = append(touched, name) // set
		}
	}
	for _, kv := range base {
		if !slices.Contains(out, kv) {
			name, _, _ := strings.Cut(kv, "=")
			touched = append(touched, name) // removed or replaced
		}
	}
	slices.Sort(touched)
	touched = slices.Compact(touched)
	if len(touched) < 20 {
		t.Fatalf("only %d variables touched: %v", len(touched), touched)
	}

	code, help, stderr := run(t, map[string]string{"HOME": t.TempDir()}, "", "exec", "--help")
	if code != 0 {
		t.Fatalf("exec --help: exit %d: %s", code, stderr)
	}
	docs, err := os.ReadFile("../docs/commands.md")
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, l := range strings.Split(string(docs), "\n") {
		if strings.HasPrefix(l, "| `awstray exec ") {
			row = l
		}
	}
	for _, name := range touched {
		named := regexp.MustCompile(`\b` + name + `\b`)
		if !named.MatchString(help) {
			t.Errorf("exec --help does not name %s", name)
		}
		if !named.MatchString(row) {
			t.Errorf("docs/commands.md's exec row does not name %s", name)
		}
	}

	// awsconfig.Region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's.
	region := regexp.MustCompile(`--region string +(.*)`).FindStringSubmatch(help)
	if region == nil {
		t.Fatalf("no --region in:\n%s", help)
	}
	r, d, p := strings.Index(region[1], "AWS_REGION"), strings.Index(region[1], "AWS_DEFAULT_REGION"), strings.Index(region[1], "profile")
	if r < 0 || d < 0 || p < 0 || r > d || d > p {
		t.Errorf("--region help %q: want AWS_REGION, else AWS_DEFAULT_REGION, else the profile's", region[1])
	}
}
