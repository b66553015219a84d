//go:build linux

package dialog

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/awstray/awstray/desktop/internal/desktoptest"
)

// inAnyProcess lists the processes whose arguments or environment hold s.
func inAnyProcess(t *testing.T, s string) []string {
	t.Helper()
	files, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	envs, _ := filepath.Glob("/proc/[0-9]*/environ")
	var found []string
	for _, f := range append(files, envs...) {
		if b, err := os.ReadFile(f); err == nil && strings.Contains(string(b), s) {
			found = append(found, f)
		}
	}
	return found
}

type dialogResult struct {
	s   string
	err error
}

func TestZenityUnderXvfb(t *testing.T) {
	desktoptest.Need(t, "Xvfb", "zenity", "xdotool")
	desktoptest.InX(t)
	p := &Prompter{Tool: ToolZenity, Timeout: 30 * time.Second}
	ctx := desktoptest.Context(t)

	// ask shows a dialog in the background, waits for its window, focuses
	// it and types; the answer comes when the test presses a key.
	ask := func(t *testing.T, title string, typed string, f func() (string, error)) (string, chan dialogResult) {
		t.Helper()
		res := make(chan dialogResult, 1)
		go func() {
			s, err := f()
			res <- dialogResult{s, err}
		}()
		win := desktoptest.WaitWindow(t, title)
		desktoptest.Xdo(t, "", "windowfocus", "--sync", win)
		if typed != "" {
			desktoptest.Xdo(t, typed, "type", "--delay", "2", "--file", "-") // stdin: not in xdotool's argv either
		}
		return win, res
	}
	finish := func(t *testing.T, key string, res chan dialogResult) dialogResult {
		t.Helper()
		desktoptest.Xdo(t, "", "key", key)
		select {
		case r := <-res:
			return r
		case <-time.After(15 * time.Second):
			t.Fatal("the dialog did not return after " + key)
			return dialogResult{}
		}
	}

	t.Run("mfa code", func(t *testing.T) {
		const code = "73915482"
		_, res := ask(t, "awstray: MFA code for xvfb-prod", code, func() (string, error) {
			return p.MFACode(ctx, "xvfb-prod", "arn:aws:iam::111111111111:mfa/me", "MultiFactorAuthentication failed with invalid MFA one time pass code.")
		})
		if found := inAnyProcess(t, code); len(found) > 0 {
			t.Errorf("the typed code is in %v while the dialog is open", found)
		}
		r := finish(t, "Return", res)
		if r.err != nil || r.s != code {
			t.Fatalf("MFACode = %q, %v; want %s", r.s, r.err, code)
		}
	})

	t.Run("secret", func(t *testing.T) {
		const secret = "S3cret/Key+with spaces=XYZ"
		_, res := ask(t, "awstray: secret", secret, func() (string, error) {
			return p.Secret(ctx, "awstray: secret", "Secret access key for_work")
		})
		if found := inAnyProcess(t, "S3cret/Key"); len(found) > 0 {
			t.Errorf("the typed secret is in %v while the dialog is open", found)
		}
		r := finish(t, "Return", res)
		if r.err != nil || r.s != secret {
			t.Fatalf("Secret = %q, %v", r.s, r.err)
		}
	})

	t.Run("initial text", func(t *testing.T) {
		_, res := ask(t, "awstray: region", "", func() (string, error) {
			return p.Text(ctx, "awstray: region", "Region", "eu-west-1")
		})
		if r := finish(t, "Return", res); r.err != nil || r.s != "eu-west-1" {
			t.Fatalf("Text = %q, %v", r.s, r.err)
		}
	})

	t.Run("escape cancels", func(t *testing.T) {
		_, res := ask(t, "awstray: MFA code for esc", "123", func() (string, error) {
			return p.MFACode(ctx, "esc", "", "")
		})
		if r := finish(t, "Escape", res); !errors.Is(r.err, ErrCancelled) {
			t.Fatalf("MFACode = %q, %v; want ErrCancelled", r.s, r.err)
		}
	})

	t.Run("confirm", func(t *testing.T) {
		_, res := ask(t, "awstray: remove", "", func() (string, error) {
			ok, err := p.Confirm(ctx, "awstray: remove", "Remove the key of <b>work</b> & its sessions?")
			if ok {
				return "yes", err
			}
			return "no", err
		})
		if r := finish(t, "Return", res); r.err != nil || r.s != "yes" {
			t.Fatalf("Confirm = %q, %v", r.s, r.err)
		}
		_, res = ask(t, "awstray: remove", "", func() (string, error) {
			ok, err := p.Confirm(ctx, "awstray: remove", "Remove?")
			if ok {
				return "yes", err
			}
			return "no", err
		})
		if r := finish(t, "Escape", res); r.err != nil || r.s != "no" {
			t.Fatalf("Confirm = %q, %v", r.s, r.err)
		}
	})

	desktoptest.WaitNoLeftover(t, "zenity")
}
