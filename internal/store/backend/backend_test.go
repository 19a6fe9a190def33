package backend_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/backend"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
	"github.com/notifier-dev/notifier/internal/testutil/pgtest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.StopShared()
	os.Exit(code)
}

// opened is dsn opened for writing (with its applied migrations) and for
// reading only, both closed when the test ends.
func opened(t *testing.T, dsn string) (store.Store, []string, store.ReadOnly) {
	t.Helper()
	s, err := backend.Open(t.Context(), dsn, backend.WithAuditKey([]byte("test-key")))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	ms, err := backend.Migrations(t.Context(), s)
	if err != nil {
		t.Fatalf("Migrations: %v", err)
	}
	if len(ms) == 0 || !strings.HasPrefix(ms[0], "0001 ") {
		t.Fatalf("Migrations = %q, want them from 0001", ms)
	}
	r, err := backend.OpenReadOnly(t.Context(), dsn)
	if err != nil {
		t.Fatalf("OpenReadOnly: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return s, ms, r
}

// A path opens a SQLite file, for writing and for reading only.
func TestOpenSQLite(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	s, ms, r := opened(t, path)
	if _, ok := s.(*sqlite.Store); !ok {
		t.Errorf("Open(%s) = %T, want *sqlite.Store", path, s)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database file: %v", err)
	}
	if strings.Contains(ms[0], "postgres") {
		t.Errorf("Migrations = %q, want SQLite's", ms)
	}
	if _, ok := r.(*sqlite.Store); !ok || r.Path() != path {
		t.Errorf("OpenReadOnly(%s) = %T at %q, want *sqlite.Store at the path", path, r, r.Path())
	}
}

// A postgres:// URL opens PostgreSQL, for writing and for reading only.
func TestOpenPostgres(t *testing.T) {
	srv := pgtest.Shared(t)
	s, ms, r := opened(t, srv.UserURL(srv.Database(t)))
	if _, ok := s.(*postgres.Store); !ok {
		t.Errorf("Open(postgres URL) = %T, want *postgres.Store", s)
	}
	if !strings.Contains(ms[0], "(postgres, applied ") {
		t.Errorf("Migrations = %q, want PostgreSQL's", ms)
	}
	if _, ok := r.(*postgres.Store); !ok {
		t.Errorf("OpenReadOnly(postgres URL) = %T, want *postgres.Store", r)
	}
	if strings.Contains(r.Path(), pgtest.Password) {
		t.Errorf("Path() = %q shows the password", r.Path())
	}
}

// A postgresql:// URL is PostgreSQL too: with no server listening, the
// error is PostgreSQL's connection error, and no file is made.
func TestOpenPostgresqlScheme(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	url := "postgresql://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"
	s, err := backend.Open(t.Context(), url)
	if err == nil {
		s.Close()
		t.Fatalf("Open(%s) succeeded, want a connection error", url)
	}
	if !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Errorf("Open(%s): %v, want PostgreSQL's error connecting to 127.0.0.1:1", url, err)
	}
	if s != nil {
		t.Errorf("Open's store on error = %#v, want nil", s)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("Open(%s) made %d files, want none (not a SQLite path)", url, len(entries))
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct {
		dsn, name, password string
		postgres            bool
	}{
		{"notifier.db", "notifier.db", "", false},
		{"/var/lib/notifier/notifier.db", "/var/lib/notifier/notifier.db", "", false},
		{"postgres://notifier@db.internal/notifier", "postgres://notifier@db.internal/notifier", "", true},
		{"postgresql://notifier:pw-test@db.internal/notifier", "postgresql://notifier:xxxxx@db.internal/notifier", "pw-test", true},
	} {
		if got := backend.IsPostgres(c.dsn); got != c.postgres {
			t.Errorf("IsPostgres(%q) = %v, want %v", c.dsn, got, c.postgres)
		}
		if got := backend.Replicated(c.dsn); got != c.postgres {
			t.Errorf("Replicated(%q) = %v, want %v", c.dsn, got, c.postgres)
		}
		if got := backend.Name(c.dsn); got != c.name {
			t.Errorf("Name(%q) = %q, want %q", c.dsn, got, c.name)
		}
		if got := backend.Password(c.dsn); got != c.password {
			t.Errorf("Password(%q) = %q, want %q", c.dsn, got, c.password)
		}
	}
}
