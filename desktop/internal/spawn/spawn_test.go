package spawn

import (
	"slices"
	"testing"
)

func TestEnvDropsSecrets(t *testing.T) {
	got := Env([]string{"PATH=/bin", "AWS_ACCESS_KEY_ID=A", "AWS_SECRET_ACCESS_KEY=s", "AWS_SESSION_TOKEN=t", "AWS_SECURITY_TOKEN=t",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=c", "AWSTRAY_FILE_PASSPHRASE=p", "AWSTRAY=prod", "AWSTRAY_AGENT_SOCKET=/run/a", "AWS_REGION=eu-west-1"})
	if want := []string{"PATH=/bin", "AWSTRAY_AGENT_SOCKET=/run/a", "AWS_REGION=eu-west-1"}; !slices.Equal(got, want) {
		t.Fatalf("Env = %q, want %q", got, want)
	}
}
