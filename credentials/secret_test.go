package credentials

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	s := NewSecret(value)
	c := Credentials{AccessKeyID: "AKIAIOSFODNN7EXAMPLE", SecretAccessKey: s, SessionToken: s}
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%T"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, c), fmt.Sprintf(verb, &c), fmt.Sprintf(verb, []Secret{s}))
	}
	out = append(out, fmt.Sprint(s), fmt.Sprintln(c), s.String(), s.GoString())
	var logs bytes.Buffer
	slog.New(slog.NewTextHandler(&logs, nil)).Info("creds", "secret", s, "creds", c)
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("creds", "secret", s, "creds", c)
	out = append(out, logs.String())
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	for _, o := range out {
		if strings.Contains(o, value) || strings.Contains(o, fmt.Sprintf("%x", value)) {
			t.Errorf("secret printed: %s", o)
		}
	}
	if !strings.Contains(fmt.Sprintf("%v", c), "[redacted]") {
		t.Errorf("no placeholder in %v", c)
	}
	if s.Reveal() != value {
		t.Fatal("Reveal lost the value")
	}
}
