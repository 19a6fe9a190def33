package sqlstore

import (
	"database/sql"
	"fmt"
	"time"
)

// TimeOf is a Scan destination for a NOT NULL time column, whichever way
// the backend stores it: a timestamptz arrives as a time.Time, SQLite's
// RFC 3339 text as a string. Either is set in *t as UTC.
func TimeOf(t *time.Time) sql.Scanner { return timeDest{t: t} }

// NullTimeOf is TimeOf for a nullable column: NULL is the zero time.
func NullTimeOf(t *time.Time) sql.Scanner { return timeDest{t: t, null: true} }

type timeDest struct {
	t    *time.Time
	null bool
}

func (d timeDest) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		*d.t = v.UTC()
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	case nil:
		if !d.null {
			return fmt.Errorf("a time is NULL")
		}
		*d.t = time.Time{}
	default:
		return fmt.Errorf("a time is a %T", src)
	}
	return nil
}

func (d timeDest) parse(s string) error {
	if s == "" && d.null {
		*d.t = time.Time{}
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return err
	}
	*d.t = t.UTC()
	return nil
}

// Collect reads every row of a query with scan, then closes it; a query
// that failed (err) is returned as it is. Both backends read through
// database/sql (PostgreSQL's through pgx's stdlib driver).
func Collect[T any](rows *sql.Rows, err error, scan func(Scanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// Strings reads a query's one text column.
func Strings(rows *sql.Rows, err error) ([]string, error) {
	return Collect(rows, err, func(r Scanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	})
}

// PrefixScanner scans its own destinations in front of the caller's.
type PrefixScanner struct {
	S      Scanner
	Prefix []any
}

func (p PrefixScanner) Scan(dst ...any) error { return p.S.Scan(append(p.Prefix, dst...)...) }
