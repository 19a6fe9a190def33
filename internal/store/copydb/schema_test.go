package copydb_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/schema"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// TestCopyCarriesEveryDescribedTable: a copy writes every table of the
// record that package schema describes, and no other (the leases, the
// migrations applied and the chain record are not copied row by row).
func TestCopyCarriesEveryDescribedTable(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	var sides []copydb.DB
	for _, name := range []string{"from.db", "to.db"} {
		s, err := sqlite.Open(ctx, filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		sides = append(sides, s.CopySide())
	}
	counts, err := copydb.Copy(ctx, sides[0], sides[1])
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	for _, tb := range schema.Describe().Tables {
		if tb.Kind == schema.Record {
			want = append(want, tb.Name)
		}
	}
	for table := range counts {
		got = append(got, table)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) || slices.Contains(got, "leases") || len(got) < 12 {
		t.Errorf("a copy wrote the tables %v; want %v", got, want)
	}
}
