package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/internal/doctor"
)

type doctorInput struct{ json bool }

func newDoctorCmd(app *App) *cobra.Command {
	var in doctorInput
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Check the keyring, tray host, tools, config, agent and clock; exit 1 on a failure",
		Long: `doctor checks what awstray needs, one line per check — ok, warn or fail,
with the fix: the keyring backend (and why it was chosen), the tray host,
the notification server, the clipboard, dialog and terminal programs, the
settings and AWS config files, the running tray, the clock against STS,
and each profile's credential source. It reads only: nothing is stored,
no prompt is shown and no secret is read or printed. The exit status is
1 when a check fails, else 0.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return runDoctor(app, in) },
	}
	cmd.Flags().BoolVar(&in.json, "json", false, "print the checks as a JSON array of {check, status, detail, fix}")
	return cmd
}

func runDoctor(app *App, in doctorInput) error {
	results := doctor.Run(context.Background(), doctor.Env{Getenv: app.Getenv, Now: app.Now})
	if in.json {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			return err
		}
	} else if _, err := fmt.Fprint(app.Stdout, formatDoctor(results)); err != nil {
		return err
	}
	if doctor.Failed(results) {
		return &exitError{code: 1}
	}
	return nil
}

// formatDoctor lines the results up: status, check, then the detail and
// the fix after a colon.
func formatDoctor(results []doctor.Result) string {
	width := 0
	for _, r := range results {
		width = max(width, len(r.Check))
	}
	var b strings.Builder
	for _, r := range results {
		line := fmt.Sprintf("%-5s %-*s %s", r.Status, width, r.Check, r.Detail)
		if r.Fix != "" {
			line += ": " + r.Fix
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}
