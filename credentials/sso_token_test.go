package credentials

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestSSOTokenItemUnchanged: the tokens are Secrets in memory, and the
// keyring items stay byte for byte what earlier versions wrote — an old
// item decodes, and encoding it again gives the same bytes.
func TestSSOTokenItemUnchanged(t *testing.T) {
	for _, tc := range []struct{ name, item string }{
		{"full", `{"v":1,"u":"https://corp.awsapps.com/start","r":"eu-west-1","a":"access-token-1","e":"2026-01-02T03:04:05Z","f":"refresh-token-1","c":"client-id-1","s":"client-secret-1","x":"2026-04-02T03:04:05Z"}`},
		{"no refresh token or client", `{"v":1,"u":"https://corp.awsapps.com/start","r":"eu-west-1","a":"access-token-1","e":"2026-01-02T03:04:05Z"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := decodeSSOToken([]byte(tc.item))
			if err != nil {
				t.Fatal(err)
			}
			if got := encodeSSOToken(tok); !bytes.Equal(got, []byte(tc.item)) {
				t.Fatalf("encoded\n %s\nwant\n %s", got, tc.item)
			}
			if tok.Access.Reveal() != "access-token-1" {
				t.Fatalf("access token %q", tok.Access.Reveal())
			}
			var logged bytes.Buffer
			slog.New(slog.NewJSONHandler(&logged, nil)).Info("token", "tok", tok)
			for _, out := range []string{fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", *tok), fmt.Sprintf("%#v", *tok), logged.String()} {
				for _, secret := range []string{"access-token-1", "refresh-token-1", "client-secret-1"} {
					if strings.Contains(out, secret) {
						t.Fatalf("a token leaked: %s", out)
					}
				}
			}
		})
	}
}
