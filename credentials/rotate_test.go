package credentials

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

// fakeIAM holds the keys of one user (at first the harness's key of
// "plain"), creates one key and fails where told.
type fakeIAM struct {
	createErr, deleteErr error
	keys, deleted        []string
	created              map[string]time.Time // CreateDate of a key; none when absent
	onList               func()               // called by ListAccessKeys, when set
}

func newFakeIAM() *fakeIAM { return &fakeIAM{keys: []string{"AKIAPLAINKEY000000000"}} }

func (f *fakeIAM) CreateAccessKey(context.Context, *iam.CreateAccessKeyInput, ...func(*iam.Options)) (*iam.CreateAccessKeyOutput, error) {
	if f.createErr != nil {
		return nil, f.createErr
	}
	f.keys = append(f.keys, "AKIANEWKEY0000000001")
	k := &iamtypes.AccessKey{AccessKeyId: aws.String("AKIANEWKEY0000000001"), SecretAccessKey: aws.String("new-secret-0123456789abcdef")}
	if t, ok := f.created["AKIANEWKEY0000000001"]; ok {
		k.CreateDate = aws.Time(t)
	}
	return &iam.CreateAccessKeyOutput{AccessKey: k}, nil
}

func (f *fakeIAM) DeleteAccessKey(_ context.Context, in *iam.DeleteAccessKeyInput, _ ...func(*iam.Options)) (*iam.DeleteAccessKeyOutput, error) {
	f.deleted = append(f.deleted, aws.ToString(in.AccessKeyId))
	if f.deleteErr != nil {
		return nil, f.deleteErr
	}
	f.keys = slices.DeleteFunc(f.keys, func(k string) bool { return k == aws.ToString(in.AccessKeyId) })
	return &iam.DeleteAccessKeyOutput{}, nil
}

func (f *fakeIAM) ListAccessKeys(context.Context, *iam.ListAccessKeysInput, ...func(*iam.Options)) (*iam.ListAccessKeysOutput, error) {
	if f.onList != nil {
		f.onList()
	}
	out := &iam.ListAccessKeysOutput{}
	for _, k := range f.keys {
		m := iamtypes.AccessKeyMetadata{AccessKeyId: aws.String(k)}
		if t, ok := f.created[k]; ok {
			m.CreateDate = aws.Time(t)
		}
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, m)
	}
	return out, nil
}

// stsAnswering is an STS endpoint whose GetCallerIdentity always succeeds
// (the new key "works").
func stsAnswering(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/me</Arn><UserId>AIDA</UserId><Account>111111111111</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestRotate(t *testing.T) {
	isolateLocks(t)
	ctx := context.Background()
	t.Run("the new key replaces the old one", func(t *testing.T) {
		h := newHarness(t)
		f := newFakeIAM()
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		url := stsAnswering(t)
		h.r.Getenv = func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": url}[k] }
		h.get(t, Request{Profile: "plain"}) // a cached session, made with the old key
		rot, err := h.r.Rotate(ctx, "plain")
		if err != nil {
			t.Fatal(err)
		}
		if rot.OldAccessKeyID != "AKIAPLAINKEY000000000" || rot.NewAccessKeyID != "AKIANEWKEY0000000001" || strings.Join(f.deleted, ",") != "AKIAPLAINKEY000000000" {
			t.Fatalf("rotation %+v, deleted %v", rot, f.deleted)
		}
		if id, _ := StoredAccessKeyID(h.store, "plain"); id != "AKIANEWKEY0000000001" {
			t.Fatalf("stored key %s", id)
		}
		if st, _ := ReadKeyringState(h.store, h.clock); !st["plain"].SessionExpires.IsZero() {
			t.Fatal("the session made with the old key was kept")
		}
	})
	t.Run("IAM refuses a new key: nothing changes", func(t *testing.T) {
		h := newHarness(t)
		f := newFakeIAM()
		f.createErr = &smithy.GenericAPIError{Code: "LimitExceeded", Message: "Cannot exceed quota for AccessKeysPerUser: 2"}
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		_, err := h.r.Rotate(ctx, "plain")
		if err == nil || err.Error() != "creating a new access key: LimitExceeded: Cannot exceed quota for AccessKeysPerUser: 2" {
			t.Fatalf("got %v", err)
		}
		if id, _ := StoredAccessKeyID(h.store, "plain"); id != "AKIAPLAINKEY000000000" || len(f.deleted) != 0 {
			t.Fatalf("stored %s, deleted %v", id, f.deleted)
		}
	})
	t.Run("the old key cannot be deleted: the new one is kept, the message says so", func(t *testing.T) {
		h := newHarness(t)
		f := newFakeIAM()
		f.deleteErr = &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"}
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		url := stsAnswering(t)
		h.r.Getenv = func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": url}[k] }
		_, err := h.r.Rotate(ctx, "plain")
		want := "the new key ****************0001 is stored and works, but deleting the old key *****************0000 failed (AccessDenied: not allowed); run awstray rotate plain again to finish"
		if err == nil || err.Error() != want {
			t.Fatalf("got %v\nwant %s", err, want)
		}
		if id, _ := StoredAccessKeyID(h.store, "plain"); id != "AKIANEWKEY0000000001" {
			t.Fatalf("stored %s", id)
		}
		if strings.Contains(err.Error(), "new-secret") {
			t.Fatal("the error shows the new secret")
		}
	})
	t.Run("role profiles have no key", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.r.Rotate(ctx, "r1"); err == nil || err.Error() != `profile "r1" is a role profile; only IAM user profiles have a key to rotate` {
			t.Fatalf("got %v", err)
		}
	})
}
