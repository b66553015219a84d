package keystore

import (
	"strings"
	"testing"
)

func TestKeyString(t *testing.T) {
	tests := []struct {
		key  Key
		want string
	}{
		{Key{KindKey, "work", ""}, "v1/key/work"},
		{Key{KindSession, "work", ""}, "v1/session/work"},
		{Key{KindRole, "work", "3f2a9c"}, "v1/role/work/3f2a9c"},
		{Key{KindSSOToken, "corp", ""}, "v1/sso-token/corp"},
		{Key{KindKey, "my profile", ""}, "v1/key/my%20profile"},
		{Key{KindKey, "team/prod", ""}, "v1/key/team%2Fprod"},
		{Key{KindKey, "100%", ""}, "v1/key/100%25"},
		{Key{KindKey, "a:b", ""}, "v1/key/a:b"},
		{Key{KindKey, "prod-東京", ""}, "v1/key/prod-%E6%9D%B1%E4%BA%AC"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.key.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			got, ok := ParseKey(tt.want)
			if !ok || got != tt.key {
				t.Errorf("ParseKey(%q) = %#v, %v; want %#v, true", tt.want, got, ok, tt.key)
			}
		})
	}
}

func TestParseKeyRejects(t *testing.T) {
	for _, s := range []string{
		"",
		"work",                    // aws-vault style
		"v1/canary",               // the file backend's canary
		"v2/key/work",             // another version
		"v1/bogus/work",           // unknown kind
		"v1/key/",                 // empty profile
		"v1/key",                  // no profile
		"v1/key/work/",            // empty variant
		"v1/key/work/a/b",         // too many segments
		"v1/key/work/bad variant", // variant charset
		"v1/key/a%2fb",            // lowercase escape: not what String makes
		"v1/key/a%2",              // bad escape
		"v1/key/a b",              // unescaped space
		"v1/key/%41",              // needless escape
		"v1/key/..",               // refused profile
		"v1/key/.",                // refused profile
		"v1/KEY/work",             // kinds are lowercase
		"/v1/key/work",            // leading slash
		"v1/key/work/" + strings.Repeat("a", 65),
		"v1/key/" + strings.Repeat("x", 300),
		"awstray/v1/key/work", // a Secret Service raw key is not a key
	} {
		if k, ok := ParseKey(s); ok {
			t.Errorf("ParseKey(%q) = %#v, true; want false", s, k)
		}
	}
}

func TestKeyValidate(t *testing.T) {
	for _, tt := range []struct {
		key     Key
		wantErr string
	}{
		{Key{KindKey, "work", ""}, ""},
		{Key{KindRole, "work", "Ab-9_"}, ""},
		{Key{"bogus", "work", ""}, `unknown kind "bogus"`},
		{Key{KindKey, "", ""}, "empty profile name"},
		{Key{KindKey, "..", ""}, `profile name ".." cannot be stored`},
		{Key{KindKey, ".", ""}, `profile name "." cannot be stored`},
		{Key{KindKey, "work", "a/b"}, `invalid variant "a/b"`},
		{Key{KindKey, "work", "a.b"}, `invalid variant "a.b"`},
		{Key{KindKey, strings.Repeat("x", 300), ""}, "too long"},
		{Key{KindKey, strings.Repeat("東", 30), ""}, "too long"},
	} {
		err := tt.key.Validate()
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%#v: %v", tt.key, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%#v: error %v, want %q", tt.key, err, tt.wantErr)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	for _, s := range []string{"v1/key/work", "v1/role/a%20b/ff00", "v1/key/a%2fb", "v1/canary", "v1/sso-token/%E6%9D%B1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, ok := ParseKey(s)
		if !ok {
			return
		}
		if k.String() != s {
			t.Fatalf("ParseKey(%q) = %#v, whose String is %q", s, k, k.String())
		}
		if err := k.Validate(); err != nil {
			t.Fatalf("ParseKey(%q) accepted an invalid key: %v", s, err)
		}
	})
}

func FuzzKeyRoundTrip(f *testing.F) {
	f.Add(uint8(0), "work", "")
	f.Add(uint8(2), "team/prod 100%", "abc123")
	f.Add(uint8(3), "東京:x", "")
	f.Fuzz(func(t *testing.T, kind uint8, profile, variant string) {
		k := Key{Kind: kinds[int(kind)%len(kinds)], Profile: profile, Variant: variant}
		if k.Validate() != nil {
			return
		}
		got, ok := ParseKey(k.String())
		if !ok || got != k {
			t.Fatalf("ParseKey(%q) = %#v, %v; want %#v", k.String(), got, ok, k)
		}
	})
}
