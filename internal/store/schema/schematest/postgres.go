package schematest

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store/schema"
)

// pg_trigger.tgtype's bits for the events a trigger fires on.
const (
	pgTriggerDelete   = 1 << 3
	pgTriggerUpdate   = 1 << 4
	pgTriggerTruncate = 1 << 5
)

// readPostgres reads PostgreSQL's catalog for the current schema:
// information_schema's tables and columns, pg_constraint, pg_index,
// pg_views and pg_trigger.
func readPostgres(t testing.TB, db *sql.DB) (found, error) {
	f := found{tables: map[string]*foundTable{}, indexes: map[string]foundIndex{}, views: map[string][]string{}}
	var views []string
	err := each(t, db, `SELECT viewname FROM pg_views WHERE schemaname = current_schema()`, func(rows *sql.Rows) error {
		var name string
		err := rows.Scan(&name)
		views = append(views, name)
		return err
	})
	if err != nil {
		return f, err
	}
	for _, v := range views {
		f.views[v] = []string{}
	}
	err = each(t, db, `SELECT table_name, column_name, data_type, is_nullable = 'YES', is_identity = 'YES'
		FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`, func(rows *sql.Rows) error {
		var table string
		var c foundColumn
		var identity bool
		if err := rows.Scan(&table, &c.name, &c.declared, &c.null, &identity); err != nil {
			return err
		}
		if cols, isView := f.views[table]; isView {
			f.views[table] = append(cols, c.name)
			return nil
		}
		tb := f.tables[table]
		if tb == nil {
			tb = &foundTable{}
			f.tables[table] = tb
		}
		tb.columns = append(tb.columns, c)
		tb.identity = tb.identity || identity
		return nil
	})
	if err != nil {
		return f, err
	}
	// Keys: the primary key and the UNIQUE constraints, columns in key order.
	err = each(t, db, `SELECT t.relname, c.contype, string_agg(a.attname, ',' ORDER BY k.n)
		FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
		CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
		JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
		WHERE t.relnamespace = current_schema()::regnamespace AND c.contype IN ('p', 'u')
		GROUP BY t.relname, c.conname, c.contype`, func(rows *sql.Rows) error {
		var table, kind, cols string
		if err := rows.Scan(&table, &kind, &cols); err != nil {
			return err
		}
		if tb := f.tables[table]; tb != nil {
			if kind == "p" {
				tb.key = strings.Split(cols, ",")
			} else {
				tb.unique = sortedKeys(append(tb.unique, strings.Split(cols, ",")))
			}
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	// Indexes made by CREATE INDEX: those no constraint owns.
	err = each(t, db, `SELECT i.relname, t.relname, ix.indisunique, COALESCE(pg_get_expr(ix.indpred, ix.indrelid), ''),
			string_agg(a.attname, ',' ORDER BY k.n)
		FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
		CROSS JOIN LATERAL unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
		JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
		WHERE t.relnamespace = current_schema()::regnamespace
			AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid)
		GROUP BY i.relname, t.relname, ix.indisunique, ix.indpred, ix.indrelid`, func(rows *sql.Rows) error {
		var name, cols string
		var ix foundIndex
		if err := rows.Scan(&name, &ix.table, &ix.unique, &ix.where, &cols); err != nil {
			return err
		}
		ix.columns = strings.Split(cols, ",")
		f.indexes[name] = ix
		return nil
	})
	if err != nil {
		return f, err
	}
	// Triggers whose function raises: what they fire on is what they refuse.
	err = each(t, db, `SELECT c.relname, tg.tgtype
		FROM pg_trigger tg JOIN pg_class c ON c.oid = tg.tgrelid JOIN pg_proc p ON p.oid = tg.tgfoid
		WHERE NOT tg.tgisinternal AND c.relnamespace = current_schema()::regnamespace
			AND p.prosrc ILIKE '%RAISE EXCEPTION%'`, func(rows *sql.Rows) error {
		var table string
		var kind int
		if err := rows.Scan(&table, &kind); err != nil {
			return err
		}
		tb := f.tables[table]
		if tb == nil {
			return nil
		}
		for bit, g := range map[int]schema.Guard{pgTriggerUpdate: schema.RefuseUpdate, pgTriggerDelete: schema.RefuseDelete,
			pgTriggerTruncate: schema.RefuseTruncate} {
			if kind&bit != 0 {
				tb.refuses |= g
			}
		}
		return nil
	})
	return f, err
}

// each runs query and calls row for each of its rows.
func each(t testing.TB, db *sql.DB, query string, row func(*sql.Rows) error, args ...any) error {
	rows, err := db.QueryContext(t.Context(), query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
