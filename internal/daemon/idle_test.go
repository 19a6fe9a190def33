package daemon

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// After a tick the daemon checkpoints: the database file alone, copied
// without its -wal and -shm as a plain `cp notifier.db` does, holds every
// credential the tick synced. On a real database file.
func TestTheFileAloneHoldsTheRecordAfterATick(t *testing.T) {
	const creds = 200 // more than the database file holds before a checkpoint
	dir := t.TempDir()
	db := filepath.Join(dir, "notifier.db")
	var b strings.Builder
	fmt.Fprintf(&b, "database: %q\ntimezone: UTC\ncheck_schedule: \"@hourly\"\n", db)
	b.WriteString("policies:\n  standard:\n    - {before: 7d, channels: [console]}\n")
	b.WriteString("channels:\n  console: {type: stdout}\ncredentials:\n")
	// Rotated ten days ago: nothing is due, the tick only syncs.
	rotated := time.Now().UTC().Add(-10 * 24 * time.Hour).Format(time.RFC3339)
	for i := range creds {
		fmt.Fprintf(&b, "  - {id: cred-%04d, rotated_at: %s}\n", i, rotated)
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	d := &Daemon{ConfigPath: config, Stdout: io.Discard}
	if err := d.Open(t.Context()); err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	d.Tick(t.Context())

	cp := filepath.Join(t.TempDir(), "copy.db")
	body, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cp, body, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.OpenReadOnly(t.Context(), cp)
	if err != nil {
		t.Fatalf("the copy of notifier.db alone after a tick: %v", err)
	}
	defer s.Close()
	states, err := s.States(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != creds || states[0].ID != "cred-0000" || states[creds-1].ID != fmt.Sprintf("cred-%04d", creds-1) {
		t.Errorf("the copy holds %d credentials, want cred-0000 … cred-%04d (%d)", len(states), creds-1, creds)
	}
}
