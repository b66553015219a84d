// Package launcher is what `awstray exec` and `export` need on their hot
// path: the credential environment of a command (CredentialEnv,
// ServerEnv), running it in place of this process or as a child with
// forwarded signals (Replace, Run), and credentials formatted as export
// lines for each shell. The desktop machinery — dialogs, terminals, the
// browser, the clipboard — lives under desktop/ and imports this package,
// never the other way round: what imports launcher links none of them.
package launcher

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Vars are the values export lines carry. Keep them out of logs.
type Vars struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string    // "" for a long-term key
	Expires         time.Time // zero for a long-term key
	Profile         string    // the ini section name
}

// Formats lists the export formats, the first being the default.
var Formats = []string{"env", "env-no-export", "fish", "powershell", "windows-cmd", "process", "ini"}

// FormatDescriptions says what each format is, for --help.
var FormatDescriptions = map[string]string{
	"env":           "export lines for sh, bash and zsh",
	"env-no-export": "plain NAME=value lines for sh",
	"fish":          "set -gx lines for fish",
	"powershell":    "$Env: lines for PowerShell",
	"windows-cmd":   "set lines for cmd.exe",
	"process":       "credential_process JSON",
	"ini":           "a section for ~/.aws/credentials",
}

// FormatForShell picks the export format of a shell by its path or name
// ($SHELL), "env" when it is not known.
func FormatForShell(shell string) string {
	name := shell
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".exe")
	switch name {
	case "fish":
		return "fish"
	case "pwsh", "powershell":
		return "powershell"
	case "cmd":
		return "windows-cmd"
	}
	return "env"
}

// isoExpiry formats an expiry as the AWS CLI does (Python's isoformat of a
// UTC time): 2026-11-27T12:00:00+00:00.
func isoExpiry(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05") + "+00:00"
}

// Export renders v in format. The line formats match
// `aws configure export-credentials --format F` for every value AWS issues,
// and quote anything else safely for their shell.
func Export(format string, v Vars) (string, error) {
	type kv struct{ k, v string }
	vars := []kv{{"AWS_ACCESS_KEY_ID", v.AccessKeyID}, {"AWS_SECRET_ACCESS_KEY", v.SecretAccessKey}}
	if v.SessionToken != "" {
		vars = append(vars, kv{"AWS_SESSION_TOKEN", v.SessionToken})
	}
	if !v.Expires.IsZero() {
		vars = append(vars, kv{"AWS_CREDENTIAL_EXPIRATION", isoExpiry(v.Expires)})
	}
	var b strings.Builder
	switch format {
	case "env", "env-no-export":
		prefix := "export "
		if format == "env-no-export" {
			prefix = ""
		}
		for _, e := range vars {
			fmt.Fprintf(&b, "%s%s=%s\n", prefix, e.k, QuotePOSIX(e.v))
		}
	case "fish":
		for _, e := range vars {
			fmt.Fprintf(&b, "set -gx %s %s\n", e.k, quoteFish(e.v))
		}
	case "powershell":
		for _, e := range vars {
			fmt.Fprintf(&b, "$Env:%s=%s\n", e.k, quotePowerShell(e.v))
		}
	case "windows-cmd":
		for _, e := range vars {
			line, err := cmdSet(e.k, e.v)
			if err != nil {
				return "", err
			}
			b.WriteString(line + "\n")
		}
	case "process":
		return ProcessJSON(v), nil
	case "ini":
		section := v.Profile
		if section == "" {
			section = "default"
		}
		if strings.ContainsAny(section, "[]\r\n") || strings.ContainsAny(v.AccessKeyID+v.SecretAccessKey+v.SessionToken, "\r\n") {
			return "", fmt.Errorf("the credentials cannot be written as ini")
		}
		fmt.Fprintf(&b, "[%s]\n", section)
		fmt.Fprintf(&b, "aws_access_key_id = %s\n", v.AccessKeyID)
		fmt.Fprintf(&b, "aws_secret_access_key = %s\n", v.SecretAccessKey)
		if v.SessionToken != "" {
			fmt.Fprintf(&b, "aws_session_token = %s\n", v.SessionToken)
		}
	default:
		return "", fmt.Errorf("unknown export format %q (one of %s)", format, strings.Join(Formats, ", "))
	}
	return b.String(), nil
}

// ProcessJSON renders the credential_process JSON as the AWS CLI prints it:
// two-space indent, Version first.
func ProcessJSON(v Vars) string {
	var b strings.Builder
	b.WriteString("{\n  \"Version\": 1,\n")
	fmt.Fprintf(&b, "  \"AccessKeyId\": %s,\n", jsonString(v.AccessKeyID))
	fmt.Fprintf(&b, "  \"SecretAccessKey\": %s", jsonString(v.SecretAccessKey))
	if v.SessionToken != "" {
		fmt.Fprintf(&b, ",\n  \"SessionToken\": %s", jsonString(v.SessionToken))
	}
	if !v.Expires.IsZero() {
		fmt.Fprintf(&b, ",\n  \"Expiration\": %s", jsonString(isoExpiry(v.Expires)))
	}
	b.WriteString("\n}\n")
	return b.String()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s) // a string always marshals
	return string(b)
}

// posixSafe reports whether s needs no quoting in a POSIX shell.
func posixSafe(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_@%+=:,./-", r)) {
			return false
		}
	}
	return true
}

// QuotePOSIX leaves values that need no quoting as they are (as the AWS CLI
// prints them) and single-quotes the rest.
func QuotePOSIX(s string) string {
	if posixSafe(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteFish double-quotes like the AWS CLI unless the value holds
// something fish expands there; then single quotes with fish's escapes.
func quoteFish(s string) string {
	if !strings.ContainsAny(s, "\"$\\'\n") {
		return `"` + s + `"`
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// quotePowerShell double-quotes like the AWS CLI unless the value holds
// something PowerShell expands there; then a verbatim single-quoted string.
func quotePowerShell(s string) string {
	if !strings.ContainsAny(s, "\"$`'\u2018\u2019\u201a\u201b\u201c\u201d\u201e") {
		return `"` + s + `"`
	}
	return "'" + strings.NewReplacer("'", "''", "\u2018", "\u2018\u2018", "\u2019", "\u2019\u2019", "\u201a", "\u201a\u201a", "\u201b", "\u201b\u201b").Replace(s) + "'"
}

// cmdSet writes a cmd.exe set line; values cmd cannot carry safely are an
// error rather than a line that runs something else.
func cmdSet(name, value string) (string, error) {
	if strings.ContainsAny(value, "\"%!\r\n") {
		return "", fmt.Errorf("the value of %s cannot be written safely for cmd.exe", name)
	}
	if strings.ContainsAny(value, "&|<>^() ") {
		return `set "` + name + "=" + value + `"`, nil
	}
	return "set " + name + "=" + value, nil
}
