package console

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials"
)

func TestDestination(t *testing.T) {
	for _, tc := range []struct{ region, path, want string }{
		{"", "", "https://console.aws.amazon.com/"},
		{"us-east-1", "", "https://us-east-1.console.aws.amazon.com/console/home?region=us-east-1"},
		{"eu-west-2", "s3/home", "https://eu-west-2.console.aws.amazon.com/s3/home?region=eu-west-2"},
		{"eu-west-2", "/ec2/home#Instances:sort=desc", "https://eu-west-2.console.aws.amazon.com/ec2/home?region=eu-west-2#Instances:sort=desc"},
		{"eu-west-2", "cloudwatch/home?region=us-west-2&x=1", "https://eu-west-2.console.aws.amazon.com/cloudwatch/home?region=us-west-2&x=1"},
		{"", "iam/home", "https://console.aws.amazon.com/iam/home"},
		{"cn-north-1", "", "https://console.amazonaws.cn/console/home?region=cn-north-1"},
		{"cn-northwest-1", "ec2/home", "https://console.amazonaws.cn/ec2/home?region=cn-northwest-1"},
		{"us-gov-west-1", "", "https://console.amazonaws-us-gov.com/console/home?region=us-gov-west-1"},
		{"ap-southeast-5", "", "https://ap-southeast-5.console.aws.amazon.com/console/home?region=ap-southeast-5"},
	} {
		t.Run(tc.region+"/"+tc.path, func(t *testing.T) {
			got, err := Destination(tc.region, tc.path)
			if err != nil || got != tc.want {
				t.Fatalf("Destination(%q, %q) = %q, %v; want %q", tc.region, tc.path, got, err, tc.want)
			}
		})
	}
}

func TestDestinationRefuses(t *testing.T) {
	for _, tc := range []struct{ region, path string }{
		{"evil.example/", ""},
		{"us-east-1.evil.example", ""},
		{"US-EAST-1", ""},
		{"us-east-1", "https://evil.example/"},
		{"us-east-1", "//evil.example/x"},
		{"us-east-1", "a b"},
	} {
		if got, err := Destination(tc.region, tc.path); err == nil {
			t.Errorf("Destination(%q, %q) = %q, want an error", tc.region, tc.path, got)
		}
	}
}

func TestFederationURL(t *testing.T) {
	for _, tc := range []struct{ region, override, want, err string }{
		{"", "", "https://signin.aws.amazon.com/federation", ""},
		{"eu-central-1", "", "https://signin.aws.amazon.com/federation", ""},
		{"cn-north-1", "", "https://signin.amazonaws.cn/federation", ""},
		{"us-gov-east-1", "", "https://signin.amazonaws-us-gov.com/federation", ""},
		{"us-east-1", "http://127.0.0.1:8080/federation", "http://127.0.0.1:8080/federation", ""},
		{"us-east-1", "https://signin.example.internal/federation", "https://signin.example.internal/federation", ""},
		{"us-east-1", "http://signin.example.internal/federation", "", "must be an https URL"},
		{"us-east-1", "not a url", "", "is not a URL"},
		{"us-east-1", "https://x/federation?Action=login", "", "is not a URL"},
	} {
		got, err := FederationURL(tc.region, tc.override)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("FederationURL(%q, %q): %v, want error %q", tc.region, tc.override, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("FederationURL(%q, %q) = %q, %v; want %q", tc.region, tc.override, got, err, tc.want)
		}
	}
}

var (
	testNow   = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	roleCreds = credentials.Credentials{
		AccessKeyID:     "ASIAROLE000000000001",
		SecretAccessKey: credentials.NewSecret("role-secret-value"),
		SessionToken:    credentials.NewSecret("role-session-token"),
		Expires:         testNow.Add(50 * time.Minute),
	}
)

func TestSessionJSON(t *testing.T) {
	got := SessionJSON(roleCreds)
	want := `{"sessionId":"ASIAROLE000000000001","sessionKey":"role-secret-value","sessionToken":"role-session-token"}`
	if got != want {
		t.Fatalf("session JSON\n got %s\nwant %s", got, want)
	}
}

func TestSessionDuration(t *testing.T) {
	for _, tc := range []struct{ left, want time.Duration }{
		{50*time.Minute + 300*time.Millisecond, 50 * time.Minute},
		{5 * time.Minute, 15 * time.Minute},
		{20 * time.Hour, 12 * time.Hour},
	} {
		if got := SessionDuration(tc.left); got != tc.want {
			t.Errorf("SessionDuration(%s) = %s, want %s", tc.left, got, tc.want)
		}
	}
}

// fake is the federation endpoint as AWS documents it.
func fake(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

func TestLoginURL(t *testing.T) {
	var got url.Values
	s := fake(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.Query()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"SigninToken":"tok-123/+="}`))
	})
	for _, tc := range []struct {
		name      string
		federated bool
		duration  string
	}{{"role", false, "3000"}, {"federated", true, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			u, err := LoginURL(context.Background(), Request{Credentials: roleCreds, Federated: tc.federated, Region: "eu-west-1", Path: "s3/home",
				Endpoint: s.URL + "/federation", Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatal(err)
			}
			if got.Get("Action") != "getSigninToken" || got.Get("Session") != SessionJSON(roleCreds) || got.Get("SessionDuration") != tc.duration {
				t.Fatalf("getSigninToken request: %v", got)
			}
			if _, ok := got["SessionDuration"]; tc.federated && ok {
				t.Fatal("SessionDuration sent with federation-token credentials")
			}
			lu, err := url.Parse(u.Reveal())
			if err != nil {
				t.Fatal(err)
			}
			q := lu.Query()
			if lu.Scheme+"://"+lu.Host+lu.Path != s.URL+"/federation" || q.Get("Action") != "login" || q.Get("Issuer") != "awstray" ||
				q.Get("SigninToken") != "tok-123/+=" || q.Get("Destination") != "https://eu-west-1.console.aws.amazon.com/s3/home?region=eu-west-1" {
				t.Fatalf("login URL %s", u.Reveal())
			}
			if strings.Contains(u.String(), "tok-") {
				t.Fatal("the login URL prints its token")
			}
		})
	}
}

// secretsIn lists the secrets an error message must not hold.
var secretsIn = []string{"role-secret-value", "role-session-token", "tok-", "sessionKey"}

func TestLoginURLErrors(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"400", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad session "+r.URL.Query().Get("Session"), http.StatusBadRequest)
		}, `getting a console sign-in token: 127.0.0.1:\d+ answered 400 Bad Request \(the federation endpoint takes role and federation-token credentials only, not a GetSessionToken session\)$`},
		{"500", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
		}, `answered 500 Internal Server Error$`},
		{"garbage", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte("<html>tok-nope " + r.URL.RawQuery + "</html>"))
		}, `127.0.0.1:\d+ did not answer with JSON \(text/html\)$`},
		{"no token", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"Other":"x"}`))
		}, `answered without a SigninToken$`},
		{"redirect", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://elsewhere.invalid/?"+r.URL.RawQuery, http.StatusFound)
		}, `answered 302 Found$`},
		{"hang", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		}, `no answer from 127.0.0.1:\d+ within 200ms$`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := fake(t, tc.handler)
			timeout := 10 * time.Second
			if tc.name == "hang" {
				timeout = 200 * time.Millisecond
			}
			start := time.Now()
			_, err := LoginURL(context.Background(), Request{Credentials: roleCreds, Endpoint: s.URL + "/federation", Timeout: timeout})
			if err == nil {
				t.Fatal("no error")
			}
			if time.Since(start) > timeout+5*time.Second {
				t.Fatal("the deadline did not hold")
			}
			if !matches(tc.want, err.Error()) {
				t.Fatalf("error %q, want /%s/", err, tc.want)
			}
			for _, s := range secretsIn {
				if strings.Contains(err.Error(), s) {
					t.Fatalf("error %q holds %q", err, s)
				}
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		s := fake(t, func(http.ResponseWriter, *http.Request) {})
		s.Close()
		_, err := LoginURL(context.Background(), Request{Credentials: roleCreds, Endpoint: s.URL + "/federation"})
		if err == nil || !strings.Contains(err.Error(), "cannot reach 127.0.0.1:") || strings.Contains(err.Error(), "role-secret") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("long-term key", func(t *testing.T) {
		_, err := LoginURL(context.Background(), Request{Credentials: credentials.Credentials{AccessKeyID: "AKIA", SecretAccessKey: credentials.NewSecret("x")}})
		if err == nil || !strings.Contains(err.Error(), "needs temporary credentials") {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("cancel", func(t *testing.T) {
		s := fake(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := LoginURL(ctx, Request{Credentials: roleCreds, Endpoint: s.URL + "/federation"})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
	})
}

func matches(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }
