package agent

import (
	"context"
	"testing"
	"time"
)

// BenchmarkClientCredentials is what `awstray exec` adds through the
// agent: dial, one credentials request, close.
func BenchmarkClientCredentials(b *testing.B) {
	s := startServer(b, "", newFakeBackend())
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c, err := Dial(s.path, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Credentials(ctx, "dev", true); err != nil {
			b.Fatal(err)
		}
		_ = c.Close()
	}
}

// BenchmarkRequest is one credentials request on an open connection.
func BenchmarkRequest(b *testing.B) {
	s := startServer(b, "", newFakeBackend())
	c := s.dial(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Credentials(ctx, "dev", false); err != nil {
			b.Fatal(err)
		}
	}
}
