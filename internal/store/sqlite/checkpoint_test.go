package sqlite

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/notifier-dev/notifier/internal/domain"
)

// copyMainFile copies only the database file, not its -wal and -shm, into
// a folder of its own, as a plain `cp notifier.db` does.
func copyMainFile(t *testing.T, path string) string {
	t.Helper()
	dest := filepath.Join(t.TempDir(), "copy.db")
	in, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	return dest
}

// The database file alone holds the record once the store has
// checkpointed (the daemon's idle step) or once its last connection has
// closed (every one-shot command): a copy of that one file, without the
// write-ahead log beside it, opens and holds every credential.
func TestTheFileAloneHoldsTheRecord(t *testing.T) {
	const creds = 200 // more than the main file holds before a checkpoint
	for _, tc := range []struct {
		name  string
		after func(*testing.T, *Store) // what the store does after the sync, before the copy
	}{
		{"checkpointed while open", func(t *testing.T, s *Store) {
			if err := s.Checkpoint(t.Context()); err != nil {
				t.Fatal(err)
			}
		}},
		{"closed", func(t *testing.T, s *Store) {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "notifier.db")
			s, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			var all []domain.Credential
			for i := range creds {
				all = append(all, credential(fmt.Sprintf("c%03d", i)))
			}
			if _, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0}, all, domain.SyncOptions{}, t0); err != nil {
				t.Fatal(err)
			}
			tc.after(t, s)
			cp, err := OpenReadOnly(ctx, copyMainFile(t, path))
			if err != nil {
				t.Fatalf("the copy of %s alone: %v", filepath.Base(path), err)
			}
			defer cp.Close()
			states, err := cp.States(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(states) != creds || states[0].ID != "c000" || states[creds-1].ID != fmt.Sprintf("c%03d", creds-1) {
				t.Errorf("the copy holds %d credentials, want c000 … c%03d (%d)", len(states), creds-1, creds)
			}
		})
	}
}
