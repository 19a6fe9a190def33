package report

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Names, owners, actors and notes come from operators, from --note and
// --by, and from services' answers, so they can carry terminal escape
// sequences (a note that clears the screen or recolours the rows after it),
// bidirectional overrides that display text in another order than it is
// stored (the Trojan Source attack), or spreadsheet formulas. The table and
// CSV outputs, which people read, neutralise them; JSON stays exact.

// Escape shows every control character, every invalid UTF-8 byte and
// every bidirectional override, isolate and mark as a visible escape:
// \t \n \r, \x1b for the other C0 controls, DEL and invalid bytes, \u202e
// for C1 controls, the bidi characters and the line and paragraph
// separators. Everything else, backslashes included, is kept as it is.
func Escape(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case UnsafeRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// clean reports whether Escape would leave s as it is: the common case,
// checked without allocating.
func clean(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return asciiFree(s[i:])
		}
	}
	return true
}

// asciiFree checks the rest of a string that is not plain printable ASCII.
func asciiFree(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || r < 0x20 || r == 0x7f || UnsafeRune(r) {
			return false
		}
		i += size
	}
	return true
}

// unsafeRune is a non-ASCII rune Escape shows as \uXXXX: a C1 control
// (U+0080–U+009F; U+009B is a terminal's CSI), a bidirectional mark,
// embedding, override or isolate, or a line or paragraph separator.
func UnsafeRune(r rune) bool {
	switch {
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c, r == 0x200e, r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	case r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// TableCell is a cell of a table: escaped, and "-" when empty.
func TableCell(s string) string {
	if s == "" {
		return "-"
	}
	return Escape(s)
}

// numberRE is a plain decimal number: a cell like -3 or +1.5e3 is data, not
// a formula, and keeps its sign.
var numberRE = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$`)

// CSVCell is a CSV cell that a spreadsheet shows as text: escaped as
// Escape does, and prefixed with ' when it starts with =, +, -, @, a
// tab or a carriage return (OWASP's CSV injection advice), unless it is a
// number.
func CSVCell(s string) string {
	out := Escape(s)
	if s == "" {
		return out
	}
	switch s[0] {
	case '+', '-':
		if numberRE.MatchString(s) {
			return out
		}
		return "'" + out
	case '=', '@', '\t', '\r':
		return "'" + out
	}
	return out
}
