package testfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// Federation is a stand-in for the AWS sign-in federation endpoint
// (signin.aws.amazon.com/federation), as AWS documents it for custom
// identity brokers; there is no real one to test against here.
//
// GET ?Action=getSigninToken&Session={"sessionId","sessionKey","sessionToken"}
// [&SessionDuration=900..43200] answers {"SigninToken": …} when the
// credentials are ones AWS (moto, through a CountingProxy) issued with
// AssumeRole or GetFederationToken — a GetSessionToken session or a
// long-term key gets a 400, as does SessionDuration with federation-token
// credentials. GET ?Action=login&SigninToken=…&Destination=… answers 200
// with "signed in as ACTION:AKID to DESTINATION" for a token it issued, 400
// otherwise (AWS redirects to the console instead).
type Federation struct {
	// URL is the endpoint, http://127.0.0.1:PORT/federation.
	URL string

	mu     sync.Mutex
	tokens map[string]string // token -> "ACTION:AKID"
	logins []string
}

// StartFederation serves a fake federation endpoint until the test ends;
// issuedBy says which STS action issued a set of credentials ("" for
// none).
func StartFederation(t testing.TB, issuedBy func(akid, secret, token string) string) *Federation {
	t.Helper()
	f := &Federation{tokens: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/federation", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		switch q.Get("Action") {
		case "getSigninToken":
			var s struct {
				ID    string `json:"sessionId"`
				Key   string `json:"sessionKey"`
				Token string `json:"sessionToken"`
			}
			if err := json.Unmarshal([]byte(q.Get("Session")), &s); err != nil || s.ID == "" || s.Key == "" {
				http.Error(w, "malformed Session", http.StatusBadRequest)
				return
			}
			action := issuedBy(s.ID, s.Key, s.Token)
			if action != "AssumeRole" && action != "GetFederationToken" {
				http.Error(w, "Only federation tokens or assume role tokens may be used for federated login.", http.StatusBadRequest)
				return
			}
			if d := q.Get("SessionDuration"); d != "" {
				n, err := strconv.Atoi(d)
				if action == "GetFederationToken" || err != nil || n < 900 || n > 43200 {
					http.Error(w, "bad SessionDuration", http.StatusBadRequest)
					return
				}
			}
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			tok := "fake-signin-" + hex.EncodeToString(b)
			f.mu.Lock()
			f.tokens[tok] = action + ":" + s.ID
			f.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(map[string]string{"SigninToken": tok})
		case "login":
			f.mu.Lock()
			who, ok := f.tokens[q.Get("SigninToken")]
			if ok {
				f.logins = append(f.logins, who)
			}
			f.mu.Unlock()
			if !ok || q.Get("Destination") == "" {
				http.Error(w, "invalid sign-in token", http.StatusBadRequest)
				return
			}
			fmt.Fprintf(w, "signed in as %s to %s\n", who, q.Get("Destination"))
		default:
			http.Error(w, "unknown Action", http.StatusBadRequest)
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	f.URL = s.URL + "/federation"
	return f
}

// Logins lists who signed in ("ACTION:AKID"), in order.
func (f *Federation) Logins() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.logins...)
}
