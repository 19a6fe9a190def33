package schematest

import (
	"database/sql"
	"regexp"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

var (
	sqliteTriggerOn = regexp.MustCompile(`(?i)\bBEFORE\s+(UPDATE|DELETE)\s+ON\s+(\w+)`)
	sqliteWhere     = regexp.MustCompile(`(?is)\sWHERE\s(.*)$`)
)

// readSQLite reads SQLite's catalog: sqlite_master and the table_info,
// index_list and index_info pragmas.
func readSQLite(t testing.TB, db *sql.DB) (found, error) {
	f := found{tables: map[string]*foundTable{}, indexes: map[string]foundIndex{}, views: map[string][]string{}}
	type object struct{ kind, name, sql string }
	var objects []object
	err := each(t, db, `SELECT type, name, COALESCE(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'`, func(rows *sql.Rows) error {
		var o object
		err := rows.Scan(&o.kind, &o.name, &o.sql)
		objects = append(objects, o)
		return err
	})
	if err != nil {
		return f, err
	}
	indexSQL := map[string]string{}
	for _, o := range objects {
		switch o.kind {
		case "table":
			if f.tables[o.name], err = sqliteTable(t, db, o.name, o.sql); err != nil {
				return f, err
			}
		case "view":
			cols, err := sqliteColumns(t, db, o.name)
			if err != nil {
				return f, err
			}
			f.views[o.name] = []string{}
			for _, c := range cols {
				f.views[o.name] = append(f.views[o.name], c.name)
			}
		case "index":
			indexSQL[o.name] = o.sql
		}
	}
	// Triggers that raise: what they fire on is what they refuse.
	for _, o := range objects {
		if o.kind != "trigger" || !strings.Contains(o.sql, "RAISE(ABORT") {
			continue
		}
		m := sqliteTriggerOn.FindStringSubmatch(o.sql)
		if m == nil || f.tables[m[2]] == nil {
			continue
		}
		g := schema.RefuseUpdate
		if strings.EqualFold(m[1], "DELETE") {
			g = schema.RefuseDelete
		}
		f.tables[m[2]].refuses |= g
	}
	for name, tb := range f.tables {
		if err := sqliteIndexes(t, db, name, tb, indexSQL, f.indexes); err != nil {
			return f, err
		}
	}
	return f, nil
}

// sqliteColumn is a column and its place in the primary key (0: none).
type sqliteColumn struct {
	foundColumn
	pk int
}

// sqliteColumns is PRAGMA table_info of a table or view.
func sqliteColumns(t testing.TB, db *sql.DB, name string) ([]sqliteColumn, error) {
	var cols []sqliteColumn
	err := each(t, db, `SELECT name, type, "notnull", pk FROM pragma_table_info(?) ORDER BY cid`, func(rows *sql.Rows) error {
		var c sqliteColumn
		var notNull bool
		err := rows.Scan(&c.name, &c.declared, &notNull, &c.pk)
		c.null = !notNull
		cols = append(cols, c)
		return err
	}, name)
	return cols, err
}

func sqliteTable(t testing.TB, db *sql.DB, name, ddl string) (*foundTable, error) {
	cols, err := sqliteColumns(t, db, name)
	if err != nil {
		return nil, err
	}
	tb := &foundTable{checked: map[string]bool{}}
	key := map[int]string{}
	for _, c := range cols {
		tb.columns = append(tb.columns, c.foundColumn)
		if c.pk > 0 {
			key[c.pk] = c.name
		}
		if strings.Contains(ddl, "CHECK ("+c.name+" IN (0, 1))") {
			tb.checked[c.name] = true
		}
	}
	for i := 1; i <= len(key); i++ {
		tb.key = append(tb.key, key[i])
	}
	if len(tb.key) == 1 {
		// An INTEGER PRIMARY KEY is the rowid, which SQLite numbers.
		for _, c := range tb.columns {
			tb.identity = tb.identity || c.name == tb.key[0] && strings.EqualFold(c.declared, "INTEGER")
		}
	}
	return tb, nil
}

// sqliteIndexes reads a table's indexes: the named ones into indexes,
// the UNIQUE keys' into the table.
func sqliteIndexes(t testing.TB, db *sql.DB, table string, tb *foundTable, ddl map[string]string, indexes map[string]foundIndex) error {
	type listed struct {
		name, origin string
		unique       bool
	}
	var list []listed
	err := each(t, db, `SELECT name, "unique", origin FROM pragma_index_list(?)`, func(rows *sql.Rows) error {
		var l listed
		err := rows.Scan(&l.name, &l.unique, &l.origin)
		list = append(list, l)
		return err
	}, table)
	if err != nil {
		return err
	}
	for _, l := range list {
		var cols []string
		err := each(t, db, `SELECT name FROM pragma_index_info(?) ORDER BY seqno`, func(rows *sql.Rows) error {
			var c string
			err := rows.Scan(&c)
			cols = append(cols, c)
			return err
		}, l.name)
		if err != nil {
			return err
		}
		switch l.origin {
		case "u":
			tb.unique = sortedKeys(append(tb.unique, cols))
		case "c":
			ix := foundIndex{table: table, columns: cols, unique: l.unique}
			if m := sqliteWhere.FindStringSubmatch(ddl[l.name]); m != nil {
				ix.where = strings.TrimSpace(m[1])
			}
			indexes[l.name] = ix
		}
	}
	return nil
}
