// Package schematest checks a migrated database against the schema's
// Go description, for the tests of each backend: tables, columns (order,
// name, type, nullability), keys, indexes, views and the triggers that
// refuse changes. Each difference is one test error naming the table,
// column, index or view.
package schematest

import (
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

// found is a database's schema as its catalog says it.
type found struct {
	tables  map[string]*foundTable
	indexes map[string]foundIndex
	views   map[string][]string
}

type foundTable struct {
	columns  []foundColumn
	key      []string
	unique   [][]string // sorted by their columns joined
	identity bool
	checked  map[string]bool // SQLite: columns with CHECK (c IN (0, 1))
	refuses  schema.Guard
}

type foundColumn struct {
	name     string
	declared string // the type as the catalog spells it
	null     bool
}

type foundIndex struct {
	table   string
	columns []string
	unique  bool
	where   string // as the catalog spells it
}

// Check migrates nothing: db must be a freshly migrated database of
// backend b. It reports every difference from schema.Describe().For(b).
func Check(t testing.TB, db *sql.DB, b schema.Backend) {
	t.Helper()
	var f found
	var err error
	switch b {
	case schema.SQLite:
		f, err = readSQLite(t, db)
	case schema.Postgres:
		f, err = readPostgres(t, db)
	default:
		t.Fatalf("schema check: no backend %v", b)
	}
	if err != nil {
		t.Fatalf("schema check on %v: %v", b, err)
	}
	for _, problem := range compare(schema.Describe().For(b), f, b) {
		t.Errorf("schema on %v: %s", b, problem)
	}
}

// compare lists the differences between the description and a database.
func compare(want schema.Schema, f found, b schema.Backend) []string {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	described := map[string]bool{}
	for _, tb := range want.Tables {
		described[tb.Name] = true
		got, ok := f.tables[tb.Name]
		if !ok {
			bad("table %s: described, missing from the database", tb.Name)
			continue
		}
		for i := range max(len(tb.Columns), len(got.columns)) {
			switch {
			case i >= len(got.columns):
				bad("table %s, column %d %s: described, missing from the database", tb.Name, i+1, tb.Columns[i].Name)
				continue
			case i >= len(tb.Columns):
				bad("table %s, column %d %s: in the database, not in the description", tb.Name, i+1, got.columns[i].name)
				continue
			}
			c, g := tb.Columns[i], got.columns[i]
			if c.Name != g.name {
				bad("table %s, column %d: the database has %s, the description %s", tb.Name, i+1, g.name, c.Name)
				continue
			}
			if !slices.Contains(typeClasses(b, g.declared), c.Type) {
				bad("table %s, column %s: declared %s in the database, %v in the description", tb.Name, c.Name, g.declared, c.Type)
			}
			if c.Type == schema.Bool && b == schema.SQLite && !got.checked[c.Name] {
				bad("table %s, column %s: a bool without CHECK (%s IN (0, 1))", tb.Name, c.Name, c.Name)
			}
			// A key column is never NULL (SQLite's rowid, or its STRICT key), whatever its declaration says.
			null := g.null && !slices.Contains(got.key, g.name)
			if c.Null != null {
				bad("table %s, column %s: %s in the database, %s in the description", tb.Name, c.Name, nullity(null), nullity(c.Null))
			}
		}
		if !slices.Equal(tb.Key, got.key) {
			bad("table %s: primary key %v in the database, %v in the description", tb.Name, got.key, tb.Key)
		}
		if wantUnique := sortedKeys(tb.Unique); !slices.EqualFunc(wantUnique, got.unique, slices.Equal) {
			bad("table %s: unique keys %v in the database, %v in the description", tb.Name, got.unique, wantUnique)
		}
		switch {
		case tb.Identity && !got.identity:
			bad("table %s: described as numbering its rows, the database does not", tb.Name)
		case !tb.Identity && got.identity && b != schema.SQLite:
			// SQLite numbers the rows of every INTEGER PRIMARY KEY, described or not.
			bad("table %s: the database numbers its rows, the description does not say so", tb.Name)
		}
		if tb.Refuses != got.refuses {
			bad("table %s: triggers refuse %s in the database, %s in the description", tb.Name, guards(got.refuses), guards(tb.Refuses))
		}
	}
	for _, name := range sortedNames(f.tables) {
		if !described[name] {
			bad("table %s: in the database, not in the description", name)
		}
	}

	describedIndex := map[string]bool{}
	for _, ix := range want.Indexes {
		describedIndex[ix.Name] = true
		got, ok := f.indexes[ix.Name]
		if !ok {
			bad("index %s on %s: described, missing from the database", ix.Name, ix.Table)
			continue
		}
		if got.table != ix.Table || !slices.Equal(got.columns, ix.Columns) {
			bad("index %s: on %s %v in the database, on %s %v in the description", ix.Name, got.table, got.columns, ix.Table, ix.Columns)
		}
		if got.unique != ix.Unique {
			bad("index %s: unique %v in the database, %v in the description", ix.Name, got.unique, ix.Unique)
		}
		tb, _ := want.Table(ix.Table)
		if w, g := predicate(ix.Where, tb), predicate(got.where, tb); w != g {
			bad("index %s: WHERE %q in the database, %q in the description", ix.Name, got.where, ix.Where)
		}
	}
	for _, name := range sortedNames(f.indexes) {
		if !describedIndex[name] {
			bad("index %s on %s: in the database, not in the description", name, f.indexes[name].table)
		}
	}

	describedView := map[string]bool{}
	for _, v := range want.Views {
		describedView[v.Name] = true
		got, ok := f.views[v.Name]
		switch {
		case !ok:
			bad("view %s: described, missing from the database", v.Name)
		case !slices.Equal(got, v.Columns):
			bad("view %s: columns %v in the database, %v in the description", v.Name, got, v.Columns)
		}
	}
	for _, name := range sortedNames(f.views) {
		if !describedView[name] {
			bad("view %s: in the database, not in the description", name)
		}
	}
	return problems
}

// typeClasses are the portable types a declared type can hold. SQLite
// cannot tell a time from text, nor a bool from an integer, by its
// declaration (Check asks a bool for its CHECK).
func typeClasses(b schema.Backend, declared string) []schema.Type {
	d := strings.ToLower(declared)
	if b == schema.SQLite {
		switch d {
		case "integer":
			return []schema.Type{schema.Integer, schema.Bool}
		case "text":
			return []schema.Type{schema.Text, schema.Time}
		case "blob":
			return []schema.Type{schema.Bytes}
		}
		return nil
	}
	switch d {
	case "smallint", "integer", "bigint":
		return []schema.Type{schema.Integer}
	case "text":
		return []schema.Type{schema.Text}
	case "timestamp with time zone":
		return []schema.Type{schema.Time}
	case "boolean":
		return []schema.Type{schema.Bool}
	case "bytea":
		return []schema.Type{schema.Bytes}
	}
	return nil
}

var (
	casts     = regexp.MustCompile(`::[a-z ]+`)
	spaces    = regexp.MustCompile(`\s+`)
	boolIsOne = regexp.MustCompile(`\b(\w+) = 1\b`)
)

// predicate is a partial index's WHERE in one spelling: lower case, no
// parentheses or casts (PostgreSQL adds them), bool columns bare (SQLite
// compares them with 1).
func predicate(where string, tb schema.Table) string {
	p := strings.ToLower(where)
	p = strings.NewReplacer("(", "", ")", "").Replace(p)
	p = casts.ReplaceAllString(p, "")
	p = boolIsOne.ReplaceAllStringFunc(p, func(m string) string {
		name := boolIsOne.FindStringSubmatch(m)[1]
		if c, ok := tb.Column(name); ok && c.Type == schema.Bool {
			return name
		}
		return m
	})
	return strings.TrimSpace(spaces.ReplaceAllString(p, " "))
}

func nullity(null bool) string {
	if null {
		return "NULL"
	}
	return "NOT NULL"
}

func guards(g schema.Guard) string {
	var ops []string
	for _, op := range []struct {
		g    schema.Guard
		name string
	}{{schema.RefuseUpdate, "UPDATE"}, {schema.RefuseDelete, "DELETE"}, {schema.RefuseTruncate, "TRUNCATE"}} {
		if g&op.g != 0 {
			ops = append(ops, op.name)
		}
	}
	if len(ops) == 0 {
		return "nothing"
	}
	return strings.Join(ops, ", ")
}

func sortedKeys(keys [][]string) [][]string {
	out := slices.Clone(keys)
	slices.SortFunc(out, func(a, b []string) int { return strings.Compare(strings.Join(a, ","), strings.Join(b, ",")) })
	return out
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for name := range m {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
