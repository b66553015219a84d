package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/awstray/awstray/internal/testenv"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"awstray":        main,
		"awstray-whoami": whoamiMain,
	})
}

// whoamiMain calls GetCallerIdentity with the credentials of its
// environment, as any AWS tool run by `awstray exec` would, and prints the
// caller's ARN.
func whoamiMain() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := sts.New(sts.Options{
		Region:       os.Getenv("AWS_REGION"),
		BaseEndpoint: aws.String(os.Getenv("AWS_ENDPOINT_URL")),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{
				AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
				SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
				SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
			}, nil
		}),
	})
	if client.Options().Region == "" {
		client = sts.New(client.Options(), func(o *sts.Options) { o.Region = "us-east-1" })
	}
	out, err := client.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "whoami:", err)
		os.Exit(1)
	}
	fmt.Println(*out.Arn)
	os.Exit(0)
}

// TestScripts runs the golden CLI scripts in testdata/script against two
// moto_servers: $MOTO accepts any signature; $MOTO_AUTH enforces them and
// knows one user, whose key is in $WORK/userkey (two lines, as `add` reads).
func TestScripts(t *testing.T) {
	moto := testenv.StartMoto(t)
	auth := testenv.StartMoto(t, "INITIAL_NO_AUTH_ACTION_COUNT=4")
	id, secret, err := auth.CreateUserKey("alice")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       os.Getenv("UPDATE_GOLDEN") == "1",
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
				{"DBUS_SESSION_BUS_ADDRESS", "disabled:"},
				{"AWS_EC2_METADATA_DISABLED", "true"},
				{"SHELL", "/bin/sh"},
			} {
				e.Setenv(kv[0], kv[1])
			}
			return os.WriteFile(filepath.Join(e.WorkDir, "userkey"), []byte(id+"\n"+secret+"\n"), 0o600)
		},
	})
}
