package credentials

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/credentials/keystore"
)

func TestKeyCreatedIsStoredWithTheKey(t *testing.T) {
	at := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	t.Run("SaveKeyCreated keeps the time; list state and reads show it", func(t *testing.T) {
		s := keystore.NewMemory()
		if err := SaveKeyCreated(s, "dev", "AKIADEVKEY0000000000", NewSecret("secret-of-dev-0123456789"), at); err != nil {
			t.Fatal(err)
		}
		id, created, err := StoredKeyCreated(s, "dev")
		if err != nil || id != "AKIADEVKEY0000000000" || !created.Equal(at) {
			t.Fatalf("got %s %v %v", id, created, err)
		}
		st, err := ReadKeyringState(s, at)
		if err != nil || !st["dev"].KeyCreated.Equal(at) {
			t.Fatalf("keyring state %+v %v", st["dev"], err)
		}
		// The key is the same one the other readers see.
		if id, secret, err := StoredKey(s, "dev"); err != nil || id != "AKIADEVKEY0000000000" || secret.Reveal() != "secret-of-dev-0123456789" {
			t.Fatalf("StoredKey: %s %v", id, err)
		}
	})
	t.Run("SaveKey stores the time it ran", func(t *testing.T) {
		s := keystore.NewMemory()
		before := time.Now().Add(-time.Second)
		if err := SaveKey(s, "dev", "AKIADEVKEY0000000000", NewSecret("secret-of-dev-0123456789")); err != nil {
			t.Fatal(err)
		}
		_, created, _ := StoredKeyCreated(s, "dev")
		if created.Before(before) || created.After(time.Now().Add(time.Second)) {
			t.Fatalf("created %v, not now", created)
		}
	})
	for name, item := range map[string]string{
		"an item written before the field existed": `{"v":1,"a":"AKIADEVKEY0000000000","s":"secret-of-dev-0123456789"}`,
		"an item with a damaged time":              `{"v":1,"a":"AKIADEVKEY0000000000","s":"secret-of-dev-0123456789","c":"yesterday"}`,
	} {
		t.Run(name+" reads as unknown", func(t *testing.T) {
			s := keystore.NewMemory()
			if err := s.Set(keystore.Key{Kind: keystore.KindKey, Profile: "dev"}, []byte(item), ""); err != nil {
				t.Fatal(err)
			}
			id, created, err := StoredKeyCreated(s, "dev")
			if err != nil || id != "AKIADEVKEY0000000000" || !created.IsZero() {
				t.Fatalf("got %s %v %v", id, created, err)
			}
			if st, _ := ReadKeyringState(s, at); !st["dev"].StoredKey || !st["dev"].KeyCreated.IsZero() {
				t.Fatalf("keyring state %+v", st["dev"])
			}
		})
	}
}

func TestKeyAge(t *testing.T) {
	created := time.Date(2026, 8, 1, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		now  time.Time
		days int
		ok   bool
	}{
		{"unknown", created, 0, false},
		{"same day", created.Add(23 * time.Hour), 0, true},
		{"a clock behind", created.Add(-time.Hour), 0, true},
		{"97 days", created.Add(97*24*time.Hour + time.Hour), 97, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			from := created
			if !c.ok {
				from = time.Time{}
			}
			if days, ok := KeyAge(from, c.now); days != c.days || ok != c.ok {
				t.Fatalf("got %d %v", days, ok)
			}
		})
	}
}

func TestRotateStoresIAMsCreateDate(t *testing.T) {
	isolateLocks(t)
	h := newHarness(t)
	made := time.Date(2026, 11, 27, 8, 59, 30, 0, time.UTC) // IAM's clock, a little behind
	f := newFakeIAM()
	f.created = map[string]time.Time{"AKIANEWKEY0000000001": made}
	h.r.NewIAM = func(Credentials) IAMAPI { return f }
	url := stsAnswering(t)
	h.r.Getenv = func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": url}[k] }
	if _, err := h.r.Rotate(context.Background(), "plain"); err != nil {
		t.Fatal(err)
	}
	id, created, err := StoredKeyCreated(h.store, "plain")
	if err != nil || id != "AKIANEWKEY0000000001" || !created.Equal(made) {
		t.Fatalf("stored %s created %v (%v), want %v", id, created, err, made)
	}
}

func TestRotateResumeKeepsTheOldKeysCreated(t *testing.T) {
	isolateLocks(t)
	h := newHarness(t)
	old := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	key := Credentials{AccessKeyID: "AKIAPLAINKEY000000000", SecretAccessKey: NewSecret("secret-of-plain-0123456789")}
	// A rotate stopped after the backup and a torn write of the new key:
	// resume puts the old key back, with its time.
	if err := writeBackup(h.store, "plain", rotationBackup{key: key, created: old, before: []string{key.AccessKeyID}}); err != nil {
		t.Fatal(err)
	}
	if err := h.store.Set(keystore.Key{Kind: keystore.KindKey, Profile: "plain"}, []byte("torn"), ""); err != nil {
		t.Fatal(err)
	}
	f := newFakeIAM()
	f.createErr = errFakeStop
	h.r.NewIAM = func(Credentials) IAMAPI { return f }
	url := stsAnswering(t)
	h.r.Getenv = func(k string) string { return map[string]string{"AWS_ENDPOINT_URL_STS": url}[k] }
	_, _ = h.r.Rotate(context.Background(), "plain") // the new rotation itself fails: createErr
	id, created, err := StoredKeyCreated(h.store, "plain")
	if err != nil || id != key.AccessKeyID || !created.Equal(old) {
		t.Fatalf("stored %s created %v (%v), want %v", id, created, err, old)
	}
}

var errFakeStop = &fakeAPIError{}

type fakeAPIError struct{}

func (*fakeAPIError) Error() string { return "stop" }

func TestLearnKeyCreated(t *testing.T) {
	isolateLocks(t)
	ctx := context.Background()
	made := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	unknown := func(t *testing.T, h *harness) {
		t.Helper()
		if err := h.store.Set(keystore.Key{Kind: keystore.KindKey, Profile: "plain"}, []byte(`{"v":1,"a":"AKIAPLAINKEY000000000","s":"secret-of-plain-0123456789"}`), ""); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("IAM's CreateDate is stored with the key", func(t *testing.T) {
		h := newHarness(t)
		unknown(t, h)
		f := newFakeIAM()
		f.created = map[string]time.Time{"AKIAPLAINKEY000000000": made}
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		got, err := h.r.LearnKeyCreated(ctx, "plain")
		if err != nil || !got.Equal(made) {
			t.Fatalf("got %v %v", got, err)
		}
		id, created, err := StoredKeyCreated(h.store, "plain")
		if err != nil || id != "AKIAPLAINKEY000000000" || !created.Equal(made) {
			t.Fatalf("stored %s %v %v", id, created, err)
		}
		if _, secret, _ := StoredKey(h.store, "plain"); secret.Reveal() != "secret-of-plain-0123456789" {
			t.Fatal("the secret changed")
		}
	})
	t.Run("a key replaced meanwhile is left alone", func(t *testing.T) {
		h := newHarness(t)
		unknown(t, h)
		f := newFakeIAM()
		f.created = map[string]time.Time{"AKIAPLAINKEY000000000": made}
		f.onList = func() {
			if err := SaveKeyCreated(h.store, "plain", "AKIAREPLACED00000000", NewSecret("secret-of-replaced-0123456789"), time.Time{}); err != nil {
				t.Error(err)
			}
		}
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		if _, err := h.r.LearnKeyCreated(ctx, "plain"); err == nil || !strings.Contains(err.Error(), "the stored key changed meanwhile") {
			t.Fatalf("got %v", err)
		}
		id, created, _ := StoredKeyCreated(h.store, "plain")
		if id != "AKIAREPLACED00000000" || !created.IsZero() {
			t.Fatalf("stored %s %v", id, created)
		}
	})
	t.Run("IAM does not list the key", func(t *testing.T) {
		h := newHarness(t)
		unknown(t, h)
		f := newFakeIAM()
		f.keys = []string{"AKIAOTHER00000000000"}
		h.r.NewIAM = func(Credentials) IAMAPI { return f }
		_, err := h.r.LearnKeyCreated(ctx, "plain")
		if err == nil || err.Error() != `asking IAM when the key of profile "plain" was created: IAM does not list the stored key *****************0000` {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("role profiles have no key", func(t *testing.T) {
		h := newHarness(t)
		if _, err := h.r.LearnKeyCreated(ctx, "r1"); err == nil || !strings.Contains(err.Error(), "only IAM user profiles have a key") {
			t.Fatalf("got %v", err)
		}
	})
}
