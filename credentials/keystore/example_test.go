package keystore_test

import (
	"errors"
	"fmt"

	"github.com/awstray/awstray/credentials/keystore"
)

func Example() {
	// In the program: keystore.Open(keystore.OptionsFromEnv(os.Getenv)).
	s := keystore.NewMemory()

	k := keystore.Key{Kind: keystore.KindRole, Profile: "team/prod", Variant: "3f2a9c"}
	if err := s.Set(k, []byte(`{"AccessKeyId":"ASIA…"}`), "awstray role session for profile team/prod"); err != nil {
		fmt.Println(err)
	}
	keys, _ := s.List()
	fmt.Println(keys[0])

	_, err := s.Get(keystore.Key{Kind: keystore.KindSession, Profile: "team/prod"})
	fmt.Println(errors.Is(err, keystore.ErrNotFound), err)
	// Output:
	// v1/role/team%2Fprod/3f2a9c
	// true reading v1/session/team%2Fprod from memory: not found in the keyring
}
