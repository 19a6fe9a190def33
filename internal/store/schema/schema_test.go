package schema_test

import (
	"slices"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

// TestDescriptionHoldsTogether: names are unique, every key and index
// names columns its table has, and a numbered table's key is one integer.
// (schematest.Check, run by the sqlite and postgres packages, checks the
// description against migrated databases.)
func TestDescriptionHoldsTogether(t *testing.T) {
	s := schema.Describe()
	names := map[string]bool{}
	unique := func(kind, name string) {
		if names[name] {
			t.Errorf("%s %s: the name is taken twice", kind, name)
		}
		names[name] = true
	}
	hasColumns := func(what string, tb schema.Table, cols []string) {
		if len(cols) == 0 {
			t.Errorf("%s: no columns", what)
		}
		for _, c := range cols {
			if _, ok := tb.Column(c); !ok {
				t.Errorf("%s: table %s has no column %s", what, tb.Name, c)
			}
		}
	}
	for _, tb := range s.Tables {
		unique("table", tb.Name)
		cols := map[string]bool{}
		for _, c := range tb.Columns {
			if cols[c.Name] || c.Type == 0 {
				t.Errorf("table %s, column %q: named twice or without a type", tb.Name, c.Name)
			}
			cols[c.Name] = true
			if c.Null && slices.Contains(tb.Key, c.Name) {
				t.Errorf("table %s, column %s: a key column allows NULL", tb.Name, c.Name)
			}
		}
		if tb.Key != nil {
			hasColumns("table "+tb.Name+"'s key", tb, tb.Key)
		}
		for _, k := range tb.Unique {
			hasColumns("table "+tb.Name+"'s unique key", tb, k)
		}
		if tb.Identity {
			if c, _ := tb.Column(tb.Key[0]); len(tb.Key) != 1 || c.Type != schema.Integer {
				t.Errorf("table %s: numbers its rows, but its key %v is not one integer", tb.Name, tb.Key)
			}
		}
	}
	for _, ix := range s.Indexes {
		unique("index", ix.Name)
		tb, ok := s.Table(ix.Table)
		if !ok {
			t.Errorf("index %s: no table %s", ix.Name, ix.Table)
			continue
		}
		hasColumns("index "+ix.Name, tb, ix.Columns)
		if (ix.Only != 0) != (ix.Note != "") {
			t.Errorf("index %s: on one backend only (%v) must say why, and only then", ix.Name, ix.Only)
		}
	}
	for _, v := range s.Views {
		unique("view", v.Name)
		if len(v.Columns) == 0 {
			t.Errorf("view %s: no columns", v.Name)
		}
	}
}

// TestFor: a backend's schema keeps the indexes only it has, and SQLite's
// tables refuse no TRUNCATE, which SQLite has not.
func TestFor(t *testing.T) {
	all := schema.Describe()
	for _, b := range []schema.Backend{schema.SQLite, schema.Postgres} {
		s := all.For(b)
		for _, ix := range all.Indexes {
			has := slices.ContainsFunc(s.Indexes, func(i schema.Index) bool { return i.Name == ix.Name })
			if want := ix.Only == 0 || ix.Only == b; has != want {
				t.Errorf("%v: index %s kept %v, want %v", b, ix.Name, has, want)
			}
		}
		events, _ := s.Table("events")
		want := schema.AppendOnly
		if b == schema.SQLite {
			want = schema.RefuseUpdate | schema.RefuseDelete
		}
		if events.Refuses != want {
			t.Errorf("%v: events refuse %b, want %b", b, events.Refuses, want)
		}
	}
	if got := all.Tables[0].ColumnNames()[:3]; !slices.Equal(got, []string{"id", "name", "owner"}) {
		t.Errorf("credentials' first columns = %v", got)
	}
}
