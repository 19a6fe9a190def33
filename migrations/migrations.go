// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary and applied in order by the stores: SQLite's in
// this folder, PostgreSQL's in postgres/.
package migrations

import "embed"

// FS holds SQLite's NNNN_name.sql files.
//
//go:embed *.sql
var FS embed.FS

// Postgres holds PostgreSQL's postgres/NNNN_name.sql files: the same
// schema in PostgreSQL's types (timestamptz, boolean, bigint identities,
// bytea), numbered on their own.
//
//go:embed postgres/*.sql
var Postgres embed.FS
