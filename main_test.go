package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// TestMain runs the tests, then (when they passed) the leak scan of
// leakscan_test.go; as one of the commands below, it runs that command.
func TestMain(m *testing.M) {
	testscript.Main(leakScanM{m}, map[string]func(){
		"awstray":         main,
		"awstray-whoami":  whoamiMain,
		"awstray-sdkloop": sdkLoopMain,
		"awstray-browse":  browseMain,
		"awstray-fetch":   fetchMain,
		"awstray-browser": browserMain,
	})
}

// browseMain is a stand-in browser for $BROWSER: it logs the page it is
// given to $BROWSE_LOG and fetches it, as a person who opens the page and
// approves what it shows.
func browseMain() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "browse: want one URL, got", os.Args[1:])
		os.Exit(2)
	}
	f, err := os.OpenFile(os.Getenv("BROWSE_LOG"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
	if err == nil {
		_, err = fmt.Fprintln(f, os.Args[1])
		f.Close()
	}
	if err == nil {
		client := &http.Client{Timeout: 10 * time.Second}
		var resp *http.Response
		if resp, err = client.Get(os.Args[1]); err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", os.Args[1], resp.Status)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "browse:", err)
		os.Exit(1)
	}
}

// whoamiMain calls GetCallerIdentity with the SDK's default credential
// chain, as any AWS tool run by `awstray exec` would (keys in the
// environment, or the container-credentials endpoint of exec --server), and
// prints the caller's ARN.
func whoamiMain() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client, err := sdkClient(ctx)
	if err == nil {
		var out *sts.GetCallerIdentityOutput
		if out, err = client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
			fmt.Println(*out.Arn)
			os.Exit(0)
		}
	}
	fmt.Fprintln(os.Stderr, "whoami:", err)
	os.Exit(1)
}

// sdkLoopMain is a long-running SDK program: it calls GetCallerIdentity
// every AWSTRAY_LOOP_EVERY for AWSTRAY_LOOP_FOR, and prints how many calls
// succeeded and how many different access keys signed them.
func sdkLoopMain() {
	every, _ := time.ParseDuration(os.Getenv("AWSTRAY_LOOP_EVERY"))
	total, _ := time.ParseDuration(os.Getenv("AWSTRAY_LOOP_FOR"))
	ctx, cancel := context.WithTimeout(context.Background(), total+30*time.Second)
	defer cancel()
	client, err := sdkClient(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkloop:", err)
		os.Exit(1)
	}
	keys := map[string]bool{}
	calls, ok := 0, 0
	for end := time.Now().Add(total); time.Now().Before(end); time.Sleep(every) {
		calls++
		if _, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
			fmt.Fprintln(os.Stderr, "sdkloop:", err)
			continue
		}
		ok++
		if c, err := client.Options().Credentials.Retrieve(ctx); err == nil {
			keys[c.AccessKeyID] = true
		}
	}
	fmt.Printf("calls=%d ok=%d keys=%d\n", calls, ok, len(keys))
	os.Exit(0)
}

// fetchMain GETs the URL in the file named by its argument (as a script
// saves a command's stdout), following redirects, and prints the status
// code and the body.
func fetchMain() {
	b, err := os.ReadFile(os.Args[1])
	if err == nil {
		var code int
		var body string
		if code, _, body, err = fetch(strings.TrimSpace(string(b)), true); err == nil {
			fmt.Printf("%d %s", code, body)
			os.Exit(0)
		}
	}
	fmt.Fprintln(os.Stderr, "fetch:", err)
	os.Exit(1)
}

// browserMain stands in for a browser ($BROWSER): it writes its arguments
// to $WORK/browser/argv, fetches the URL (its last argument; in an
// ext+granted-containers: link, its url= as the Granted Containers add-on
// opens it) without following redirects (status and Location to
// browser/first), follows the redirect (status and body to browser/page),
// fetches the URL again (browser/second), then creates browser/done.
func browserMain() {
	dir := filepath.Join(os.Getenv("WORK"), "browser")
	_ = os.MkdirAll(dir, 0o700)
	write := func(name, text string) { _ = os.WriteFile(filepath.Join(dir, name), []byte(text+"\n"), 0o600) }
	write("argv", strings.Join(os.Args[1:], "\n"))
	u := os.Args[len(os.Args)-1]
	if link, ok := strings.CutPrefix(u, "ext+granted-containers:"); ok {
		q, err := url.ParseQuery(link)
		if err != nil {
			write("first", "bad container link: "+err.Error())
		}
		u = q.Get("url")
	}
	code, loc, _, err := fetch(u, false)
	write("first", fmt.Sprint(code, " ", loc, " ", err))
	if loc != "" {
		code, _, body, err := fetch(loc, false)
		write("page", fmt.Sprint(code, " ", strings.TrimSpace(body), " ", err))
	}
	code, loc, _, err = fetch(u, false)
	write("second", fmt.Sprint(code, " ", loc, " ", err))
	write("done", "")
}

func fetch(u string, follow bool) (code int, location, body string, err error) {
	c := &http.Client{Timeout: 10 * time.Second}
	if !follow {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b), err
}

// sdkClient is an STS client from the SDK's default configuration, with no
// shared config files (only the environment) and the test's endpoint.
func sdkClient(ctx context.Context) (*sts.Client, error) {
	os.Setenv("AWS_CONFIG_FILE", os.DevNull)
	os.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	if os.Getenv("AWS_REGION") == "" {
		os.Setenv("AWS_REGION", "us-east-1")
	}
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, err
	}
	return sts.NewFromConfig(cfg), nil
}

// TestScripts runs the golden CLI scripts in testdata/script against two
// moto_servers: $MOTO accepts any signature; $MOTO_AUTH enforces them and
// knows two users, alice and bob, whose keys are in $WORK/userkey and
// $WORK/bobkey (two lines, as `add` reads). IAM Identity Center is the
// fake of internal/testenv ($SSO), minting role credentials in $MOTO.
func TestScripts(t *testing.T) {
	moto := testenv.StartMoto(t)
	ssoSTS := testfake.StartCountingProxy(t, moto.URL) // remembers the role credentials IAM Identity Center minted
	sso := testfake.StartSSO(t, testfake.SSOOptions{MotoURL: ssoSTS.URL, Roles: []testfake.SSORole{
		{AccountID: "111111111111", RoleName: "Developer", AccountName: "Dev"},
		{AccountID: "222222222222", RoleName: "ReadOnly", AccountName: "Prod (main)"},
		{AccountID: "222222222222", RoleName: "AdministratorAccess"},
		{AccountID: "333333333333", RoleName: "Admin", AccountName: "Legacy"},
		{AccountID: "555555555555", RoleName: "Admin", AccountName: "Sandbox"},
		{AccountID: "666666666666", RoleName: "Admin", AccountName: "Sandbox"},
	}})
	auth := testenv.StartMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT=8")
	id, secret, err := auth.CreateUserKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	// bob's key is rotated by one script: its own user, so that the
	// scripts running beside it keep alice's.
	bobID, bobSecret, err := auth.CreateUserKey("bob")
	if err != nil {
		t.Fatal(err)
	}
	// login.txtar: STS through a proxy that counts actions and remembers
	// the credentials moto issued, and a fake federation endpoint that
	// signs in only with those.
	counted := testfake.StartCountingProxy(t, auth.URL)
	// login_browser.txtar: its own proxy, so login.txtar's counts stay its own.
	countedBrowser := testfake.StartCountingProxy(t, auth.URL)
	federation := testfake.StartFederation(t, func(akid, secret, token string) string {
		if by := counted.IssuedBy(akid, secret, token); by != "" {
			return by
		}
		if by := countedBrowser.IssuedBy(akid, secret, token); by != "" {
			return by
		}
		return ssoSTS.IssuedBy(akid, secret, token)
	})
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			// stscount ACTION N: N requests of ACTION passed $MOTO_COUNTED.
			"stscount": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 2 || neg {
					ts.Fatalf("usage: stscount ACTION N")
				}
				if got := fmt.Sprint(counted.Count(args[0])); got != args[1] {
					ts.Fatalf("%s was called %s times, want %s", args[0], got, args[1])
				}
			},
			// keyringset KIND PROFILE FILE: store FILE as the item of KIND
			// for PROFILE in the script's file keyring — a state that only a
			// command killed at the right moment would leave.
			"keyringset": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 3 || neg {
					ts.Fatalf("usage: keyringset KIND PROFILE FILE")
				}
				st, err := keystore.Open(keystore.Options{
					Backend:        keystore.BackendFile,
					FileDir:        ts.Getenv("AWSTRAY_FILE_DIR"),
					FilePassphrase: func() (string, error) { return ts.Getenv("AWSTRAY_FILE_PASSPHRASE"), nil },
				})
				ts.Check(err)
				ts.Check(st.Set(keystore.Key{Kind: keystore.Kind(args[0]), Profile: args[1]}, []byte(ts.ReadFile(args[2])), ""))
			},
			// waitfile PATH: wait (up to 20 s) until PATH exists.
			"waitfile": func(ts *testscript.TestScript, neg bool, args []string) {
				if len(args) != 1 || neg {
					ts.Fatalf("usage: waitfile PATH")
				}
				for end := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					if _, err := os.Stat(ts.MkAbs(args[0])); err == nil {
						return
					}
					if time.Now().After(end) {
						ts.Fatalf("%s did not appear", args[0])
					}
				}
			},
		},
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			for _, kv := range [][2]string{
				{"HOME", home},
				{"AWS_CONFIG_FILE", filepath.Join(home, ".aws", "config")},
				{"XDG_CONFIG_HOME", filepath.Join(home, ".config")},
				{"XDG_RUNTIME_DIR", ""},
				{"AWSTRAY_BACKEND", "file"},
				{"AWSTRAY_FILE_DIR", filepath.Join(e.WorkDir, "keyring")},
				{"AWSTRAY_FILE_PASSPHRASE", "correct horse battery staple"},
				{"AWS_ENDPOINT_URL", moto.URL},
				{"MOTO", moto.URL},
				{"MOTO_AUTH", auth.URL},
				{"AWS_ENDPOINT_URL_SSO", sso.URL},
				{"AWS_ENDPOINT_URL_SSO_OIDC", sso.URL},
				{"SSO", sso.URL},
				{"BROWSER", "awstray-browse"},
				{"BROWSE_LOG", filepath.Join(e.WorkDir, "browsed")},
				{"MOTO_COUNTED", counted.URL},
				{"MOTO_COUNTED_BROWSER", countedBrowser.URL},
				{"FEDERATION", federation.URL},
				{"DBUS_SESSION_BUS_ADDRESS", "disabled:"},
				{"AWS_EC2_METADATA_DISABLED", "true"},
				{"SHELL", "/bin/sh"},
			} {
				e.Setenv(kv[0], kv[1])
			}
			if err := os.WriteFile(filepath.Join(e.WorkDir, "bobkey"), []byte(bobID+"\n"+bobSecret+"\n"), 0o600); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(e.WorkDir, "userkey"), []byte(id+"\n"+secret+"\n"), 0o600)
		},
	})
}
