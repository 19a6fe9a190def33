package sqlite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/testutil/filesum"
)

func TestOpenReadOnlyRefuses(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain.db")
	if err := os.WriteFile(plain, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// A database one migration behind this binary: 0004 unrecorded.
	behind := filepath.Join(dir, "behind.db")
	s, err := Open(t.Context(), behind)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec(`DELETE FROM schema_migrations WHERE version = 4`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.db"), "missing.db: no such database"},
		{dir, "not a regular file"},
		{plain, "not a notifier database"},
		{behind, "lacks 0004_audit_views; run `notifier migrate` (or start the daemon) on it first"},
		{"", "give a file path"},
	} {
		s, err := OpenReadOnly(t.Context(), tc.path)
		if err == nil {
			s.Close()
			t.Errorf("OpenReadOnly(%q) succeeded", tc.path)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("OpenReadOnly(%q) = %q, want one line with %q", tc.path, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OpenReadOnly created the missing database: %v", err)
	}
	if _, err := OpenReadOnly(t.Context(), behind); !errors.Is(err, ErrNeedsMigration) {
		t.Errorf("a database behind: %v, want ErrNeedsMigration", err)
	}
}

func TestReadOnlyStoreWritesNothing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	w := writerWithAlpha(t, path)
	defer w.Close()
	r, err := OpenReadOnly(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "mallory", Source: "cli"}); err == nil {
		t.Error("a read-only store recorded an acknowledgment")
	}
	if _, err := r.db.Exec(`CREATE TABLE x (a)`); err == nil {
		t.Error("a read-only store created a table")
	}
	if n := count(t, w.db, `SELECT COUNT(*) FROM acknowledgments`); n != 0 {
		t.Errorf("%d acknowledgments after the refused write", n)
	}
}

// Readers (report, history, status, backup) run while a writer records
// rotations, attempts and acknowledgments as fast as it can: no reader
// sees "database is locked", and every report is a consistent snapshot:
// each credential's cycles chain (one closes where the next starts), the
// last is open, every closed cycle was acknowledged before it closed, and
// no report has fewer cycles than the one before.
func TestReadsWhileWriting(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "notifier.db")
	w, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const creds = 20
	var all []domain.Credential
	for i := range creds {
		all = append(all, credential(fmt.Sprintf("c%02d", i)))
	}
	if _, err := w.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, all, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}

	writeCtx, stopWriting := context.WithCancel(ctx)
	var writes int
	writerDone := make(chan error, 1)
	go func() {
		// Each round acknowledges every credential's cycle, then rotates
		// it, an hour later, in two transactions: a reader between them
		// sees an acknowledged open cycle, never a closed one without
		// its acknowledgment.
		for round := 1; writeCtx.Err() == nil; round++ {
			at := t0.Add(time.Duration(round) * time.Hour)
			for _, c := range all {
				if _, err := w.RecordAck(ctx, domain.Ack{CredentialID: c.ID, At: at, Actor: "alice", Source: "cli"}); err != nil {
					writerDone <- err
					return
				}
				if err := w.RecordRotation(ctx, domain.Rotation{CredentialID: c.ID, RotatedAt: at.Add(30 * time.Minute), Source: "cli", Actor: "bob"}, at); err != nil {
					writerDone <- err
					return
				}
				writes += 2
			}
		}
		writerDone <- nil
	}()

	const readers = 3
	var wg sync.WaitGroup
	errs := make(chan error, readers+1)
	// reader runs fn on its own read-only handle, as another process would.
	reader := func(fn func(r *Store) error) {
		wg.Go(func() {
			r, err := OpenReadOnly(ctx, path)
			if err == nil {
				err = fn(r)
				r.Close()
			}
			if err != nil {
				errs <- err
			}
		})
	}
	for i := range readers {
		reader(func(r *Store) error {
			last := 0
			for n := 0; n < 30; n++ {
				cycles, err := snapshotCheck(ctx, r)
				if err != nil {
					return fmt.Errorf("reader %d, report %d: %w", i, n, err)
				}
				if cycles < last {
					return fmt.Errorf("reader %d: a report of %d cycles after one of %d", i, cycles, last)
				}
				last = cycles
				if _, err := r.History(ctx, domain.HistoryFilter{Type: domain.EventAck}); err != nil {
					return fmt.Errorf("reader %d: history: %w", i, err)
				}
				if _, err := r.States(ctx); err != nil {
					return fmt.Errorf("reader %d: states: %w", i, err)
				}
			}
			return nil
		})
	}
	// A backup taken meanwhile is a consistent, verified copy.
	dest := filepath.Join(t.TempDir(), "backup.db")
	reader(func(r *Store) error {
		if _, err := r.Backup(ctx, dest, false); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		b, err := OpenReadOnly(ctx, dest)
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		defer b.Close()
		if _, err := snapshotCheck(ctx, b); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		return nil
	})
	wg.Wait()
	stopWriting()
	if err := <-writerDone; err != nil {
		t.Fatalf("writer: %v", err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if writes == 0 {
		t.Fatal("the writer wrote nothing while the readers read: the test proves nothing")
	}
	t.Logf("%d writes during the reads", writes)
}

// snapshotCheck reads a report and checks it is consistent; it returns
// the number of cycles.
func snapshotCheck(ctx context.Context, s *Store) (int, error) {
	n := 0
	var prev *domain.CycleRecord
	err := s.ReportCycles(ctx, domain.ReportFilter{}, func(c domain.CycleRecord) error {
		n++
		if prev != nil && prev.ID == c.ID {
			if prev.Closed == nil || !prev.Closed.RotatedAt.Equal(c.Start) {
				return fmt.Errorf("%s: the cycle before %s does not close at its start", c.ID, c.Start)
			}
			if len(prev.Acks) != 1 || !prev.Acks[0].Time.Before(prev.Closed.RotatedAt) {
				return fmt.Errorf("%s: a closed cycle without its acknowledgment: %+v", c.ID, prev.Acks)
			}
		}
		if prev != nil && prev.ID != c.ID && prev.Closed != nil {
			return fmt.Errorf("%s: its last cycle is closed", prev.ID)
		}
		cp := c
		prev = &cp
		return nil
	})
	return n, err
}

// A reader leaves the database, its -wal and its -shm byte for byte as it
// found them, and creates neither: beside the -wal and -shm a writer left
// when it died (the reader still sees what is only in the -wal), and
// after a writer closed, when the file alone holds the record. (A copy:
// in one process SQLite shares a live writer's -shm with the reader; the
// end-to-end test reads beside a running daemon.)
func TestReadOnlyLeavesTheFilesAsTheyWere(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notifier.db")
	w := writerWithAlpha(t, path)
	read := func(when, dir string, wantFiles int) {
		t.Helper()
		path := filepath.Join(dir, "notifier.db")
		before := filesum.Dir(t, dir)
		if len(before) != wantFiles {
			t.Fatalf("%s: %d files %v, want %d", when, len(before), before, wantFiles)
		}
		r, err := OpenReadOnly(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		states, err := r.States(t.Context())
		r.Close()
		if err != nil || len(states) != 1 || states[0].ID != "alpha" {
			t.Errorf("%s: states %+v, %v; want alpha", when, states, err)
		}
		after := filesum.Dir(t, dir)
		for name, sum := range after {
			if before[name] != sum {
				t.Errorf("%s: the reader changed or created %s", when, name)
			}
		}
	}
	died := t.TempDir()
	for name := range filesum.Dir(t, dir) {
		body, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(died, name), body, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	read("beside a dead writer's -wal and -shm", died, 3)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	read("after the writer closed", dir, 1)
}

// A view of a database without a -wal reads the file as immutable, with no
// lock: a daemon that starts meanwhile and checkpoints its log into the
// file could change pages under the view. The view's end says so rather
// than let a mix of two states pass for the record.
func TestImmutableViewSaysTheFileChangedUnderIt(t *testing.T) {
	for _, tc := range []struct {
		name    string
		write   bool
		wantErr bool
	}{
		{name: "nobody wrote", write: false, wantErr: false},
		{name: "a daemon started and checkpointed", write: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "notifier.db")
			w := writerWithAlpha(t, path)
			if err := w.Close(); err != nil { // the last connection: the log goes into the file, no -wal left
				t.Fatal(err)
			}
			if exists(path + "-wal") {
				t.Fatal("a -wal is left after the writer closed; the view would not be immutable")
			}
			r, err := OpenReadOnly(t.Context(), path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.States(t.Context()); err != nil {
				t.Fatal(err)
			}
			if tc.write {
				w, err := Open(t.Context(), path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := w.SyncFile(t.Context(), domain.ConfigFile{Path: "c.yaml", ModTime: t0.Add(time.Hour)},
					[]domain.Credential{credential("alpha"), credential("beta")}, domain.SyncOptions{}, t0.Add(time.Hour)); err != nil {
					t.Fatal(err)
				}
				if err := w.Close(); err != nil { // checkpoints the log into the file
					t.Fatal(err)
				}
			}
			err = r.Close()
			if got := errors.Is(err, ErrChangedWhileRead); got != tc.wantErr {
				t.Fatalf("Close() = %v; want ErrChangedWhileRead: %v", err, tc.wantErr)
			}
			if tc.wantErr && (!strings.Contains(err.Error(), "notifier.db") || strings.Contains(err.Error(), "\n")) {
				t.Errorf("Close() = %q; want one line naming the file", err)
			}
		})
	}
}

// A view beside a log without its index, or an index without its log (a
// crash, a hand's cleanup), would have SQLite create the missing file and
// write the index: it reads an empty log or a stray index as immutable,
// and refuses in one line a log with content whose index is gone.
func TestReadOnlyBesideAHalfLogWritesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notifier.db")
	w := writerWithAlpha(t, path)
	committed := map[string][]byte{}
	var err error
	for _, name := range []string{"notifier.db", "notifier.db-wal"} {
		if committed[name], err = os.ReadFile(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	clean, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		files   map[string][]byte
		wantErr string
	}{
		{"an empty log, no index", map[string][]byte{"notifier.db": clean, "notifier.db-wal": nil}, ""},
		{"an index, no log", map[string][]byte{"notifier.db": clean, "notifier.db-shm": make([]byte, 32768)}, ""},
		{"a log with commits, its index gone", map[string][]byte{"notifier.db": committed["notifier.db"], "notifier.db-wal": committed["notifier.db-wal"]}, "notifier.db-wal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := t.TempDir()
			for name, body := range tc.files {
				if err := os.WriteFile(filepath.Join(d, name), body, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			before := filesum.Dir(t, d)
			r, err := OpenReadOnly(t.Context(), filepath.Join(d, "notifier.db"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || strings.Contains(err.Error(), "\n") {
					t.Errorf("OpenReadOnly = %v; want one line naming %s", err, tc.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				states, err := r.States(t.Context())
				if cerr := r.Close(); err == nil {
					err = cerr
				}
				if err != nil || len(states) != 1 {
					t.Errorf("states %+v, %v; want alpha", states, err)
				}
			}
			after := filesum.Dir(t, d)
			if len(after) != len(before) {
				t.Errorf("files %v, want %v: the view created one", keys(after), keys(before))
			}
			for name, sum := range after {
				if before[name] != sum {
					t.Errorf("the view changed or created %s", name)
				}
			}
		})
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// writerWithAlpha opens the database at path for writing and syncs one
// credential, alpha, into it.
func writerWithAlpha(t *testing.T, path string) *Store {
	t.Helper()
	w, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.SyncFile(t.Context(), domain.ConfigFile{Path: "c.yaml", ModTime: t0}, []domain.Credential{credential("alpha")}, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	return w
}
