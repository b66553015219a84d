package awsconfig

import (
	"fmt"
	"strings"
	"testing"
)

func TestTokenizer(t *testing.T) {
	data := "\ufeff# c\r\n[profile a] ; x\r\nRegion = eu-west-1\r\n\r\n  more\r\ns3 =\r\n  Max = 20\r\n\r\n  ; c\r\nk: v"
	want := []string{
		`1 comment "" "" "" ""`,
		`2 section "profile a" "" "" ""`,
		`3 key "region" "eu-west-1" "" ""`,
		`4 blank "" "" "" ""`,
		`5 continuation "region" "eu-west-1\n\nmore" "" ""`,
		`6 key "s3" "" "" ""`,
		`7 subkey "s3" "\nMax = 20" "max" "20"`,
		`8 blank "" "" "" ""`,
		`9 comment "" "" "" ""`,
		`10 key "k" "v" "" ""`,
	}
	kinds := map[TokenKind]string{TokenBlank: "blank", TokenComment: "comment", TokenSection: "section", TokenKey: "key", TokenContinuation: "continuation", TokenSubKey: "subkey"}
	tz := NewTokenizer("c", []byte(data))
	var got []string
	var joined strings.Builder
	joined.WriteString(data[:len("\ufeff")])
	for tz.Next() {
		tok := tz.Token()
		got = append(got, fmt.Sprintf("%d %s %q %q %q %q", tok.Line, kinds[tok.Kind], tok.Name, tok.Value, tok.SubName, tok.SubValue))
		if tok.Start != joined.Len() {
			t.Fatalf("line %d starts at %d, want %d", tok.Line, tok.Start, joined.Len())
		}
		joined.WriteString(data[tok.Start:tok.End])
	}
	if err := tz.Err(); err != nil {
		t.Fatal(err)
	}
	if joined.String() != data {
		t.Fatalf("the tokens' spans make %q", joined.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// A long section finds duplicates with a map: the same answers.
func TestTokenizerDuplicateInLongSection(t *testing.T) {
	for _, n := range []int{keySetFrom - 1, keySetFrom, keySetFrom + 1, 3 * keySetFrom} {
		for _, dup := range []int{0, n / 2, n - 1} {
			var b strings.Builder
			b.WriteString("[a]\n")
			for i := range n {
				fmt.Fprintf(&b, "k%d = v\n", i)
			}
			fmt.Fprintf(&b, "[b]\nk%d = v\n", dup) // a new section starts afresh
			fmt.Fprintf(&b, "K%d = v\n", dup)
			tz := NewTokenizer("c", []byte(b.String()))
			for tz.Next() {
			}
			want := fmt.Sprintf(`c:%d: duplicate key "k%d"`, n+4, dup)
			if err := tz.Err(); err == nil || err.Error() != want {
				t.Errorf("%d keys, k%d twice: %v, want %s", n, dup, err, want)
			}
		}
	}
}
