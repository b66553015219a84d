package ecs_test

import (
	"context"
	"os"
	"os/exec"
	"time"

	"github.com/awstray/awstray/agent/ecs"
	"github.com/awstray/awstray/credentials"
)

// The child's SDK fetches credentials from the endpoint and asks again
// before they expire; the endpoint lives as long as the child.
func Example() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var source ecs.Source = func(ctx context.Context) (credentials.Credentials, error) {
		return credentials.Credentials{}, nil // the agent's current session, renewed by the agent
	}
	srv, err := ecs.Start(ctx, source, ecs.Options{MaxLifetime: 20 * time.Minute})
	if err != nil {
		return
	}
	defer srv.Close()

	cmd := exec.CommandContext(ctx, "aws", "sts", "get-caller-identity")
	cmd.Env = srv.Environ(os.Environ())
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	_ = cmd.Run()
}
