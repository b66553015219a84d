package awsconfig_test

import (
	"fmt"

	"github.com/awstray/awstray/credentials/awsconfig"
)

func ExampleConfig_Chain() {
	cfg, err := awsconfig.Parse("config", []byte(`
[profile alice]
mfa_serial = arn:aws:iam::123456789012:mfa/alice

[profile admin]
role_arn = arn:aws:iam::123456789012:role/Admin
source_profile = alice

[profile prod-admin]
role_arn = arn:aws:iam::210987654321:role/Admin
source_profile = admin
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	chain, err := cfg.Chain("prod-admin")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range chain {
		fmt.Println(p.Name, p.Kind())
	}
	// Output:
	// prod-admin role
	// admin role
	// alice iam-user
}
