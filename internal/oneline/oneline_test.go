package oneline

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "no such profile", "no such profile"},
		{"lines and tabs", " a\n b\t\tc \r\n", "a b c"},
		{"control characters", "evil\x1b[2Jtitle\x7f!", "evil [2Jtitle !"},
		{"unicode space", "a\u00a0\u2028b", "a b"},
		{"empty", "\n\t ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := String(tc.in); got != tc.want {
				t.Fatalf("String(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMax(t *testing.T) {
	long := strings.Repeat("é", 10) // 20 bytes
	for _, tc := range []struct {
		name, in string
		n        int
		want     string
	}{
		{"short", "a\nb", 10, "a b"},
		{"exactly n", "abcd", 4, "abcd"},
		{"cut at a character boundary", long, 9, strings.Repeat("é", 4) + "…"},
		{"cut after flattening", "a\n\n\nb" + long, 4, "a bé"[:3] + "…"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Max(tc.in, tc.n); got != tc.want {
				t.Fatalf("Max(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
			}
		})
	}
}
