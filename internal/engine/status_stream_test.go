package engine

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestEachStatusStreams: EachStatus hands each row over as the store
// reads it, a page at a time, and the whole is the fleet at one moment:
// an acknowledgment of the last credential, recorded while the first
// row is handled (pages later in the read), is not in the last row (a
// status read in pages of their own moments showed it, the first rows
// of one state and the last of another); the next status shows it. The
// filter's limit stops the stream. (That the first row is out while
// the rest is read: TestStatusStreamsItsFirstRow, on the binary.)
func TestEachStatusStreams(t *testing.T) {
	const n = 2500                                       // more than two of the store's pages
	now := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) // 8 days before the deadline: due
	e := syncedFleet(t, n, now, "    - {before: 30d, channels: [console]}\n")
	last := fmt.Sprintf("c%05d", n-1)
	var rows []CredentialStatus
	err := e.EachStatus(t.Context(), now, domain.CredentialFilter{}, func(r CredentialStatus) error {
		if len(rows) == 0 {
			if err := e.Acknowledge(t.Context(), Ack{Credential: last, At: now, By: "alice", Source: "cli"}); err != nil {
				return err
			}
		}
		rows = append(rows, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != n || rows[0].ID != "c00000" || rows[n-1].ID != last {
		t.Fatalf("%d rows from %s to %s, want %d from c00000 to %s", len(rows), rows[0].ID, rows[len(rows)-1].ID, n, last)
	}
	if r := rows[n-1]; r.Acknowledged || r.AcknowledgedBy != "" {
		t.Errorf("last row acknowledged by %q: an acknowledgment recorded after the status began", r.AcknowledgedBy)
	}
	var after CredentialStatus
	if err := e.EachStatus(t.Context(), now, domain.CredentialFilter{Credential: last}, func(r CredentialStatus) error {
		after = r
		return nil
	}); err != nil || after.ID != last || !after.Acknowledged || after.AcknowledgedBy != "alice" {
		t.Errorf("the next status of %s: %+v (%v), want acknowledged by alice", last, after, err)
	}

	var got []string
	err = e.EachStatus(t.Context(), now, domain.CredentialFilter{Owner: "team-2", State: StateDue, Limit: 3}, func(r CredentialStatus) error {
		got = append(got, r.ID+" "+r.State)
		return nil
	})
	if want := "c00002 due,c00005 due,c00008 due"; err != nil || strings.Join(got, ",") != want {
		t.Errorf("team-2, due, limit 3: %q (%v), want %q", strings.Join(got, ","), err, want)
	}
}

// syncedFleet is an engine on a SQLite file synced at now with n
// credentials c00000… (owners team-0 to team-2), all rotated on
// 2026-06-01, under one policy of the stages given as config lines.
func syncedFleet(t *testing.T, n int, now time.Time, stages string) *Engine {
	t.Helper()
	var b strings.Builder
	b.WriteString("database: notifier.db\ntimezone: UTC\npolicies:\n  standard:\n" + stages + "channels:\n  console: {type: stdout}\ncredentials:\n")
	for i := range n {
		fmt.Fprintf(&b, "  - {id: c%05d, owner: team-%d, rotated_at: 2026-06-01}\n", i, i%3)
	}
	e := configEngine(t, b.String(), now, nil)
	if err := e.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	return e
}
