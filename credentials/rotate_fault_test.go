package credentials

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/awstray/awstray/credentials/awsconfig"
	"github.com/awstray/awstray/credentials/keystore"
	"github.com/awstray/awstray/internal/testenv"
	"github.com/awstray/awstray/internal/testfake"
)

// backupPrefix is the raw key of the backup item Rotate keeps of the old
// key, spelled out so the tests also build against code without it.
const backupPrefix = "v1/key-backup/"

// rotEnv is one IAM user in a moto that enforces signatures, its key stored
// for profile "bob" in a store over a FaultKeyring.
type rotEnv struct {
	motoURL, user string
	fk            *testfake.FaultKeyring
	store         *keystore.Store
	r             *Resolver
}

// startEnforcingMoto starts moto and makes users in it, then moto enforces
// signatures: every later request must be signed by a key moto made.
func startEnforcingMoto(t *testing.T, users ...string) (url string, keys map[string][2]string) {
	t.Helper()
	m := testenv.StartMoto(t, fmt.Sprintf("INITIAL_NO_AUTH_ACTION_COUNT=%d", 4*len(users)))
	keys = map[string][2]string{}
	for _, u := range users {
		id, secret, err := m.CreateUserKey(u)
		if err != nil {
			t.Fatal(err)
		}
		keys[u] = [2]string{id, secret}
	}
	return m.URL, keys
}

func newRotEnv(t *testing.T, motoURL, user string, key [2]string, timeout time.Duration) *rotEnv {
	t.Helper()
	isolateLocks(t)
	cfg, err := awsconfig.Parse("config", []byte("[profile bob]\nregion = us-east-1\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := &rotEnv{motoURL: motoURL, user: user, fk: testfake.NewFaultKeyring(nil)}
	e.store = keystore.NewWith("fault", e.fk, timeout)
	e.r = &Resolver{
		Config:  cfg,
		Store:   e.store,
		Getenv:  func(k string) string { return map[string]string{"AWS_ENDPOINT_URL": motoURL}[k] },
		Options: Options{Timeout: 20 * time.Second},
	}
	if err := SaveKey(e.store, "bob", key[0], NewSecret(key[1])); err != nil {
		t.Fatal(err)
	}
	return e
}

// signs calls GetCallerIdentity with the key and returns the caller's ARN.
func (e *rotEnv) signs(id string, secret Secret) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c := NewSTSClient("us-east-1", e.motoURL, Credentials{AccessKeyID: id, SecretAccessKey: secret}, 20*time.Second)
	out, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Arn), nil
}

// iamKeys lists the user's access key IDs in IAM, signed with the key.
func (e *rotEnv) iamKeys(t *testing.T, id string, secret Secret) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := iam.New(iam.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(e.motoURL),
		Credentials:  staticProvider(Credentials{AccessKeyID: id, SecretAccessKey: secret}),
		HTTPClient:   &http.Client{Timeout: 20 * time.Second},
	})
	out, err := client.ListAccessKeys(ctx, &iam.ListAccessKeysInput{UserName: aws.String(e.user)})
	if err != nil {
		t.Fatalf("listing the keys of %s in IAM: %v", e.user, err)
	}
	var ids []string
	for _, k := range out.AccessKeyMetadata {
		ids = append(ids, aws.ToString(k.AccessKeyId))
	}
	slices.Sort(ids)
	return ids
}

func (e *rotEnv) stored(t *testing.T) (string, Secret) {
	t.Helper()
	id, secret, err := StoredKey(e.store, "bob")
	if err != nil {
		t.Fatalf("reading the stored key: %v", err)
	}
	return id, secret
}

func (e *rotEnv) rawKeys(t *testing.T) []string {
	t.Helper()
	keys, err := e.fk.Inner.Keys()
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// settled checks the end state every rotation must reach: the stored key
// signs, it is the one key of the user in IAM, and no backup item is left.
func (e *rotEnv) settled(t *testing.T) string {
	t.Helper()
	id, secret := e.stored(t)
	arn, err := e.signs(id, secret)
	if err != nil {
		t.Fatalf("the stored key %s does not sign: %v", id, err)
	}
	if !strings.HasSuffix(arn, ":user/"+e.user) {
		t.Fatalf("the stored key signs as %s, want user %s", arn, e.user)
	}
	if got := e.iamKeys(t, id, secret); !slices.Equal(got, []string{id}) {
		t.Fatalf("IAM holds %v, want only the stored key %s", got, id)
	}
	for _, k := range e.rawKeys(t) {
		if strings.HasPrefix(k, backupPrefix) {
			t.Fatalf("the backup item %s was left behind", k)
		}
	}
	return id
}

func noSecretIn(t *testing.T, err error, secrets ...Secret) {
	t.Helper()
	if err == nil {
		return
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("the error has several lines: %q", err)
	}
	for _, s := range secrets {
		if strings.Contains(err.Error(), s.Reveal()) {
			t.Fatalf("the error shows a secret: %v", err)
		}
	}
}

// TestRotateKeyringFaults makes the keyring fail in each way a real one
// does while Rotate stores the new key. Whatever happens, the stored key
// signs against moto (signatures enforced) afterwards — at once, or after a
// second `rotate` that finishes the first — and IAM keeps only that key.
func TestRotateKeyringFaults(t *testing.T) {
	users := []string{"fails-after-write", "times-out-lands", "times-out-never-lands", "clear-fails", "torn-write", "fails-cleanly"}
	motoURL, keys := startEnforcingMoto(t, users...)
	ctx := context.Background()
	const storeTimeout = time.Second
	isKey := func(op, key string) bool { return op == "set" && testfake.KeyHas(key, "key") }

	t.Run("the keyring fails after the new key landed", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "fails-after-write", keys["fails-after-write"], storeTimeout)
		var once sync.Once
		e.fk.SetHooks(nil, func(op, key string) (err error) {
			if isKey(op, key) {
				once.Do(func() { err = errors.New("the keyring daemon went away") })
			}
			return err
		})
		rot, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err)
		if got := e.settled(t); got != rot.NewAccessKeyID || got == keys["fails-after-write"][0] {
			t.Fatalf("stored %s, rotation %+v", got, rot)
		}
		if err != nil {
			t.Fatalf("rotate: %v", err)
		}
	})

	t.Run("a write times out and lands later", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "times-out-lands", keys["times-out-lands"], storeTimeout)
		release, landed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		e.fk.SetHooks(func(op, key string) error {
			if isKey(op, key) {
				<-release // a keyring waiting for a person to unlock it
			}
			return nil
		}, func(op, key string) error {
			if isKey(op, key) {
				once.Do(func() { close(landed) })
			}
			return nil
		})
		oldID, oldSecret := keys["times-out-lands"][0], NewSecret(keys["times-out-lands"][1])
		rot, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err, oldSecret)
		if err == nil || !strings.Contains(err.Error(), "run awstray rotate bob again") {
			t.Fatalf("rotate with a keyring that does not answer: %v", err)
		}
		// Nothing may be deleted while the write is still on its way.
		if got := e.iamKeys(t, oldID, oldSecret); len(got) != 2 {
			t.Fatalf("IAM holds %v after an unfinished write, want the old and the new key", got)
		}
		close(release)
		<-landed
		e.fk.SetHooks(nil, nil)
		if id, _ := e.stored(t); id != rot.NewAccessKeyID {
			t.Fatalf("the late write stored %s, want %s", id, rot.NewAccessKeyID)
		}
		again, err := e.r.Rotate(ctx, "bob")
		if err != nil {
			t.Fatalf("second rotate: %v", err)
		}
		if got := e.settled(t); got != rot.NewAccessKeyID {
			t.Fatalf("stored %s, want the new key %s of the first rotate (second: %+v)", got, rot.NewAccessKeyID, again)
		}
	})

	t.Run("a write times out and never lands", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "times-out-never-lands", keys["times-out-never-lands"], storeTimeout)
		release, failed := make(chan struct{}), make(chan struct{})
		var once sync.Once
		e.fk.SetHooks(func(op, key string) (err error) {
			if isKey(op, key) {
				once.Do(func() {
					<-release
					err = errors.New("the person dismissed the unlock prompt")
					close(failed)
				})
			}
			return err
		}, nil)
		oldID := keys["times-out-never-lands"][0]
		_, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err)
		if err == nil {
			t.Fatal("rotate with a keyring that does not answer succeeded")
		}
		close(release)
		<-failed
		if id, _ := e.stored(t); id != oldID {
			t.Fatalf("stored %s, want the old key %s", id, oldID)
		}
		if _, err := e.r.Rotate(ctx, "bob"); err != nil {
			t.Fatalf("second rotate: %v", err)
		}
		if got := e.settled(t); got == oldID {
			t.Fatal("the second rotate did not rotate")
		}
	})

	t.Run("clearing the old sessions fails", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "clear-fails", keys["clear-fails"], storeTimeout)
		session := Credentials{AccessKeyID: "ASIATEMP000000000001", SecretAccessKey: NewSecret("session-secret-0123456789"), SessionToken: NewSecret("token"), Expires: time.Now().Add(time.Hour)}
		if err := e.store.Set(keystore.Key{Kind: keystore.KindSession, Profile: "bob"}, encode(session, ""), ""); err != nil {
			t.Fatal(err)
		}
		e.fk.SetHooks(func(op, key string) error {
			if op == "remove" && testfake.KeyHas(key, "session") {
				return errors.New("permission denied")
			}
			return nil
		}, nil)
		rot, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err)
		if got := e.settled(t); got != rot.NewAccessKeyID {
			t.Fatalf("stored %s, rotation %+v", got, rot)
		}
		if err == nil || !strings.Contains(err.Error(), "awstray clear bob") {
			t.Fatalf("rotate: %v; want a word on the sessions left", err)
		}
	})

	t.Run("a torn write: the disk fills up mid-write", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "torn-write", keys["torn-write"], storeTimeout)
		var once sync.Once
		e.fk.SetHooks(nil, func(op, key string) (err error) {
			if isKey(op, key) {
				once.Do(func() {
					it, _ := e.fk.Inner.Get(key)
					it.Data = it.Data[:len(it.Data)/2]
					_ = e.fk.Inner.Set(it)
					err = errors.New("write v1/key/bob: no space left on device")
				})
			}
			return err
		})
		_, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err, NewSecret(keys["torn-write"][1]))
		if err == nil {
			t.Fatal("rotate over a torn write succeeded")
		}
		e.fk.SetHooks(nil, nil)
		if _, err := e.r.Rotate(ctx, "bob"); err != nil {
			t.Fatalf("second rotate: %v", err)
		}
		e.settled(t)
	})

	t.Run("a write fails and nothing lands", func(t *testing.T) {
		e := newRotEnv(t, motoURL, "fails-cleanly", keys["fails-cleanly"], storeTimeout)
		e.fk.SetHooks(func(op, key string) error {
			if isKey(op, key) {
				return errors.New("the collection is read-only")
			}
			return nil
		}, nil)
		oldID := keys["fails-cleanly"][0]
		_, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err)
		want := "storing the new key failed (writing v1/key/bob to fault: the collection is read-only); it was deleted from IAM and the old key ****************" + oldID[len(oldID)-4:] + " is still stored"
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
		if got := e.settled(t); got != oldID {
			t.Fatalf("stored %s, want the old key %s", got, oldID)
		}
	})
}
