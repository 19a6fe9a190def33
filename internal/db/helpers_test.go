package db

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

var ctx = context.Background()

// t0 is the reference moment of the tests.
var t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const day = 24 * time.Hour

func openTemp(t *testing.T) *DB {
	t.Helper()
	d, err := Open(ctx, filepath.Join(t.TempDir(), "notifier.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func update(t *testing.T, d *DB, fn func(tx *Tx) error) {
	t.Helper()
	if err := d.Update(ctx, fn); err != nil {
		t.Fatal(err)
	}
}

// addCredential puts an active credential and its first rotation at rotated;
// it returns the rotation id.
func addCredential(t *testing.T, d *DB, id string, rotated time.Time) int64 {
	t.Helper()
	var rid int64
	update(t, d, func(tx *Tx) error {
		if err := tx.PutCredential(Credential{ID: id, Name: id + " name", Owner: "ops", RotationPeriod: "180d",
			Policy: "standard", ConfigRotatedAt: rotated, Active: true}, rotated); err != nil {
			return err
		}
		var err error
		rid, err = tx.InsertRotation(Rotation{CredentialID: id, RotatedAt: rotated, Source: "config"}, rotated)
		return err
	})
	return rid
}

func addRotation(t *testing.T, d *DB, id string, rotated time.Time, source string) int64 {
	t.Helper()
	var rid int64
	update(t, d, func(tx *Tx) error {
		var err error
		rid, err = tx.InsertRotation(Rotation{CredentialID: id, RotatedAt: rotated, Source: source, Actor: "alice"}, rotated)
		return err
	})
	return rid
}

// addPending enqueues a pending delivery due at next.
func addPending(t *testing.T, d *DB, rid int64, cred, stage string, seq int, channel string, next time.Time) int64 {
	t.Helper()
	var id int64
	update(t, d, func(tx *Tx) error {
		var ins bool
		var err error
		id, ins, err = tx.InsertDelivery(Delivery{RotationID: rid, CredentialID: cred, Stage: stage, Seq: seq, Channel: channel,
			Status: StatusPending, Due: next, NextAttemptAt: next}, next)
		if err == nil && !ins {
			t.Fatalf("delivery %s/%s/%d/%s already existed", cred, stage, seq, channel)
		}
		return err
	})
	return id
}

func addAck(t *testing.T, d *DB, cred string, rid int64, when time.Time, by string) {
	t.Helper()
	update(t, d, func(tx *Tx) error {
		_, err := tx.InsertAck(Ack{CredentialID: cred, RotationID: rid, At: when, Actor: by, Source: "cli"})
		return err
	})
}

func deliveryByID(t *testing.T, d *DB, id int64) Delivery {
	t.Helper()
	all, err := d.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range all {
		if x.ID == id {
			return x
		}
	}
	t.Fatalf("no delivery %d", id)
	return Delivery{}
}

func count(t *testing.T, d *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func rawString(t *testing.T, d *DB, query string, args ...any) string {
	t.Helper()
	var s string
	if err := d.db.QueryRowContext(ctx, query, args...).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}
