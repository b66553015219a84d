package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/awstray/awstray/credentials"
	"github.com/awstray/awstray/credentials/awsconfig"
)

type listInput struct{ json bool }

func newListCmd(app *App) *cobra.Command {
	var in listInput
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List profiles, their kind, stored keys and cached sessions",
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return runList(app, in) },
	}
	cmd.Flags().BoolVar(&in.json, "json", false, "print one JSON object per profile, in an array")
	return cmd
}

// listEntry is one profile in `list --json`.
type listEntry struct {
	Name          string `json:"name"`
	Kind          string `json:"kind"`
	Region        string `json:"region"`
	RoleARN       string `json:"role_arn"`
	SourceProfile string `json:"source_profile"`
	MFASerial     string `json:"mfa_serial"`
	SSOStartURL   string `json:"sso_start_url"`
	SSOSession    string `json:"sso_session"`
	SSOAccountID  string `json:"sso_account_id"`
	SSORoleName   string `json:"sso_role_name"`
	StoredKey     bool   `json:"stored_key"`
	// UnfinishedRotation: a rotate stopped before it finished and keeps the
	// previous key aside; `awstray rotate NAME` finishes it.
	UnfinishedRotation bool `json:"unfinished_rotation"`
	// KeyCreated is when the stored key was created (RFC 3339); null with
	// no stored key, or a key stored before awstray kept the time.
	KeyCreated        *string `json:"key_created"`
	SessionExpiration *string `json:"session_expiration"`
	Error             string  `json:"error,omitempty"`
}

func runList(app *App, in listInput) error {
	cfg, err := app.Config()
	if err != nil {
		return err
	}
	st, err := app.Store()
	if err != nil {
		return err
	}
	now := app.Now()
	state, err := credentials.ReadKeyringState(st, now)
	if err != nil {
		return err
	}
	entries := make([]listEntry, 0, len(cfg.Profiles))
	for _, raw := range cfg.Profiles {
		e := listEntry{Name: raw.Name}
		p, perr := cfg.Profile(raw.Name)
		if perr != nil {
			p = raw
		} else {
			// The whole chain: a source_profile loop or one that does not
			// exist leaves the profile itself valid but unusable.
			_, perr = cfg.Chain(raw.Name)
		}
		if perr != nil {
			e.Error = perr.Error()
		}
		e.Kind = string(p.Kind())
		e.Region = p.Region
		e.RoleARN = p.RoleARN
		e.SourceProfile = p.SourceProfile
		e.MFASerial = p.MFASerial
		e.SSOStartURL, e.SSOSession, e.SSOAccountID, e.SSORoleName = p.SSOStartURL, p.SSOSession, p.SSOAccountID, p.SSORoleName
		if s := cfg.SSOSessions[p.SSOSession]; s != nil && e.SSOStartURL == "" {
			e.SSOStartURL = s.StartURL // the portal the profile signs in to
		}
		ks := state[p.Name]
		e.StoredKey = ks.StoredKey
		e.UnfinishedRotation = ks.UnfinishedRotation
		if !ks.KeyCreated.IsZero() {
			c := ks.KeyCreated.UTC().Format(time.RFC3339)
			e.KeyCreated = &c
		}
		if !ks.SessionExpires.IsZero() {
			s := ks.SessionExpires.UTC().Format(time.RFC3339)
			e.SessionExpiration = &s
		}
		entries = append(entries, e)
	}
	if in.json {
		enc := json.NewEncoder(app.Stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false) // a cycle's "a -> b" stays readable
		return enc.Encode(entries)
	}
	if len(entries) == 0 {
		fmt.Fprintf(app.Stderr, "no profiles in %s; add one with: awstray add NAME\n", cfg.Path)
		return nil
	}
	tw := tabwriter.NewWriter(app.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tKIND\tREGION\tKEY\tSESSION")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Name, e.Kind, dash(e.Region), keyColumn(e), sessionColumn(e, now))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// On stderr, so that scripts reading the table are not thrown.
	for _, e := range entries {
		if e.UnfinishedRotation {
			fmt.Fprintf(app.Stderr, "note: a rotate of %s did not finish and keeps the previous key aside: run awstray rotate %s to finish it\n", e.Name, e.Name)
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func keyColumn(e listEntry) string {
	switch {
	case e.StoredKey:
		return "stored"
	case e.Kind == string(awsconfig.KindUser):
		return "missing"
	}
	return "-"
}

func sessionColumn(e listEntry, now time.Time) string {
	if e.Error != "" {
		return "error: " + e.Error
	}
	if e.SessionExpiration == nil {
		return "-"
	}
	t, _ := time.Parse(time.RFC3339, *e.SessionExpiration)
	return fmt.Sprintf("%s left", formatLeft(t.Sub(now)))
}

// formatLeft shows a time left in whole minutes: 7h59m, 42m.
func formatLeft(d time.Duration) string {
	d = d.Truncate(time.Minute)
	if d < time.Minute {
		return "<1m"
	}
	h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
