package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The database file alone holds the record: after `notifier run`'s
// start-up tick (the daemon checkpoints when idle) and after a one-shot
// `notifier tick` (closing the last connection checkpoints), a plain copy
// of notifier.db, without its -wal and -shm, shows every credential.
func TestEndToEndTheFileAloneHoldsTheRecord(t *testing.T) {
	const n = 1000
	sink := newKeySink(t, 0, false)
	// Rotated ten days ago: nothing is due, the first tick syncs the fleet.
	rotated := time.Now().UTC().Add(-10 * 24 * time.Hour).Format(time.RFC3339)
	for _, tc := range []struct {
		name string
		// write leaves the database as the copy finds it and returns what
		// ends it afterwards.
		write func(t *testing.T, dir, config string) (stop func())
	}{
		{"run, after its start-up tick", func(t *testing.T, dir, config string) func() {
			d := startDaemon(t, dir, config)
			d.await(t, "notifier running", 60*time.Second) // logged after the start-up tick
			return func() { d.terminate(t, 30*time.Second) }
		}},
		{"tick, one-shot", func(t *testing.T, dir, config string) func() {
			(&env{t: t, dir: dir, config: config}).ok("tick")
			return func() {}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, config := fleetEnv(t, n, sink.srv.URL, "@hourly", rotated)
			stop := tc.write(t, dir, config)
			db := filepath.Join(dir, "notifier.db")
			main, wal := fileSize(db), fileSize(db+"-wal")
			body, err := os.ReadFile(db)
			if err != nil {
				t.Fatal(err)
			}
			stop()
			t.Logf("%d credentials: notifier.db %d bytes, notifier.db-wal %d bytes", n, main, wal)
			cp := filepath.Join(t.TempDir(), "copy.db")
			if err := os.WriteFile(cp, body, 0o600); err != nil {
				t.Fatal(err)
			}
			out, errs, code := (&env{t: t, dir: dir, config: config}).run("status", "--db", cp, "--format", "json")
			if code != 0 {
				t.Fatalf("status --db on a copy of notifier.db alone: exit %d: %s", code, errs)
			}
			var rows []statusRow
			if err := json.Unmarshal([]byte(out), &rows); err != nil {
				t.Fatalf("status json: %v\n%s", err, out)
			}
			if len(rows) != n || rows[0].ID != "cred-0000" || rows[n-1].ID != "cred-0999" {
				t.Errorf("the copy shows %d credentials, want cred-0000 … cred-0999 (%d)", len(rows), n)
			}
		})
	}
}

// fileSize is the size of the file at path, 0 if there is none.
func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
