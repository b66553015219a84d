package credentials

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/99designs/keyring"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/awstray/awstray/credentials/keystore"
)

// createKey makes another access key for the user in IAM, signed with the
// given key, as an interrupted rotate or a person at the console would.
func (e *rotEnv) createKey(t *testing.T, id string, secret Secret) (string, Secret) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := e.r.iamClient(nil, Credentials{AccessKeyID: id, SecretAccessKey: secret}).CreateAccessKey(ctx, &iam.CreateAccessKeyInput{})
	if err != nil {
		t.Fatalf("creating a key in IAM: %v", err)
	}
	return aws.ToString(out.AccessKey.AccessKeyId), NewSecret(aws.ToString(out.AccessKey.SecretAccessKey))
}

func (e *rotEnv) deleteKey(t *testing.T, id string, signer Credentials) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := e.r.iamClient(nil, signer).DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{AccessKeyId: aws.String(id)}); err != nil {
		t.Fatalf("deleting %s in IAM: %v", id, err)
	}
}

// TestRotateFinishesUnfinished builds, against moto, each state an
// interrupted rotate leaves, and checks what the next rotate does with it.
func TestRotateFinishesUnfinished(t *testing.T) {
	users := []string{"not-stored", "stored", "restore", "unreadable", "no-backup", "unreadable-alone"}
	motoURL, keys := startEnforcingMoto(t, users...)
	ctx := context.Background()
	env := func(t *testing.T, user string) (*rotEnv, Credentials) {
		e := newRotEnv(t, motoURL, user, keys[user], 5*time.Second)
		return e, Credentials{AccessKeyID: keys[user][0], SecretAccessKey: NewSecret(keys[user][1])}
	}
	backup := func(t *testing.T, e *rotEnv, old Credentials) {
		t.Helper()
		if err := writeBackup(e.store, "bob", rotationBackup{key: old, before: []string{old.AccessKeyID}}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("killed after CreateAccessKey: the key no item holds goes, then a new rotation", func(t *testing.T) {
		e, old := env(t, "not-stored")
		backup(t, e, old)
		lost, _ := e.createKey(t, old.AccessKeyID, old.SecretAccessKey)
		rot, err := e.r.Rotate(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if r := rot.Resumed; r == nil || r.Completed || r.Kept != old.AccessKeyID || !slices.Equal(r.Deleted, []string{lost}) {
			t.Fatalf("resumed %+v, want %s kept and %s deleted", rot.Resumed, old.AccessKeyID, lost)
		}
		if got := e.settled(t); got != rot.NewAccessKeyID || rot.OldAccessKeyID != old.AccessKeyID {
			t.Fatalf("stored %s after %+v", got, rot)
		}
	})

	t.Run("killed after storing the new key: the old key goes, nothing else", func(t *testing.T) {
		e, old := env(t, "stored")
		backup(t, e, old)
		id, secret := e.createKey(t, old.AccessKeyID, old.SecretAccessKey)
		if err := writeKey(e.store, "bob", Credentials{AccessKeyID: id, SecretAccessKey: secret}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		rot, err := e.r.Rotate(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if r := rot.Resumed; r == nil || !r.Completed || r.Kept != id || !slices.Equal(r.Deleted, []string{old.AccessKeyID}) || rot.NewAccessKeyID != "" {
			t.Fatalf("rotation %+v resumed %+v, want %s kept and %s deleted, no other rotation", rot, rot.Resumed, id, old.AccessKeyID)
		}
		if got := e.settled(t); got != id {
			t.Fatalf("stored %s, want %s", got, id)
		}
	})

	t.Run("the stored key is gone from IAM: the previous key is put back", func(t *testing.T) {
		e, old := env(t, "restore")
		backup(t, e, old)
		id, secret := e.createKey(t, old.AccessKeyID, old.SecretAccessKey)
		if err := writeKey(e.store, "bob", Credentials{AccessKeyID: id, SecretAccessKey: secret}, time.Time{}); err != nil {
			t.Fatal(err)
		}
		e.deleteKey(t, id, old) // what the old rotate did to a key it had stored
		rot, err := e.r.Rotate(ctx, "bob")
		if err != nil {
			t.Fatal(err)
		}
		if r := rot.Resumed; r == nil || r.Completed || r.Kept != old.AccessKeyID || len(r.Deleted) != 0 {
			t.Fatalf("resumed %+v, want %s put back", rot.Resumed, old.AccessKeyID)
		}
		e.settled(t)
	})

	t.Run("an unreadable backup and two keys in IAM: nothing deleted, every key named", func(t *testing.T) {
		e, old := env(t, "unreadable")
		if err := e.fk.Inner.Set(keyring.Item{Key: backupPrefix + "bob", Data: []byte(`{"v":1,"a":"AKIA`)}); err != nil {
			t.Fatal(err)
		}
		other, _ := e.createKey(t, old.AccessKeyID, old.SecretAccessKey)
		_, err := e.r.Rotate(ctx, "bob")
		noSecretIn(t, err, old.SecretAccessKey)
		want := fmt.Sprintf(`an earlier rotate of profile "bob" did not finish, and which key to keep is not certain: stored key %s (signs), previous key unreadable (reading the previous key of profile "bob": stored item is not valid: malformed JSON), keys in IAM %s; nothing was deleted: delete the key not in use in IAM (or store a working one with awstray add bob), then run awstray rotate bob again`,
			MaskAccessKeyID(old.AccessKeyID), maskAll(e.iamKeys(t, old.AccessKeyID, old.SecretAccessKey)))
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
		if got := e.iamKeys(t, old.AccessKeyID, old.SecretAccessKey); len(got) != 2 {
			t.Fatalf("IAM holds %v, want both keys", got)
		}
		if !slices.Contains(e.rawKeys(t), backupPrefix+"bob") {
			t.Fatal("the backup item was dropped")
		}
		// The person deletes the key not in use; then rotate goes on.
		e.deleteKey(t, other, old)
		if _, err := e.r.Rotate(ctx, "bob"); err != nil {
			t.Fatal(err)
		}
		e.settled(t)
	})

	t.Run("an unreadable backup and one key in IAM: the backup goes", func(t *testing.T) {
		e, _ := env(t, "unreadable-alone")
		if err := e.fk.Inner.Set(keyring.Item{Key: backupPrefix + "bob", Data: []byte(`{"v":1,"a":"AKIAOLD`)}); err != nil {
			t.Fatal(err)
		}
		rot, err := e.r.Rotate(ctx, "bob")
		if err != nil || rot.Resumed == nil || rot.NewAccessKeyID == "" {
			t.Fatalf("rotation %+v: %v", rot, err)
		}
		e.settled(t)
	})

	t.Run("no backup and a second key in IAM: refused, nothing deleted", func(t *testing.T) {
		e, old := env(t, "no-backup")
		other, _ := e.createKey(t, old.AccessKeyID, old.SecretAccessKey)
		_, err := e.r.Rotate(ctx, "bob")
		want := "IAM holds another access key of this user, " + MaskAccessKeyID(other) + ", besides the stored key " + MaskAccessKeyID(old.AccessKeyID) + "; IAM allows two keys per user and rotate needs a free slot: delete the key not in use in IAM first"
		if err == nil || err.Error() != want {
			t.Fatalf("got  %v\nwant %s", err, want)
		}
		if got := e.iamKeys(t, old.AccessKeyID, old.SecretAccessKey); len(got) != 2 {
			t.Fatalf("IAM holds %v, want both keys", got)
		}
	})
}

// TestRemoveKeyDropsBackup: remove leaves no key of the profile behind,
// the one an unfinished rotate kept aside included.
func TestRemoveKeyDropsBackup(t *testing.T) {
	s := keystore.NewMemory()
	old := Credentials{AccessKeyID: "AKIAOLDKEY0000000001", SecretAccessKey: NewSecret("old-secret-0123456789")}
	if err := SaveKey(s, "bob", "AKIANEWKEY0000000001", NewSecret("new-secret-0123456789")); err != nil {
		t.Fatal(err)
	}
	if err := writeBackup(s, "bob", rotationBackup{key: old, before: []string{old.AccessKeyID}}); err != nil {
		t.Fatal(err)
	}
	if id, _, err := RotationBackup(s, "bob"); err != nil || id != old.AccessKeyID {
		t.Fatalf("RotationBackup: %s, %v", id, err)
	}
	if st, err := ReadKeyringState(s, time.Now()); err != nil || !st["bob"].UnfinishedRotation || !st["bob"].StoredKey {
		t.Fatalf("keyring state %+v, %v", st["bob"], err)
	}
	if err := RemoveKey(s, "bob"); err != nil {
		t.Fatal(err)
	}
	if keys, err := s.List(); err != nil || len(keys) != 0 {
		t.Fatalf("left %v (%v)", keys, err)
	}
	if _, _, err := RotationBackup(s, "bob"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("RotationBackup after remove: %v", err)
	}
}
