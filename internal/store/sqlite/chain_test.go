package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
	"github.com/notifier-dev/notifier/internal/store/storetest"
	"github.com/notifier-dev/notifier/migrations"
)

// auditKey is a test key of the minimum length; not a secret.
var auditKey = []byte(strings.Repeat("k", chain.MinKeyLen))

// seedHistory writes a history of every kind of event: credentials added
// with their rotations, a skipped stage, a retried then sent reminder, an
// acknowledgment, a rotation and the reminder it superseded. 12 events
// (13 with the audit event of a keyed store).
func seedHistory(t *testing.T, s *Store) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := s.SyncFile(ctx, domain.ConfigFile{Path: "c.yaml", ModTime: t0},
		[]domain.Credential{credential("alpha"), credential("beta"), credential("gamma")}, domain.SyncOptions{}, t0)
	must(err)
	plan := func(id string, at time.Time, ds ...domain.Delivery) {
		c, err := s.Cycle(ctx, id)
		must(err)
		_, err = s.RecordPlans(ctx, []domain.Plan{{CredentialID: id, RotationID: c.RotationID, PlannedFrom: c.NextAction, Deliveries: ds, NextAction: c.NextAction}}, at)
		must(err)
	}
	plan("alpha", t0, domain.Delivery{Stage: "30d", Channel: "ops", Status: domain.StatusPending, Due: t0},
		domain.Delivery{Stage: "30d", Channel: "mail", Status: domain.StatusSkipped, Due: t0, LastError: "missed"})
	attempt := func(at time.Time, status string, n int) {
		cl, err := s.ClaimDeliveries(ctx, "w1", "ops", at, at.Add(time.Minute), 10)
		must(err)
		if len(cl) != 1 {
			t.Fatalf("claimed %d deliveries at %s, want 1", len(cl), at)
		}
		d := cl[0]
		must(s.RecordOutcomes(ctx, "w1", []domain.Outcome{{DeliveryID: d.ID, Status: status, Attempts: n, NextAttemptAt: at.Add(time.Minute),
			Event: domain.Event{Time: at, Type: domain.EventReminder, CredentialID: d.CredentialID, RotationID: d.RotationID, DeliveryID: d.ID,
				Stage: d.Stage, Channel: d.Channel, Status: status, Detail: fmt.Sprintf("attempt %d", n)}}}))
	}
	attempt(t0.Add(time.Hour), domain.StatusRetry, 1)
	attempt(t0.Add(2*time.Hour), domain.StatusSent, 2)
	_, err = s.RecordAck(ctx, domain.Ack{CredentialID: "alpha", At: t0.Add(3 * time.Hour), Actor: "alice", Source: "cli"})
	must(err)
	plan("beta", t0.Add(3*time.Hour), domain.Delivery{Stage: "30d", Channel: "ops", Status: domain.StatusPending, Due: t0})
	must(s.RecordRotation(ctx, domain.Rotation{CredentialID: "beta", RotatedAt: t0.Add(4 * time.Hour), Source: "cli", Actor: "bob"}, t0.Add(4*time.Hour)))
}

// tamper runs statements on the database as someone with the file would,
// the append-only triggers dropped first.
func tamper(t *testing.T, s *Store, stmts ...string) {
	t.Helper()
	all := []string{`DROP TRIGGER IF EXISTS event_chain_no_update`}
	for _, table := range []string{"events", "rotations", "acknowledgments", "cycle_terms"} {
		all = append(all, `DROP TRIGGER IF EXISTS `+table+`_no_update`, `DROP TRIGGER IF EXISTS `+table+`_no_delete`)
	}
	all = append(all, stmts...)
	for _, st := range all {
		if _, err := s.db.ExecContext(t.Context(), st); err != nil {
			t.Fatalf("%s: %v", st, err)
		}
	}
}

// rehash recomputes the stored hashes from row `from` on with the given key
// (nil: SHA-256), as someone with the file and the published encoding can.
func rehash(t *testing.T, s *Store, from int64, key []byte) {
	t.Helper()
	ctx := t.Context()
	prev := chain.Genesis
	if from > 1 {
		if err := s.db.QueryRowContext(ctx, `SELECT hash FROM events WHERE id = ?`, from-1).Scan(&prev); err != nil {
			t.Fatal(err)
		}
	}
	q, err := s.db.QueryContext(ctx, `SELECT `+sqlstore.EventColumns+` FROM events WHERE id >= ? ORDER BY id`, from)
	if err != nil {
		t.Fatal(err)
	}
	var rows []chain.Row
	for q.Next() {
		r, err := sqlstore.ScanEvent(q)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	q.Close()
	h := chain.NewHasher(key)
	for _, r := range rows {
		prev = h.Sum(nil, prev, &r)
		tamper(t, s, fmt.Sprintf(`UPDATE events SET hash = x'%x' WHERE id = %d`, prev, r.ID))
	}
}

func verify(t *testing.T, s *Store, opts chain.Options) chain.Report {
	t.Helper()
	rep, err := s.VerifyChain(t.Context(), opts)
	if err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	return rep
}

func wantProblem(t *testing.T, rep chain.Report, row int64, kind string) {
	t.Helper()
	if rep.Problem == nil {
		t.Fatalf("VerifyChain: intact (%d rows), want row %d %s", rep.Rows, row, kind)
	}
	if rep.Problem.Row != row || rep.Problem.Kind != kind {
		t.Errorf("VerifyChain: row %d %s (%s), want row %d %s", rep.Problem.Row, rep.Problem.Kind, rep.Problem.Detail, row, kind)
	}
	if row != 0 && !strings.Contains(rep.Problem.Detail, fmt.Sprintf("row %d ", row)) {
		t.Errorf("the problem %q does not name row %d", rep.Problem.Detail, row)
	}
}

// TestVerifyNamesTheTamperedRow: each change someone with the file can
// make to the history is found, and the row named, with the kind of change.
func TestVerifyNamesTheTamperedRow(t *testing.T) {
	const (
		cols = `time, type, credential_id, rotation_id, delivery_id, stage, channel, status, actor, detail`
		// copyRows keeps rows 7 and 8 (a retry and a sent reminder of
		// alpha) as they were.
		copyRows = `CREATE TEMP TABLE was AS SELECT * FROM events WHERE id IN (7, 8)`
		// swap exchanges the contents of rows 7 and 8, hashes included.
		swap = `UPDATE events SET (` + cols + `, hash) = (SELECT ` + cols + `, hash FROM was WHERE was.id = 15 - events.id) WHERE id IN (7, 8)`
		// swapContent exchanges their contents and keeps the hashes.
		swapContent = `UPDATE events SET (` + cols + `) = (SELECT ` + cols + ` FROM was WHERE was.id = 15 - events.id) WHERE id IN (7, 8)`
	)
	cases := []struct {
		name  string
		stmts []string
		row   int64
		kind  string
	}{
		{"an acknowledgment's actor rewritten", []string{`UPDATE events SET actor = 'mallory' WHERE type = 'ack'`}, 10, chain.KindEdited},
		{"a reminder's time moved", []string{`UPDATE events SET time = '2026-05-01T00:00:00Z' WHERE id = 8`}, 8, chain.KindEdited},
		{"a NULL made empty", []string{`UPDATE events SET delivery_id = 0 WHERE id = 2`}, 2, chain.KindEdited},
		{"a row deleted", []string{`DELETE FROM events WHERE id = 7`}, 8, chain.KindDeleted},
		{"a row deleted and the ids closed up", []string{`DELETE FROM events WHERE id = 7`,
			`UPDATE events SET id = id + 1000 WHERE id > 7`, `UPDATE events SET id = id - 1001 WHERE id > 1000`}, 7, chain.KindDeleted},
		{"two rows swapped", []string{copyRows, swap}, 7, chain.KindReordered},
		{"two rows' contents swapped", []string{copyRows, swapContent}, 7, chain.KindReordered},
		{"a row inserted, the ids after it moved up", []string{`UPDATE events SET id = id + 1000 WHERE id >= 6`,
			`UPDATE events SET id = id - 999 WHERE id > 1000`,
			`INSERT INTO events (id, time, type, credential_id, status, actor, detail, hash)
				SELECT 6, time, 'ack', credential_id, 'cli', 'mallory', 'acknowledged via cli', hash FROM events WHERE id = 7`}, 6, chain.KindInserted},
		{"a row appended by hand", []string{`INSERT INTO events (time, type, credential_id, status, actor, detail)
			VALUES ('2026-06-02T00:00:00Z', 'ack', 'beta', 'cli', 'mallory', 'acknowledged via cli')`}, 13, chain.KindMismatch},
		{"the last row edited", []string{`UPDATE events SET detail = 'nothing' WHERE id = 12`}, 12, chain.KindMismatch},
		{"a hash removed", []string{`UPDATE events SET hash = NULL WHERE id = 4`}, 4, chain.KindMismatch},
		{"the chain's start moved past an edited row", []string{`UPDATE events SET actor = 'mallory' WHERE id = 3`,
			`UPDATE event_chain SET start_id = 4`}, 4, chain.KindEdited},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			seedHistory(t, s)
			clean := verify(t, s, chain.Options{})
			if clean.Problem != nil || clean.Rows != 12 {
				t.Fatalf("before tampering: %d rows, problem %+v; want 12 intact", clean.Rows, clean.Problem)
			}
			tamper(t, s, tc.stmts...)
			wantProblem(t, verify(t, s, chain.Options{}), tc.row, tc.kind)
		})
	}
}

// TestVerifyChecksTheTablesAgainstTheChain: the tables auditors read hold
// the same facts as the chained events; a rotation, acknowledgment or
// delivery outcome changed (or cut) in its table alone is found, though
// the chain itself is intact; so is a retraction added by hand.
func TestVerifyChecksTheTablesAgainstTheChain(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		want  string
	}{
		{"an acknowledgment's actor and time rewritten", []string{`UPDATE acknowledgments SET actor = 'mallory', acked_at = '2026-06-01T01:00:00Z'`},
			"acknowledgment 1 (alpha at 2026-06-01T01:00:00Z by mallory (source cli)) has no matching event"},
		{"a rotation back-dated", []string{`UPDATE rotations SET rotated_at = '2026-06-01T02:00:00Z' WHERE id = 4`},
			"rotation 4 (beta at 2026-06-01T02:00:00Z (source cli, by bob)) has no matching event"},
		{"a rotation added by hand", []string{`INSERT INTO rotations (credential_id, rotated_at, source, actor, recorded_at)
			VALUES ('gamma', '2026-06-01T05:00:00Z', 'cli', 'mallory', '2026-06-01T05:00:00Z')`}, "rotation 5 (gamma"},
		{"a superseded reminder made sent", []string{`UPDATE deliveries SET status = 'sent' WHERE status = 'superseded'`},
			"delivery 3 (beta 30d to ops, sent) has no matching event"},
		{"the tail of the events cut", []string{`DELETE FROM events WHERE id > 10`}, "rotation 4 "},
		{"a retraction added by hand", []string{`INSERT INTO retractions (credential_id, kind, target_id, retracted_at, actor, reason, recorded_at)
			VALUES ('beta', 'rotation', 4, '2026-06-01T05:00:00Z', 'mallory', 'never happened', '2026-06-01T05:00:00Z')`},
			"retraction 1 (beta rotation 4 at 2026-06-01T05:00:00Z by mallory) has no matching event in it: the retractions table was changed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openTemp(t)
			seedHistory(t, s)
			tamper(t, s, tc.stmts...)
			rep := verify(t, s, chain.Options{})
			if rep.Problem == nil || rep.Problem.Kind != chain.KindTable || !strings.Contains(rep.Problem.Detail, tc.want) {
				t.Errorf("problem %+v, want %s saying %q", rep.Problem, chain.KindTable, tc.want)
			}
		})
	}
}

// TestVerifyExpectHeadCatchesACutTail: the rows after a noted head deleted
// leave a chain that verifies by itself; the noted head is missing from it.
func TestVerifyExpectHeadCatchesACutTail(t *testing.T) {
	s := openTemp(t)
	seedHistory(t, s)
	noted := verify(t, s, chain.Options{})
	// The last two events are beta's rotation and the reminder it
	// superseded; cut with the rows they record, the tables agree with
	// the chain.
	tamper(t, s, `DELETE FROM events WHERE id > 10`, `UPDATE credentials SET rotation_id = 2 WHERE id = 'beta'`,
		`DELETE FROM cycle_terms WHERE rotation_id = 4`, `DELETE FROM rotations WHERE id = 4`, `UPDATE deliveries SET status = 'pending' WHERE status = 'superseded'`)
	cut := verify(t, s, chain.Options{})
	if cut.Problem != nil || cut.Rows != 10 {
		t.Fatalf("the cut chain by itself: %d rows, problem %+v; want 10 intact", cut.Rows, cut.Problem)
	}
	wantProblem(t, verify(t, s, chain.Options{ExpectHead: noted.Head}), 0, chain.KindCut)

	// A head noted before the cut is still found.
	var h10 []byte
	if err := s.db.QueryRowContext(t.Context(), `SELECT hash FROM events WHERE id = 10`).Scan(&h10); err != nil {
		t.Fatal(err)
	}
	if rep := verify(t, s, chain.Options{ExpectHead: h10}); rep.Problem != nil || rep.ExpectedAt != 10 {
		t.Errorf("head of row 10: found at %d, problem %+v; want row 10", rep.ExpectedAt, rep.Problem)
	}
}

// TestVerifyWithAuditKey: a keyed chain verifies with its key only, and a
// chain recomputed without the key is told from the real one.
func TestVerifyWithAuditKey(t *testing.T) {
	keyed := func(t *testing.T) *Store {
		s, err := Open(t.Context(), filepath.Join(t.TempDir(), "notifier.db"), WithAuditKey(auditKey))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		seedHistory(t, s)
		return s
	}
	t.Run("intact with the key; the first event says the chain is keyed", func(t *testing.T) {
		s := keyed(t)
		rep := verify(t, s, chain.Options{Key: auditKey})
		if rep.Problem != nil || rep.Rows != 13 || rep.KeyedFrom != 1 || !rep.Keyed {
			t.Fatalf("%d rows keyed from %d (recorded %v), problem %+v; want 13 rows keyed from 1", rep.Rows, rep.KeyedFrom, rep.Keyed, rep.Problem)
		}
		evs, err := s.History(t.Context(), domain.HistoryFilter{Type: domain.EventAudit})
		if err != nil || len(evs) != 1 || evs[0].ID != 1 || evs[0].Status != "keyed" {
			t.Errorf("audit events %+v (%v), want one, keyed, first", evs, err)
		}
	})
	t.Run("without the key or with another it is not verified", func(t *testing.T) {
		s := keyed(t)
		wantProblem(t, verify(t, s, chain.Options{}), 0, chain.KindKey)
		wantProblem(t, verify(t, s, chain.Options{Key: []byte(strings.Repeat("x", 32))}), 0, chain.KindKey)
	})
	t.Run("recomputed without the key from a row on", func(t *testing.T) {
		s := keyed(t)
		tamper(t, s, `UPDATE events SET actor = 'mallory' WHERE type = 'ack'`)
		rehash(t, s, 11, nil)
		wantProblem(t, verify(t, s, chain.Options{Key: auditKey}), 11, chain.KindUnkeyed)
	})
	t.Run("recomputed without the key whole, the key record erased", func(t *testing.T) {
		s := keyed(t)
		tamper(t, s, `UPDATE events SET actor = 'mallory' WHERE type = 'ack'`, `UPDATE acknowledgments SET actor = 'mallory'`,
			`UPDATE event_chain SET key_id = NULL`)
		rehash(t, s, 1, nil)
		if rep := verify(t, s, chain.Options{}); rep.Problem != nil {
			t.Fatalf("without the key the forgery passes as SHA-256 (%+v): the key is what tells", rep.Problem)
		}
		wantProblem(t, verify(t, s, chain.Options{Key: auditKey}), 0, chain.KindUnkeyed)
	})
	t.Run("appending without the key, or with another, is refused", func(t *testing.T) {
		s := keyed(t)
		for _, key := range [][]byte{nil, []byte(strings.Repeat("x", 32))} {
			other, err := Open(t.Context(), s.Path(), WithAuditKey(key))
			if err != nil {
				t.Fatal(err)
			}
			err = other.RecordRotation(t.Context(), domain.Rotation{CredentialID: "gamma", RotatedAt: t0.Add(5 * time.Hour), Source: "cli"}, t0.Add(5*time.Hour))
			other.Close()
			if err == nil || !strings.HasPrefix(err.Error(), "audit.key: ") || strings.Contains(err.Error(), string(auditKey)) {
				t.Errorf("appending with key %q: %v, want refused naming audit.key", key, err)
			}
		}
		if rep := verify(t, s, chain.Options{Key: auditKey}); rep.Problem != nil || rep.Rows != 13 {
			t.Errorf("after the refusals: %d rows, %+v; want the 13 intact", rep.Rows, rep.Problem)
		}
	})
	t.Run("a key set later keys the chain from its audit event on", func(t *testing.T) {
		s := openTemp(t)
		seedHistory(t, s)
		k, err := Open(t.Context(), s.Path(), WithAuditKey(auditKey))
		if err != nil {
			t.Fatal(err)
		}
		defer k.Close()
		if _, err := k.RecordAck(t.Context(), domain.Ack{CredentialID: "gamma", At: t0.Add(5 * time.Hour), Actor: "carol", Source: "cli"}); err != nil {
			t.Fatal(err)
		}
		rep := verify(t, k, chain.Options{Key: auditKey})
		if rep.Problem != nil || rep.Rows != 14 || rep.KeyedFrom != 13 {
			t.Fatalf("%d rows keyed from %d, problem %+v; want 14 rows keyed from 13 (the audit event)", rep.Rows, rep.KeyedFrom, rep.Problem)
		}
	})
}

// TestUpgradeFrom0002StartsTheChain: a database made before the chain keeps
// its events, unhashed; the chain starts at the next one, and verify says
// how many it does not cover.
func TestUpgradeFrom0002StartsTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old := databaseAt0002(t, path,
		`INSERT INTO credentials (id, name, owner, rotation_period, policy, config_rotated_at, active, created_at, updated_at, file, next_action_at)
			VALUES ('alpha', 'Alpha', 'team', '180d', 'default', '2026-01-01T00:00:00Z', 1, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', 'c.yaml', '2026-06-01T00:00:00Z')`,
		`INSERT INTO rotations (id, credential_id, rotated_at, source, recorded_at) VALUES (1, 'alpha', '2026-01-01T00:00:00Z', 'config', '2026-01-01T00:00:00Z')`,
		`UPDATE credentials SET rotation_id = 1`,
		`INSERT INTO events (time, type, credential_id, rotation_id, status, detail) VALUES
			('2026-01-01T00:00:00Z', 'credential', 'alpha', NULL, 'added', 'Alpha'),
			('2026-01-01T00:00:00Z', 'rotation', 'alpha', 1, 'config', 'rotated at 2026-01-01T00:00:00Z (source config)'),
			('2026-05-02T00:00:00Z', 'reminder', 'alpha', 1, 'sent', '30d')`)
	s := upgrade(t, old, path)
	rep := verify(t, s, chain.Options{})
	if rep.Problem != nil || rep.Start != 4 || rep.Before != 3 || rep.Rows != 0 {
		t.Fatalf("after the upgrade: start %d, %d before, %d rows, problem %+v; want start 4, 3 before, 0 rows", rep.Start, rep.Before, rep.Rows, rep.Problem)
	}
	if _, err := ParseTime(rep.StartedAt); err != nil {
		t.Errorf("chain started at %q: %v", rep.StartedAt, err)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM events WHERE hash IS NOT NULL`); n != 0 {
		t.Errorf("%d old events were given a hash, want none", n)
	}
	if _, err := s.RecordAck(t.Context(), domain.Ack{CredentialID: "alpha", At: t0, Actor: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	rep = verify(t, s, chain.Options{})
	if rep.Problem != nil || rep.Rows != 1 || rep.HeadID != 4 {
		t.Errorf("after an acknowledgment: %d rows to event %d, problem %+v; want 1 row, event 4", rep.Rows, rep.HeadID, rep.Problem)
	}
	// The old events stay outside the chain: editing them is not seen,
	// which verify says by counting them.
	tamper(t, s, `UPDATE events SET status = 'failed' WHERE id = 3`)
	if rep := verify(t, s, chain.Options{}); rep.Problem != nil || rep.Before != 3 {
		t.Errorf("an old event edited: %+v, %d before; want intact, 3 not covered", rep.Problem, rep.Before)
	}
}

// TestReadOnlyStore: a read-only store verifies and reads, writes nothing,
// and does not create a missing database.
func TestReadOnlyStore(t *testing.T) {
	s := openTemp(t)
	seedHistory(t, s)
	ro, err := OpenReadOnly(t.Context(), s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if rep := verify(t, ro, chain.Options{}); rep.Problem != nil || rep.Rows != 12 {
		t.Errorf("read-only verify: %d rows, %+v; want 12 intact", rep.Rows, rep.Problem)
	}
	// While the read-only handle reads, the writer goes on.
	if _, err := s.RecordAck(t.Context(), domain.Ack{CredentialID: "gamma", At: t0, Actor: "carol", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if err := ro.RecordRotation(t.Context(), domain.Rotation{CredentialID: "gamma", RotatedAt: t0, Source: "cli"}, t0); err == nil {
		t.Error("a rotation recorded through a read-only store")
	}
	// SQLite itself refuses: the connection is mode=ro.
	if _, err := ro.db.ExecContext(t.Context(), `DELETE FROM leases`); err == nil {
		t.Error("a write on the read-only connection was accepted")
	}
	if rep := verify(t, ro, chain.Options{}); rep.Problem != nil || rep.Rows != 13 {
		t.Errorf("read-only verify after a write: %d rows, %+v; want 13 intact", rep.Rows, rep.Problem)
	}
}

// TestFirstRotationEventsNameTheirRotation: a sync adding credentials in
// batches, listed in no particular order, gives each its rotation and an
// event that names that rotation, its credential and its time (the ids
// are worked out, not read back).
func TestFirstRotationEventsNameTheirRotation(t *testing.T) {
	s := openTemp(t)
	const n = 2*addBatch + 50
	var creds []domain.Credential
	for i := range n {
		k := (i * 7919) % n // a permutation: ids out of order
		c := credential(fmt.Sprintf("cred-%04d", k))
		c.RotatedAt = t0.Add(-time.Duration(k) * time.Hour)
		creds = append(creds, c)
	}
	if _, err := s.SyncFile(t.Context(), domain.ConfigFile{Path: "c.yaml", ModTime: t0}, creds, domain.SyncOptions{}, t0); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s.db, `SELECT COUNT(*) FROM events e JOIN rotations r ON r.id = e.rotation_id
		WHERE e.type = 'rotation' AND r.credential_id = e.credential_id AND r.rotated_at = e.time`); got != n {
		t.Errorf("%d rotation events match their rotation's credential and time, want %d", got, n)
	}
	if got := count(t, s.db, `SELECT COUNT(*) FROM credentials c JOIN rotations r ON r.id = c.rotation_id AND r.credential_id = c.id`); got != n {
		t.Errorf("%d credentials have their own rotation as current cycle, want %d", got, n)
	}
	if rep := verify(t, s, chain.Options{}); rep.Problem != nil || rep.Rows != 2*n {
		t.Errorf("%d rows, %+v; want %d intact", rep.Rows, rep.Problem, 2*n)
	}
}

// TestBackupVerifiesTheChain: a backup's copy is kept only if its history
// verifies; a keyed one is left to verify with the key.
func TestBackupVerifiesTheChain(t *testing.T) {
	s := openTemp(t)
	seedHistory(t, s)
	dir := t.TempDir()
	if _, err := s.Backup(t.Context(), filepath.Join(dir, "clean.db"), false); err != nil {
		t.Fatalf("backup of an intact history: %v", err)
	}
	tamper(t, s, `UPDATE events SET actor = 'mallory' WHERE type = 'ack'`)
	bad := filepath.Join(dir, "tampered.db")
	_, err := s.Backup(t.Context(), bad, false)
	if err == nil || !strings.Contains(err.Error(), "the copy's history does not verify: row 10 ") {
		t.Errorf("backup of a tampered history: %v, want refused naming row 10", err)
	}
	if _, err := os.Stat(bad); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused copy was left at %s (%v)", bad, err)
	}

	k, err := Open(t.Context(), filepath.Join(t.TempDir(), "keyed.db"), WithAuditKey(auditKey))
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	seedHistory(t, k)
	if _, err := k.Backup(t.Context(), filepath.Join(dir, "keyed.db"), false); err != nil {
		t.Errorf("backup of a keyed history: %v", err)
	}
}

// TestEventsOfEveryShapeReadBackAndVerify appends an event of each
// combination of optional columns (credential, rotation, delivery, stage,
// channel, actor), in runs that a statement of one shape writes, one run
// longer than a batch: each reads back exactly as appended, and the chain
// verifies, so no shape binds a column to the wrong place or loses one.
func TestEventsOfEveryShapeReadBackAndVerify(t *testing.T) {
	s := openTemp(t)
	var want []domain.Event
	for shape := range 64 {
		n := 1 + shape%3
		if shape == 63 {
			n = 2*sqlstore.EventBatch + 3
		}
		for i := range n {
			e := domain.Event{Time: t0.Add(time.Duration(len(want)) * time.Second), Type: domain.EventReminder,
				Status: fmt.Sprintf("s%d", shape), Detail: fmt.Sprintf("shape %d, %d of %d", shape, i+1, n)}
			if shape&1 != 0 {
				e.CredentialID = fmt.Sprintf("cred-%d", shape)
			}
			if shape&2 != 0 {
				e.RotationID = int64(1000 + shape)
			}
			if shape&4 != 0 {
				e.DeliveryID = int64(2000 + shape)
			}
			if shape&8 != 0 {
				e.Stage = "7d"
			}
			if shape&16 != 0 {
				e.Channel = "ops"
			}
			if shape&32 != 0 {
				e.Actor = "alice"
			}
			want = append(want, e)
		}
	}
	if err := s.Update(t.Context(), func(tx *sqlstore.Tx) error {
		for _, e := range want {
			if err := tx.InsertEvent(e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.History(t.Context(), domain.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d events, appended %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		g.ID = 0
		if !g.Time.Equal(w.Time) || g.Type != w.Type || g.CredentialID != w.CredentialID || g.RotationID != w.RotationID ||
			g.DeliveryID != w.DeliveryID || g.Stage != w.Stage || g.Channel != w.Channel || g.Status != w.Status ||
			g.Actor != w.Actor || g.Detail != w.Detail {
			t.Fatalf("event %d read back as %+v, appended %+v", i+1, g, w)
		}
	}
	// The optional columns left out are NULL or '', as the canonical rows
	// that were hashed have them.
	noCredential := 0
	for _, e := range want {
		if e.CredentialID == "" {
			noCredential++
		}
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM events WHERE credential_id IS NULL`); n != noCredential {
		t.Errorf("%d events with a NULL credential_id, want %d", n, noCredential)
	}
	if n := count(t, s.db, `SELECT COUNT(*) FROM events WHERE stage IS NULL OR channel IS NULL OR actor IS NULL`); n != 0 {
		t.Errorf("%d events with a NULL stage, channel or actor, want none ('' when empty)", n)
	}
	rep := verify(t, s, chain.Options{})
	if rep.Problem != nil || rep.Rows != int64(len(want)) {
		t.Fatalf("verify: %d rows, problem %v; want %d rows and none", rep.Rows, rep.Problem, len(want))
	}
}

// TestUpgradeFrom0008KeepsTheChain: a database built by the migrations
// before 0009, with a chain of version 1 rows, migrates; verify still
// names where the chain starts and passes, and covers the recorded_at of
// the rows written since (storetest.CheckUpgradedChain).
func TestUpgradeFrom0008KeepsTheChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite3", "file:"+path+"?_foreign_keys=on")
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`}
	files, err := migrationFiles().Files()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if f.Version >= 9 {
			break
		}
		body, err := fs.ReadFile(migrations.FS, f.Path)
		if err != nil {
			t.Fatal(err)
		}
		stmts = append(stmts, string(body), fmt.Sprintf(`INSERT INTO schema_migrations VALUES (%d, '%s', '2026-02-01T08:00:00Z')`, f.Version, f.Name))
	}
	for _, r := range storetest.OldEvents(1, 3) {
		stmts = append(stmts, fmt.Sprintf(`INSERT INTO events (id, time, type, status, detail, hash) VALUES (%d, '%s', '%s', '%s', '%s', x'%x')`,
			r.ID, r.Time, r.Type, r.Status, r.Detail, r.Hash))
	}
	for _, st := range stmts {
		if _, err := old.ExecContext(t.Context(), st); err != nil {
			t.Fatalf("%.60s: %v", st, err)
		}
	}
	s := upgrade(t, old, path)
	storetest.CheckUpgradedChain(t, s, 1, 3, func(stmt string) { tamper(t, s, stmt) })
}
