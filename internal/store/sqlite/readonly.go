package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"strings"

	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// ErrNeedsMigration is returned by OpenReadOnly for a database whose schema
// is older than this binary's: a reader does not migrate.
var ErrNeedsMigration = errors.New("the database needs migrating")

// ErrChangedWhileRead is returned by Close of a view that read the file
// as immutable (no -wal when it opened: no lock taken, nothing created)
// when the file changed meanwhile: a daemon started and wrote its log
// into it, so what the view showed may mix two states.
var ErrChangedWhileRead = errors.New("the database was written while this view read it without a lock (a daemon started meanwhile): what it showed may mix two states; run it again")

// OpenReadOnly opens an existing database for reading only: SQLite's
// mode=ro and query_only, no migration run, nothing written (not even the
// migrations table). It reads while a daemon writes (WAL: a reader sees
// the last committed state and neither waits for the writer nor holds it
// up). A database whose schema is older than this binary's is refused
// with ErrNeedsMigration naming what is missing.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("store: %q: give a file path", path)
	}
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("store: %s: %w", path, sqlstore.ErrNoDatabase)
	case err != nil:
		return nil, fmt.Errorf("store: %w", err)
	case !st.Mode().IsRegular():
		return nil, fmt.Errorf("store: %s: not a regular file", path)
	}
	dsn := readOnlyDSN(path, true)
	var immutable os.FileInfo
	walSize := int64(-1) // no -wal
	if st, err := os.Stat(path + "-wal"); err == nil {
		walSize = st.Size()
	}
	switch shm := exists(path + "-shm"); {
	case walSize > 0 && shm:
		// The -shm is the writer's index of the log: a reader that wrote
		// its read marks there, or rebuilt the index of a writer that
		// died, would change it. readonly_shm reads the index and, where
		// it cannot rely on it, the log itself.
		dsn += "&readonly_shm=1"
	case walSize > 0:
		// Commits in the log and no index: SQLite would write a new
		// -shm to read them. A view writes nothing, so it says so.
		return nil, fmt.Errorf("store: %s-wal holds commits and its index %s-shm is missing: a view would have to write it; "+
			"open the database once for writing (`notifier migrate`) to fold the log in, or read a copy (`notifier backup`)", path, path)
	default:
		// No log, or an empty one (a stray -shm or -wal left beside it):
		// the file alone holds the record. SQLite opens (and creates) the
		// -wal and -shm of a WAL database even read-only; immutable reads
		// the file without creating or changing anything. Without a lock,
		// though: a daemon that starts meanwhile and checkpoints into the
		// file changes pages under the reader, and Close then says so
		// (ErrChangedWhileRead).
		dsn += "&immutable=1"
		immutable = st
	}
	sqlDB := sql.OpenDB(connector{dsn: dsn})
	bound(sqlDB)
	s := newStore(sqlDB, path, nil)
	s.immutable = immutable
	if err := s.checkSchema(ctx); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return s, nil
}

// exists says whether a file is there.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// readOnlyDSN opens path with SQLite's mode=ro and, when queryOnly is set,
// query_only. A backup needs a connection without query_only: SQLite
// counts VACUUM INTO as a write even though only the copy is written.
func readOnlyDSN(path string, queryOnly bool) string {
	q := url.Values{}
	q.Set("mode", "ro")
	if queryOnly {
		q.Set("_query_only", "on")
	}
	q.Set("_busy_timeout", "10000")
	q.Set("_cache_size", cacheSize)
	q.Set("_txlock", "deferred") // a read transaction takes no write lock
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// checkSchema refuses a database that is not notifier's or lacks a
// migration this binary has.
func (s *Store) checkSchema(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	applied, err := sqlstore.Collect(rows, err, sqlstore.ScanID)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return fmt.Errorf("store: %s: not a notifier database (no schema_migrations table)", s.path)
		}
		return fmt.Errorf("store: %s: %w", s.path, err)
	}
	files, err := migrationFiles().Files()
	if err != nil {
		return err
	}
	if missing := sqlstore.Missing(files, applied); len(missing) > 0 {
		return fmt.Errorf("%w: %s lacks %s; run `notifier migrate` (or start the daemon) on it first, or read a migrated copy",
			ErrNeedsMigration, s.path, strings.Join(missing, ", "))
	}
	return nil
}

// CopySide is the database as notifier copy-db reads or writes it.
func (s *Store) CopySide() copydb.DB {
	return copydb.DB{DB: s.db, Dialect: copydb.SQLite, Name: s.path}
}
