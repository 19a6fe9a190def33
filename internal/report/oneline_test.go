package report

import (
	"strings"
	"testing"
)

// TestOneLine: oneLine folds white space exactly as strings.Fields and
// one space between, whatever its fast path skips.
func TestOneLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"sent", "sent"},
		{"a b c", "a b c"},
		{" a", "a"},
		{"a ", "a"},
		{"a  b", "a b"},
		{"a\tb", "a b"},
		{"a\nb\r\n", "a b"},
		{"a\vb\fc", "a b c"},
		{"a\u00a0b", "a b"}, // a no-break space is white space
		{"a\u2028b", "a b"}, // a line separator too
		{"héllo wörld", "héllo wörld"},
		{"   ", ""},
	} {
		if got := oneLine(tc.in); got != tc.want {
			t.Errorf("oneLine(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if old := strings.Join(strings.Fields(tc.in), " "); old != tc.want {
			t.Errorf("the fold of %q by strings.Fields is %q, not %q", tc.in, old, tc.want)
		}
	}
}
