package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/internal/testenv"
)

// config500 writes a 500-profile config: IAM users, roles on them, and SSO
// profiles, as a large organisation's file looks.
func config500() string {
	var b strings.Builder
	b.WriteString("# generated: 500 profiles\n[default]\nregion = us-east-1\n\n")
	for i := 1; i < 500; i++ {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&b, "[profile user%d]\nregion = eu-west-1\nmfa_serial = arn:aws:iam::123456789012:mfa/u%d\n\n", i, i)
		case 1:
			fmt.Fprintf(&b, "[profile role%d]\nsource_profile = user%d\nrole_arn = arn:aws:iam::%012d:role/admin\nrole_session_name = me\n\n", i, i-1, i)
		default:
			fmt.Fprintf(&b, "[profile sso%d]\nsso_start_url = https://org.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = %012d\nsso_role_name = ReadOnly\n\n", i, i)
		}
	}
	return b.String()
}

// BenchmarkExecCached measures `awstray exec P -- true` with a cached
// session, a 500-profile config and the file keyring, against plain `true`,
// and reports the medians.
func BenchmarkExecCached(b *testing.B) {
	moto := testenv.StartMoto(b)
	s := newSandbox(b, moto.URL)
	if err := os.MkdirAll(filepath.Join(s.home, ".aws"), 0o700); err != nil {
		b.Fatal(err)
	}
	cfg := config500() + "[profile bench]\nsource_profile = default\nrole_arn = arn:aws:iam::123456789012:role/bench\n"
	if err := os.WriteFile(filepath.Join(s.home, ".aws", "config"), []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	s.run(b, testKeyID+"\n"+testSecret+"\n", "add", "default")
	s.run(b, "", "exec", "bench", "--", "true") // warm: the sessions are cached now

	truePath, err := exec.LookPath("true")
	if err != nil {
		b.Fatal(err)
	}
	timeRun := func(name string, args ...string) time.Duration {
		cmd := exec.Command(name, args...)
		cmd.Env = s.env
		start := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("%s: %v: %s", name, err, out)
		}
		return time.Since(start)
	}
	var withAwstray, plain []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		withAwstray = append(withAwstray, timeRun(binary(b), "exec", "bench", "--", "true"))
	}
	b.StopTimer()
	for i := 0; i < b.N; i++ {
		plain = append(plain, timeRun(truePath))
	}
	b.ReportMetric(median(withAwstray), "ms-median-awstray-exec")
	b.ReportMetric(median(plain), "ms-median-true")
}

func median(d []time.Duration) float64 {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[len(s)/2]) / float64(time.Millisecond)
}
