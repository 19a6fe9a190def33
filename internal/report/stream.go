package report

import (
	"encoding/json"
	"io"
	"unicode/utf8"
)

// TablePrefix is how many rows a streamed table holds to size its
// columns; later rows get the same widths (a longer cell pushes the rest
// of its line, or is cut with "…" on a terminal).
const TablePrefix = 1000

// Table prints rows as aligned columns as they come, as text/tabwriter
// does with two spaces between columns, but holding only a bounded
// prefix: the column widths are those of the header and the first
// TablePrefix rows. With Width > 0 (a terminal that wide), the columns
// listed in Shrink (widest first) are narrowed to fit, and their cells
// cut with "…".
type Table struct {
	w      io.Writer
	Width  int
	Shrink []int
	width  []int
	buf    []byte // a line, reused
}

// NewTable returns a table that writes to w, width wide (0: any).
func NewTable(w io.Writer, width int, shrink ...int) *Table {
	return &Table{w: w, Width: width, Shrink: shrink}
}

// Begin sizes the columns from the header and the held rows (at most
// TablePrefix), and prints them.
func (t *Table) Begin(header []string, rows [][]string) error {
	t.width = make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			t.width[i] = max(t.width[i], utf8.RuneCountInString(c))
		}
	}
	t.fit()
	if err := t.line(header); err != nil {
		return err
	}
	for _, r := range rows {
		if err := t.line(r); err != nil {
			return err
		}
	}
	return nil
}

// Row prints one row after Begin.
func (t *Table) Row(cells []string) error { return t.line(cells) }

// fit narrows the Shrink columns, widest first, until the line fits
// Width (none narrower than 8).
func (t *Table) fit() {
	if t.Width <= 0 {
		return
	}
	total := func() int {
		n := 0
		for i, w := range t.width {
			n += w
			if i < len(t.width)-1 {
				n += 2
			}
		}
		return n
	}
	for over := total() - t.Width; over > 0; over = total() - t.Width {
		widest := -1
		for _, i := range t.Shrink {
			if t.width[i] > 8 && (widest < 0 || t.width[i] > t.width[widest]) {
				widest = i
			}
		}
		if widest < 0 {
			return
		}
		t.width[widest] -= min(over, t.width[widest]-8)
	}
}

func (t *Table) line(cells []string) error {
	b := t.buf[:0]
	for i, c := range cells {
		n := utf8.RuneCountInString(c)
		if t.Width > 0 && n > t.width[i] {
			c, n = cut(c, t.width[i]), t.width[i]
		}
		b = append(b, c...)
		if i < len(cells)-1 {
			for range max(t.width[i]-n, 0) + 2 {
				b = append(b, ' ')
			}
		}
	}
	// An empty last cell leaves no padding at the end of the line.
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	t.buf = append(b, '\n')
	_, err := t.w.Write(t.buf)
	return err
}

// cut shortens s to n characters, the last one "…".
func cut(s string, n int) string {
	if n < 1 {
		return ""
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + "…"
}

// JSONArray writes one JSON array as a stream, element by element, laid
// out as writeJSON lays out a slice.
type JSONArray struct {
	w io.Writer
	n int
}

// NewJSONArray starts an array on w.
func NewJSONArray(w io.Writer) *JSONArray { return &JSONArray{w: w} }

// Add writes one element.
func (a *JSONArray) Add(v any) error {
	b, err := json.MarshalIndent(v, "  ", "  ")
	if err != nil {
		return err
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	_, err = io.WriteString(a.w, sep+string(b))
	return err
}

// Close ends the array.
func (a *JSONArray) Close() error {
	end := "\n]\n"
	if a.n == 0 {
		end = "[]\n"
	}
	_, err := io.WriteString(a.w, end)
	return err
}
