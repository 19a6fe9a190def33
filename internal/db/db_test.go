package db

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestOpenMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifier.db")
	d, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if d.Path() != path {
		t.Errorf("Path = %q, want %q", d.Path(), path)
	}
	ms, err := d.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Version != 1 || ms[0].Name != "0001_init" {
		t.Fatalf("migrations = %+v, want only 0001_init", ms)
	}
	if _, err := ParseTime(ms[0].AppliedAt); err != nil {
		t.Errorf("applied_at %q is not RFC 3339: %v", ms[0].AppliedAt, err)
	}
	applied := ms[0].AppliedAt
	addCredential(t, d, "one", t0)
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopening applies nothing and keeps the data.
	d, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open: %v", err)
	}
	defer d.Close()
	ms, err = d.Migrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].AppliedAt != applied {
		t.Errorf("after reopen migrations = %+v, want the one applied at %s", ms, applied)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM credentials`); n != 1 {
		t.Errorf("%d credentials after reopen, want 1", n)
	}
}

func TestOpenPragmas(t *testing.T) {
	d := openTemp(t)
	if mode := rawString(t, d, `PRAGMA journal_mode`); mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
	if fk := count(t, d, `PRAGMA foreign_keys`); fk != 1 {
		t.Errorf("foreign_keys = %d, want 1", fk)
	}
	if bt := count(t, d, `PRAGMA busy_timeout`); bt != 10000 {
		t.Errorf("busy_timeout = %d, want 10000", bt)
	}
	// Foreign keys are enforced: a rotation of an unknown credential fails.
	err := d.Update(ctx, func(tx *Tx) error {
		_, err := tx.InsertRotation(Rotation{CredentialID: "ghost", RotatedAt: t0, Source: "cli"}, t0)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		t.Errorf("rotation of an unknown credential: err = %v, want a foreign key failure", err)
	}
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db?mode=memory"} {
		if d, err := Open(ctx, p); err == nil {
			d.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func TestAppendOnly(t *testing.T) {
	d := openTemp(t)
	rid := addCredential(t, d, "one", t0)
	addAck(t, d, "one", rid, at(time.Hour), "alice")
	tests := []struct {
		stmt, msg string
	}{
		{`UPDATE rotations SET note = 'x'`, "rotations are append-only"},
		{`DELETE FROM rotations`, "rotations are append-only"},
		{`UPDATE acknowledgments SET actor = 'mallory'`, "acknowledgments are append-only"},
		{`DELETE FROM acknowledgments`, "acknowledgments are append-only"},
		{`UPDATE events SET detail = 'x'`, "events are append-only"},
		{`DELETE FROM events`, "events are append-only"},
		{`DELETE FROM credentials`, "credentials are never deleted; they become inactive"},
	}
	for _, tt := range tests {
		_, err := d.SQL().ExecContext(ctx, tt.stmt)
		if err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: err = %v, want %q", tt.stmt, err, tt.msg)
		}
	}
	// Nothing changed.
	if n := count(t, d, `SELECT COUNT(*) FROM rotations WHERE note = ''`); n != 1 {
		t.Errorf("rotations: %d unchanged rows, want 1", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM acknowledgments WHERE actor = 'alice'`); n != 1 {
		t.Errorf("acknowledgments: %d unchanged rows, want 1", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM events WHERE detail != 'x'`); n != 2 {
		t.Errorf("events: %d unchanged rows, want 2 (rotation, ack)", n)
	}
	if n := count(t, d, `SELECT COUNT(*) FROM credentials`); n != 1 {
		t.Errorf("credentials: %d rows, want 1", n)
	}
	// Credentials may be updated (made inactive), deliveries change status.
	if _, err := d.SQL().ExecContext(ctx, `UPDATE credentials SET active = 0`); err != nil {
		t.Errorf("deactivating a credential: %v", err)
	}
}

func TestUpdateRollsBack(t *testing.T) {
	d := openTemp(t)
	boom := errors.New("boom")
	err := d.Update(ctx, func(tx *Tx) error {
		if err := tx.PutCredential(Credential{ID: "one", Name: "One", RotationPeriod: "180d", Policy: "standard",
			ConfigRotatedAt: t0, Active: true}, t0); err != nil {
			return err
		}
		rid, err := tx.InsertRotation(Rotation{CredentialID: "one", RotatedAt: t0, Source: "config"}, t0)
		if err != nil {
			return err
		}
		if _, _, err := tx.InsertDelivery(Delivery{RotationID: rid, CredentialID: "one", Stage: "7d", Channel: "c",
			Status: StatusPending, Due: t0, NextAttemptAt: t0}, t0); err != nil {
			return err
		}
		if err := tx.InsertEvent(Event{Time: t0, Type: EventConfig, Detail: "x"}); err != nil {
			return err
		}
		// Inside the transaction, the writes are visible.
		if _, err := tx.Credential("one"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v, want fn's error", err)
	}
	for _, table := range []string{"credentials", "rotations", "deliveries", "events", "acknowledgments"} {
		if n := count(t, d, `SELECT COUNT(*) FROM `+table); n != 0 {
			t.Errorf("%s: %d rows after a rolled-back Update, want 0", table, n)
		}
	}
	// A later Update works: the failed one left no lock behind.
	addCredential(t, d, "one", t0)
	update(t, d, func(tx *Tx) error {
		c, err := tx.Credential("one")
		if err != nil {
			return err
		}
		if c.Name != "one name" || !c.Active || !c.ConfigRotatedAt.Equal(t0) {
			t.Errorf("credential = %+v", c)
		}
		if _, err := tx.Credential("two"); !errors.Is(err, ErrNotFound) {
			t.Errorf("Credential(two) err = %v, want ErrNotFound", err)
		}
		return nil
	})
}

func TestInsertDeliveryIdempotent(t *testing.T) {
	d := openTemp(t)
	rid := addCredential(t, d, "one", t0)
	first := Delivery{RotationID: rid, CredentialID: "one", Stage: "7d", Seq: 0, Channel: "slack",
		Status: StatusPending, Due: at(173 * day), NextAttemptAt: at(173 * day)}
	var id1 int64
	update(t, d, func(tx *Tx) error {
		var ins bool
		var err error
		id1, ins, err = tx.InsertDelivery(first, at(173*day))
		if err != nil || !ins || id1 == 0 {
			t.Errorf("first insert = %d, %v, %v; want a new row", id1, ins, err)
		}
		return err
	})
	// Same key, different everything else: refused quietly, nothing changes.
	again := first
	again.Status, again.LastError, again.Due = StatusSkipped, "other", at(174*day)
	update(t, d, func(tx *Tx) error {
		id, ins, err := tx.InsertDelivery(again, at(174*day))
		if err != nil || ins || id != 0 {
			t.Errorf("second insert = %d, %v, %v; want 0, false, nil", id, ins, err)
		}
		return err
	})
	all, err := d.Deliveries(ctx, "one")
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 1 || all[0].ID != id1 || all[0].Status != StatusPending || !all[0].Due.Equal(first.Due) {
		t.Errorf("deliveries = %+v, want only the first", all)
	}
	// Each part of the key makes a new row.
	for _, other := range []Delivery{
		{Stage: "24h", Seq: 0, Channel: "slack"},
		{Stage: "7d", Seq: 1, Channel: "slack"},
		{Stage: "7d", Seq: 0, Channel: "email"},
	} {
		other.RotationID, other.CredentialID, other.Status, other.Due = rid, "one", StatusPending, t0
		update(t, d, func(tx *Tx) error {
			_, ins, err := tx.InsertDelivery(other, t0)
			if !ins {
				t.Errorf("%+v was not inserted", other)
			}
			return err
		})
	}
	rid2 := addRotation(t, d, "one", at(10*day), "cli")
	update(t, d, func(tx *Tx) error {
		d2 := first
		d2.RotationID = rid2
		_, ins, err := tx.InsertDelivery(d2, t0)
		if !ins {
			t.Error("the same stage in a new cycle was not inserted")
		}
		return err
	})
	if n := count(t, d, `SELECT COUNT(*) FROM deliveries`); n != 5 {
		t.Errorf("%d deliveries, want 5", n)
	}
}

func TestTimesStoredAsUTCText(t *testing.T) {
	d := openTemp(t)
	berlin, _ := time.LoadLocation("Europe/Berlin")
	rotated := time.Date(2026, 6, 1, 2, 0, 0, 0, berlin) // 2026-06-01T00:00:00Z
	update(t, d, func(tx *Tx) error {
		return tx.PutCredential(Credential{ID: "one", Name: "One", RotationPeriod: "180d", Policy: "standard",
			ExpiresAt: time.Date(2026, 12, 1, 1, 0, 0, 0, berlin), ConfigRotatedAt: rotated, Active: true},
			time.Date(2026, 6, 1, 2, 0, 0, 999_000_000, berlin))
	})
	rid := addRotation(t, d, "one", rotated, "cli")
	addAck(t, d, "one", rid, rotated.Add(90*time.Minute), "alice")
	tests := []struct{ query, want string }{
		{`SELECT config_rotated_at FROM credentials`, "2026-06-01T00:00:00Z"},
		{`SELECT expires_at FROM credentials`, "2026-12-01T00:00:00Z"},
		{`SELECT created_at FROM credentials`, "2026-06-01T00:00:00Z"}, // whole seconds
		{`SELECT rotated_at FROM rotations`, "2026-06-01T00:00:00Z"},
		{`SELECT acked_at FROM acknowledgments`, "2026-06-01T01:30:00Z"},
		{`SELECT time FROM events WHERE type = 'rotation'`, "2026-06-01T00:00:00Z"},
		{`SELECT detail FROM events WHERE type = 'rotation'`, "rotated at 2026-06-01T00:00:00Z (source cli)"},
	}
	for _, tt := range tests {
		if got := rawString(t, d, tt.query); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.query, got, tt.want)
		}
	}
	if n := count(t, d, `SELECT COUNT(*) FROM credentials WHERE expires_at IS NULL`); n != 0 {
		t.Errorf("expires_at stored as NULL")
	}
	update(t, d, func(tx *Tx) error {
		return tx.PutCredential(Credential{ID: "two", Name: "Two", RotationPeriod: "1d", Policy: "p", ConfigRotatedAt: t0, Active: true}, t0)
	})
	if n := count(t, d, `SELECT COUNT(*) FROM credentials WHERE id = 'two' AND expires_at IS NULL`); n != 1 {
		t.Error("a zero expires_at is not stored as NULL")
	}
	if got := FormatTime(time.Date(2026, 6, 1, 2, 0, 0, 0, berlin)); got != "2026-06-01T00:00:00Z" {
		t.Errorf("FormatTime = %q", got)
	}
}

// The database is the file named, whatever characters its path holds.
func TestOpenOddPaths(t *testing.T) {
	for _, name := range []string{"with space", "hash#mark", "question?mark", "percent%41sign", "colon:x"} {
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "notifier.db")
		d, err := Open(ctx, path)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		addCredential(t, d, "one", t0)
		mode := rawString(t, d, `PRAGMA journal_mode`)
		fk := count(t, d, `PRAGMA foreign_keys`)
		d.Close()
		if mode != "wal" || fk != 1 {
			t.Errorf("%s: journal_mode %q foreign_keys %d", name, mode, fk)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("%s: the database is not at %s: %v", name, path, err)
		}
		ents, _ := os.ReadDir(filepath.Dir(dir))
		if len(ents) != 1 {
			t.Errorf("%s: stray files next to the folder: %v", name, ents)
		}
	}
}
