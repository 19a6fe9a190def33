package db

import "database/sql"

// SQL exposes the underlying handle to tests that must go around the API.
func (d *DB) SQL() *sql.DB { return d.db }
