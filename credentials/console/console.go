// Package console turns AWS credentials into a sign-in link for the AWS
// Management Console, through the federation endpoint AWS documents for
// custom identity brokers: the credentials are exchanged for a sign-in token
// (Action=getSigninToken), which goes into a login link (Action=login).
//
// The sign-in token opens the console to whoever holds the link, so it is a
// credentials.Secret here, and no error of this package repeats it or the
// credentials it was made from.
package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/awstray/awstray/credentials"
)

// EnvFederationURL names the variable that overrides the federation
// endpoint (the whole URL, e.g. https://signin.aws.amazon.com/federation),
// for tests and for partitions awstray does not know. The SDK's
// AWS_ENDPOINT_URL_SIGNIN is not used: it belongs to the SDK's "Signin"
// service, the OAuth API behind `aws login`, which is another endpoint.
const EnvFederationURL = "AWSTRAY_FEDERATION_URL"

// Issuer is what the login link names as its issuer.
const Issuer = "awstray"

// Partition is where a region's console and sign-in live.
type Partition struct {
	Name        string // aws, aws-cn, aws-us-gov
	SigninHost  string // host of the federation endpoint
	ConsoleHost string // host of the console
	// RegionalConsole: the console has a host per region
	// (us-east-1.console.aws.amazon.com).
	RegionalConsole bool
}

var (
	partitionAWS   = Partition{Name: "aws", SigninHost: "signin.aws.amazon.com", ConsoleHost: "console.aws.amazon.com", RegionalConsole: true}
	partitionChina = Partition{Name: "aws-cn", SigninHost: "signin.amazonaws.cn", ConsoleHost: "console.amazonaws.cn"}
	partitionGov   = Partition{Name: "aws-us-gov", SigninHost: "signin.amazonaws-us-gov.com", ConsoleHost: "console.amazonaws-us-gov.com"}
)

// regionPattern is what a region looks like. The region becomes part of a
// host name, so nothing else may pass.
var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// PartitionOf returns the partition of region ("" is the aws partition).
func PartitionOf(region string) (Partition, error) {
	if region != "" && !regionPattern.MatchString(region) {
		return Partition{}, fmt.Errorf("%q is not an AWS region (such as us-east-1)", region)
	}
	switch {
	case strings.HasPrefix(region, "cn-"):
		return partitionChina, nil
	case strings.HasPrefix(region, "us-gov-"):
		return partitionGov, nil
	}
	return partitionAWS, nil
}

// FederationURL is the federation endpoint for region: override when it is
// set (AWSTRAY_FEDERATION_URL), else the partition's. An override must be
// https, or http to a loopback address (a test's fake): credentials are
// sent to it.
func FederationURL(region, override string) (string, error) {
	if override != "" {
		u, err := url.Parse(override)
		if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return "", fmt.Errorf("%s=%q is not a URL such as https://signin.aws.amazon.com/federation", EnvFederationURL, override)
		}
		if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
			return "", fmt.Errorf("%s must be an https URL (http only to a loopback address)", EnvFederationURL)
		}
		return override, nil
	}
	p, err := PartitionOf(region)
	if err != nil {
		return "", err
	}
	return "https://" + p.SigninHost + "/federation", nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Destination is the console page the login link opens: path (such as
// "ec2/home#Instances"; "" is the console home) in region ("" is the
// console's default region).
func Destination(region, path string) (string, error) {
	p, err := PartitionOf(region)
	if err != nil {
		return "", err
	}
	if strings.Contains(path, "://") || strings.HasPrefix(path, "//") || strings.ContainsAny(path, " \t\r\n\\") {
		return "", fmt.Errorf("--path %q is not a console path such as s3/home or ec2/home#Instances", path)
	}
	path = strings.TrimLeft(path, "/")
	path, fragment, hasFragment := strings.Cut(path, "#")
	path, rawQuery, _ := strings.Cut(path, "?")
	if path == "" && region == "" && rawQuery == "" && !hasFragment {
		return "https://" + p.ConsoleHost + "/", nil
	}
	if path == "" {
		path = "console/home"
	}
	host := p.ConsoleHost
	if region != "" && p.RegionalConsole {
		host = region + "." + host
	}
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", fmt.Errorf("--path %q has a malformed query", path)
	}
	if region != "" && q.Get("region") == "" {
		q.Set("region", region)
	}
	u := url.URL{Scheme: "https", Host: host, Path: "/" + path, RawQuery: q.Encode()}
	s := u.String()
	if hasFragment {
		s += "#" + fragment
	}
	return s, nil
}

// Request is one sign-in.
type Request struct {
	Credentials credentials.Credentials
	// Federated: the credentials come from GetFederationToken, whose
	// console session lasts as long as the token. Else (AssumeRole, SSO
	// role credentials) the console session is asked to last as long as
	// the credentials do, 15 min to 12 h (SessionDuration).
	Federated bool
	Region    string // the console's region; "" its default
	Path      string // the console page; "" its home
	Endpoint  string // the federation URL; "" the partition's (see FederationURL)
	Timeout   time.Duration
	Client    *http.Client // nil: a client of its own, no redirects followed
	Now       func() time.Time
}

// sessionDurationMin and Max bound SessionDuration, as AWS documents it.
const (
	sessionDurationMin = 15 * time.Minute
	sessionDurationMax = 12 * time.Hour
)

// Error is a failed sign-in, worded without any secret.
type Error struct {
	Op  string // what was being done
	Msg string
	err error
}

func (e *Error) Error() string { return e.Op + ": " + e.Msg }

// Unwrap returns the cause (never an error that quotes the request URL).
func (e *Error) Unwrap() error { return e.err }

// LoginURL returns the console sign-in link for r. The link is a Secret: it
// opens the console to whoever holds it, for about 15 minutes.
func LoginURL(ctx context.Context, r Request) (credentials.Secret, error) {
	if r.Credentials.AccessKeyID == "" || r.Credentials.SecretAccessKey.IsZero() {
		return credentials.Secret{}, errors.New("no credentials to sign in with")
	}
	if r.Credentials.SessionToken.IsZero() {
		// The federation endpoint takes temporary credentials only.
		return credentials.Secret{}, errors.New("a long-term key cannot sign in to the console: it needs temporary credentials (GetFederationToken or a role)")
	}
	endpoint, err := FederationURL(r.Region, r.Endpoint)
	if err != nil {
		return credentials.Secret{}, err
	}
	dest, err := Destination(r.Region, r.Path)
	if err != nil {
		return credentials.Secret{}, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	var duration time.Duration
	if !r.Federated && r.Credentials.CanExpire() {
		duration = SessionDuration(r.Credentials.Expires.Sub(now()))
	}
	token, err := signinToken(ctx, r, endpoint, duration)
	if err != nil {
		return credentials.Secret{}, err
	}
	q := url.Values{}
	q.Set("Action", "login")
	q.Set("Issuer", Issuer)
	q.Set("Destination", dest)
	q.Set("SigninToken", token.Reveal())
	return credentials.NewSecret(endpoint + "?" + q.Encode()), nil
}

// SessionDuration is the console session asked for credentials that are
// valid for left: as long as they are, within AWS's 15 min to 12 h. Role
// credentials made with temporary credentials (role chaining) last an hour
// at most, so this never asks more than AWS allows them.
func SessionDuration(left time.Duration) time.Duration {
	d := left.Truncate(time.Second)
	return min(max(d, sessionDurationMin), sessionDurationMax)
}

// SessionJSON is the Session parameter of getSigninToken.
func SessionJSON(c credentials.Credentials) string {
	b, _ := json.Marshal(struct {
		ID    string `json:"sessionId"`
		Key   string `json:"sessionKey"`
		Token string `json:"sessionToken"`
	}{c.AccessKeyID, c.SecretAccessKey.Reveal(), c.SessionToken.Reveal()})
	return string(b)
}

// maxAnswer bounds what is read of the endpoint's answer.
const maxAnswer = 64 << 10

func signinToken(ctx context.Context, r Request, endpoint string, duration time.Duration) (credentials.Secret, error) {
	const op = "getting a console sign-in token"
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = credentials.DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	q := url.Values{}
	q.Set("Action", "getSigninToken")
	if duration > 0 {
		q.Set("SessionDuration", strconv.Itoa(int(duration/time.Second)))
	}
	q.Set("Session", SessionJSON(r.Credentials))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
	if err != nil {
		return credentials.Secret{}, &Error{Op: op, Msg: "bad federation URL"}
	}
	req.Header.Set("Accept", "application/json")
	client := r.Client
	if client == nil {
		client = &http.Client{
			// The request carries the credentials: never to another place.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	host := req.URL.Host
	resp, err := client.Do(req)
	if err != nil {
		return credentials.Secret{}, transportError(op, host, timeout, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return credentials.Secret{}, transportError(op, host, timeout, err)
	}
	if resp.StatusCode != http.StatusOK {
		// AWS's error pages say little; their text is not repeated, as it
		// could echo the request.
		return credentials.Secret{}, &Error{Op: op, Msg: fmt.Sprintf("%s answered %s%s", host, resp.Status, statusHint(resp.StatusCode, r.Federated))}
	}
	var answer struct {
		SigninToken string
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
		if ct == "" {
			ct = "no content type"
		}
		return credentials.Secret{}, &Error{Op: op, Msg: fmt.Sprintf("%s did not answer with JSON (%s)", host, ct)}
	}
	if answer.SigninToken == "" {
		return credentials.Secret{}, &Error{Op: op, Msg: host + " answered without a SigninToken"}
	}
	return credentials.NewSecret(answer.SigninToken), nil
}

func statusHint(code int, federated bool) string {
	if code == http.StatusBadRequest && !federated {
		return " (the federation endpoint takes role and federation-token credentials only, not a GetSessionToken session)"
	}
	return ""
}

// transportError words a failed request without the request's URL, which
// holds the credentials (*url.Error quotes it).
func transportError(op, host string, timeout time.Duration, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return &Error{Op: op, Msg: fmt.Sprintf("no answer from %s within %s", host, timeout), err: context.DeadlineExceeded}
	case errors.Is(err, context.Canceled):
		return context.Canceled
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return &Error{Op: op, Msg: "cannot reach " + host + ": " + oe.Err.Error(), err: oe}
	}
	return &Error{Op: op, Msg: "cannot reach " + host, err: nil}
}
