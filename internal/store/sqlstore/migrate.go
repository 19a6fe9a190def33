package sqlstore

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Migrations are a driver's schema changes: SQL files named
// NNNN_name.sql in Dir of FS, applied in version order, each once, each in
// a transaction of its own, and recorded in schema_migrations.
type Migrations struct {
	FS  fs.FS
	Dir string // "." for the FS's top
}

// MigrationFile is one schema change.
type MigrationFile struct {
	Version int
	Name    string // without the directory and .sql
	Path    string // in the FS
}

// Files lists the migrations, oldest first.
func (m Migrations) Files() ([]MigrationFile, error) {
	paths, err := fs.Glob(m.FS, path.Join(m.Dir, "*.sql"))
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	sort.Strings(paths)
	out := make([]MigrationFile, 0, len(paths))
	for _, p := range paths {
		name := strings.TrimSuffix(path.Base(p), ".sql")
		version, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("store: migration %s.sql: name must start with a number", name)
		}
		out = append(out, MigrationFile{Version: version, Name: name, Path: p})
	}
	return out, nil
}

// Apply applies f in the transaction c unless schema_migrations says it
// was, running its script with run (a script is several statements, which
// a driver runs unprepared), and records it as applied at now.
func (m Migrations) Apply(c Conn, d Dialect, f MigrationFile, run func(script string) error, now time.Time) error {
	var n int
	if err := c.QueryRow(`SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, f.Version).Scan(&n); err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	if n > 0 {
		return nil
	}
	body, err := fs.ReadFile(m.FS, f.Path)
	if err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	if err := run(string(body)); err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	if _, err := c.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, f.Version, f.Name, d.Time(now)); err != nil {
		return fmt.Errorf("store: migration %s: %w", f.Name, err)
	}
	return nil
}

// ErrNoDatabase is what a read-only open returns when there is no
// database yet (no SQLite file; a PostgreSQL database without notifier's
// schema): the views say so, and plan plans from the config alone.
var ErrNoDatabase = errors.New("no such database yet (`notifier run --init` or `notifier migrate` creates it)")

// Missing lists the migrations of ms that are not among the applied
// versions: what a reader that does not migrate refuses a database for.
func Missing(ms []MigrationFile, applied []int64) []string {
	done := make(map[int64]bool, len(applied))
	for _, v := range applied {
		done[v] = true
	}
	var out []string
	for _, f := range ms {
		if !done[int64(f.Version)] {
			out = append(out, f.Name)
		}
	}
	return out
}
