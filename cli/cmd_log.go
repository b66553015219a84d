package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/agent"
	"github.com/awstray/awstray/internal/usage"
	"github.com/awstray/awstray/settings"
	"github.com/awstray/awstray/tray"
)

type logInput struct {
	json    bool
	since   time.Duration
	profile string
}

func newLogCmd(app *App) *cobra.Command {
	var in logInput
	cmd := &cobra.Command{
		Use:   "log [--json] [--since 1h] [--profile P]",
		Short: "Print the usage record: which program got which profile's credentials",
		Long: `Print what the tray delivered: the time, profile, operation (exec, export,
credential-process, server, console), the asking process (pid, executable,
its parent's executable), the program exec ran (its name only) and the
outcome (served, denied, locked, error). From the running tray, or from the
record file when no tray runs. The record holds no secret.`,
		Example: "  awstray log --since 1h\n  awstray log --profile prod --json",
		Args:    cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return runLog(app, in)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&in.json, "json", false, "print one JSON object per line")
	f.Var(durationFlag{&in.since}, "since", "only the records of this last while, e.g. 1h or 7d (default: all)")
	f.StringVar(&in.profile, "profile", "", "only the records of this profile")
	return cmd
}

// durationFlag is a flag written as a Go duration or a whole number of
// days ("7d"), read as the settings read key_max_age: a week of records is
// asked for as people say it.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) Set(s string) error {
	var d settings.Duration
	if err := d.UnmarshalText([]byte(s)); err != nil {
		return err
	}
	*f.d = d.Duration
	return nil
}

func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0" // pflag's zero: no "(default …)" in the help
	}
	return settings.ShortDuration(*f.d)
}

func (f durationFlag) Type() string { return "duration" }

func (in logInput) validate() error {
	if in.since < 0 {
		return fmt.Errorf("--since %s is negative", in.since)
	}
	return nil
}

func runLog(app *App, in logInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	recs, err := app.usageRecords()
	if err != nil {
		return err
	}
	var since time.Time
	if in.since > 0 {
		since = app.Now().Add(-in.since)
	}
	recs = usage.Filter(recs, since, in.profile)
	var b strings.Builder
	for _, r := range recs {
		if in.json {
			line, err := json.Marshal(r)
			if err != nil {
				return fmt.Errorf("encoding a record: %w", err)
			}
			b.Write(line)
			b.WriteByte('\n')
			continue
		}
		b.WriteString(logLine(r))
	}
	_, err = fmt.Fprint(app.Stdout, b.String())
	return err
}

// usageRecords asks the running tray, else reads the record file.
func (a *App) usageRecords() ([]usage.Record, error) {
	path, err := "", error(nil)
	if a.Getenv("AWSTRAY_NO_AGENT") == "" {
		if path, err = a.agentSocket(); err != nil {
			return nil, err
		}
	}
	if path != "" {
		if cl, err := agent.Dial(path, agentDialTimeout); err == nil {
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			recs, err := cl.Usage(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading the usage record from the tray: %w", err)
			}
			return recs, nil
		}
	}
	file := tray.UsagePath(a.Getenv)
	if file == "" {
		return nil, errors.New("reading the usage record: no state folder (set XDG_STATE_HOME or HOME)")
	}
	recs, err := usage.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil // nothing delivered yet
	}
	if err != nil {
		return nil, fmt.Errorf("reading the usage record: %w", err)
	}
	return recs, nil
}

// logLine is one record for people.
func logLine(r usage.Record) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s  %-8s  %-18s  %-7s", r.Time.Local().Format("2006-01-02 15:04:05"), r.Profile, r.Op, r.Outcome)
	if r.PID > 0 {
		fmt.Fprintf(&b, "  pid %d", r.PID)
	}
	if r.Exe != "" {
		fmt.Fprintf(&b, " %s", filepath.Base(r.Exe))
	}
	if r.ParentExe != "" {
		fmt.Fprintf(&b, " (from %s)", r.ParentExe)
	}
	if r.Program != "" {
		fmt.Fprintf(&b, "  runs %s", r.Program)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "  %s", r.Error)
	}
	b.WriteByte('\n')
	return b.String()
}
