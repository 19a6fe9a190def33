package sqlstore

import "testing"

// TestGlobLike: LIKE's own % and _ (and the escape \) match themselves,
// the glob's wildcards become LIKE's, and a class one character, so that
// the LIKE pattern selects at least what the glob does.
func TestGlobLike(t *testing.T) {
	for _, c := range []struct{ glob, want string }{
		{"sp-api-*", "sp-api-%"},
		{"sp-api-?", "sp-api-_"},
		{"al%*", `al\%%`},
		{"al_?", `al\__`},
		{`a\b`, `ab`},
		{`a\*`, `a*`},
		{`a\\*`, `a\\%`},
		{"[a-c]*", "_%"},
		{"x[^ab]y", "x_y"},
		{"x[]a]y", "x_y"},
		{`x[\]]y`, "x_y"},
	} {
		if got := GlobLike(c.glob); got != c.want {
			t.Errorf("GlobLike(%q) = %q, want %q", c.glob, got, c.want)
		}
	}
}
