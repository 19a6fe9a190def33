package domain

import "testing"

// TestGlobLike: the LIKE pattern of a glob escapes LIKE's own
// metacharacters and turns the glob's into LIKE's (a class into one
// character: more, never less).
func TestGlobLike(t *testing.T) {
	for _, c := range []struct{ glob, like string }{
		{"pay-*", "pay-%"},
		{"pay?1", "pay_1"},
		{"pay_1", `pay\_1`},
		{"a%b", `a\%b`},
		{`a\\b`, `a\\b`},
		{`\[x]*`, `[x]%`},
		{"pay[xy]1", "pay_1"},
		{"pay[^x]*", "pay_%"},
		{`pay[\]]1`, "pay_1"},
		{"sp-api-*", "sp-api-%"},
		{"al%*", `al\%%`},
		{"al_?", `al\__`},
		{`a\b`, `ab`},
		{`a\*`, `a*`},
		{`a\\*`, `a\\%`},
		{"[a-c]*", "_%"},
	} {
		if got := GlobLike(c.glob); got != c.like {
			t.Errorf("GlobLike(%q) = %q, want %q", c.glob, got, c.like)
		}
	}
}
