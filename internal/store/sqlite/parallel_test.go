package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestParallelReadersSeeOneState: Parallel's readers, each a connection
// of its own, all see one committed state, also when another connection
// commits while they begin; when commits keep coming between their
// starts, there is one reader, never two that disagree.
func TestParallelReadersSeeOneState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Another process's commits: a connection outside the store's pool.
	other, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TABLE scratch (x INTEGER)`); err != nil {
		t.Fatal(err)
	}
	commit := func() {
		t.Helper()
		if _, err := other.Exec(`INSERT INTO scratch VALUES (1)`); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name        string
		commitsFor  int // attempts whose readers' starts another commit comes between
		wantReaders int
	}{
		{"no commit between the starts", 0, 2},
		{"a commit between the starts of the first attempt", 1, 2},
		{"commits between the starts of every attempt", parallelAttempts, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			attempts := 0
			s.drv.beforeLast = func() {
				if attempts++; attempts <= tc.commitsFor {
					commit()
				}
			}
			defer func() { s.drv.beforeLast = nil }()
			readers, done, err := s.drv.Parallel(t.Context(), 2)
			if err != nil {
				t.Fatal(err)
			}
			defer done()
			if len(readers) != tc.wantReaders {
				t.Fatalf("%d readers, want %d", len(readers), tc.wantReaders)
			}
			var want int
			if err := other.QueryRow(`SELECT COUNT(*) FROM scratch`).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if len(readers) == 1 {
				// One reader's state begins at its first read (Snapshot):
				// it stays that one however many commits come after.
				want++
			}
			commit() // after the readers began: seen by none
			for i, r := range readers {
				for range 2 {
					var n int
					if err := r.QueryRow(t.Context(), `SELECT COUNT(*) FROM scratch`).Scan(&n); err != nil {
						t.Fatal(err)
					}
					if n != want {
						t.Errorf("reader %d sees %d rows, want %d", i, n, want)
					}
					commit()
				}
			}
		})
	}
}
