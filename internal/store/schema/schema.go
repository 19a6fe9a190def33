// Package schema describes notifier's database once, in Go: every table
// with its columns in order, every index, every view, and which tables
// refuse UPDATE and DELETE. The migrations stay SQL files per backend
// (migrations/ for SQLite, migrations/postgres/ for PostgreSQL); a test
// on each backend migrates a fresh database and checks it against this
// description, and copydb copies the tables and columns it lists.
//
// A new column is added here and in a migration of each backend; the
// test (schematest.Check, run by the sqlite and postgres packages) fails
// until both match. Where the two backends differ today in a way one
// description cannot say once, the difference is recorded here (Only,
// Note) rather than hidden, since applied migrations are never edited.
package schema

import "slices"

// Type is a column's portable type: what the value means, whatever each
// backend stores it as.
type Type int

const (
	Integer Type = iota + 1 // INTEGER on SQLite; integer or bigint on PostgreSQL
	Text                    // TEXT on both
	Time                    // UTC RFC 3339 TEXT on SQLite; timestamptz on PostgreSQL
	Bool                    // INTEGER with CHECK (c IN (0, 1)) on SQLite; boolean on PostgreSQL
	Bytes                   // BLOB on SQLite; bytea on PostgreSQL
)

func (t Type) String() string {
	switch t {
	case Integer:
		return "integer"
	case Text:
		return "text"
	case Time:
		return "time"
	case Bool:
		return "bool"
	case Bytes:
		return "bytes"
	}
	return "unknown"
}

// Backend names a database the schema is migrated on; as a set, which
// backends something exists on.
type Backend uint8

const (
	SQLite Backend = 1 << iota
	Postgres
)

func (b Backend) String() string {
	switch b {
	case SQLite:
		return "SQLite"
	case Postgres:
		return "PostgreSQL"
	case SQLite | Postgres:
		return "both"
	}
	return "none"
}

// Kind says what a table's rows are, and so whether a copy of the
// database carries them.
type Kind int

const (
	// Record is notifier's record (the credentials, their cycles and
	// history, the sync's state): a copy carries every row.
	Record Kind = iota
	// ChainRecord is the one row that anchors the hash chain: a copy sets
	// it on the target, past its trigger.
	ChainRecord
	// Process rows are about the running processes (leases): a copy, taken
	// with the daemons stopped, leaves them behind.
	Process
	// Migrations lists the migrations a database has applied, created by
	// the stores rather than by a migration: each database keeps its own.
	Migrations
)

// Guard is what a table's triggers refuse.
type Guard uint8

const (
	RefuseUpdate   Guard = 1 << iota // every UPDATE (event_chain: all but setting its key once)
	RefuseDelete                     // every DELETE
	RefuseTruncate                   // TRUNCATE, which bypasses row triggers: PostgreSQL only, SQLite has none
)

// AppendOnly refuses every change to a row once written.
const AppendOnly = RefuseUpdate | RefuseDelete | RefuseTruncate

// Column is one column of a table.
type Column struct {
	Name string
	Type Type
	Null bool // NULL allowed
}

// Table is one table, its columns in order.
type Table struct {
	Name    string
	Kind    Kind
	Columns []Column
	Key     []string   // the primary key; nil for none
	Unique  [][]string // UNIQUE keys besides the primary key
	// Identity: the database numbers new rows (a single Integer key: SQLite's
	// INTEGER PRIMARY KEY, PostgreSQL's identity column).
	Identity bool
	Refuses  Guard
	Note     string // how the backends differ today, if they do
}

// Index is one index made by CREATE INDEX (the keys of Table.Key and
// Table.Unique have their own, which each backend names its way).
type Index struct {
	Name    string
	Table   string
	Columns []string
	Unique  bool
	Where   string  // a partial index's predicate, bool columns bare ("active", not "active = 1"); "" for none
	Only    Backend // zero: on both backends; else the one it exists on
	Note    string  // why it exists on one backend only
}

// View is one view, its columns in order.
type View struct {
	Name    string
	Columns []string
}

// Schema is the whole description.
type Schema struct {
	Tables  []Table // in copy order: a row's references come before it, but credentials.rotation_id
	Indexes []Index
	Views   []View
}

// Table is the table of that name.
func (s Schema) Table(name string) (Table, bool) {
	i := slices.IndexFunc(s.Tables, func(t Table) bool { return t.Name == name })
	if i < 0 {
		return Table{}, false
	}
	return s.Tables[i], true
}

// For is what a database of backend b has: the indexes that exist on it
// only, and the guards it can have.
func (s Schema) For(b Backend) Schema {
	out := Schema{Views: s.Views}
	for _, t := range s.Tables {
		if b == SQLite {
			t.Refuses &^= RefuseTruncate
		}
		out.Tables = append(out.Tables, t)
	}
	for _, ix := range s.Indexes {
		if ix.Only == 0 || ix.Only&b != 0 {
			out.Indexes = append(out.Indexes, ix)
		}
	}
	return out
}

// ColumnNames are the table's columns, in order.
func (t Table) ColumnNames() []string {
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		names[i] = c.Name
	}
	return names
}

// Column is the column of that name.
func (t Table) Column(name string) (Column, bool) {
	i := slices.IndexFunc(t.Columns, func(c Column) bool { return c.Name == name })
	if i < 0 {
		return Column{}, false
	}
	return t.Columns[i], true
}
