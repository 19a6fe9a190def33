// Package migrations holds the database schema as numbered SQL files,
// embedded in the binary and applied in order by internal/db.
package migrations

import "embed"

// FS holds NNNN_name.sql files.
//
//go:embed *.sql
var FS embed.FS
