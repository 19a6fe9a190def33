package engine

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// TestDeadlineCursorOutlivesAWriteToItsRow: a page in deadline order ends
// with a cursor (its last row's deadline and id). When that credential is
// rotated before the next page is asked (its deadline moves), or the
// cursor names no credential, the next page still goes on from the
// cursor's place: it read as the end of the fleet (an empty page, "no
// next"), a list that said it was complete when it was not.
func TestDeadlineCursorOutlivesAWriteToItsRow(t *testing.T) {
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	var b strings.Builder
	b.WriteString("database: notifier.db\ntimezone: UTC\npolicies:\n  standard:\n    - {before: 30d, channels: [console]}\nchannels:\n  console: {type: stdout}\ncredentials:\n")
	for i := range 12 {
		fmt.Fprintf(&b, "  - {id: c%02d, rotation_period: 90d, rotated_at: %s}\n", i, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 3*i).Format(time.DateOnly))
	}
	e := configEngine(t, b.String(), now, nil)
	if err := e.Sync(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	page := func(after string, deadline time.Time) []string {
		t.Helper()
		var ids []string
		f := domain.CredentialFilter{ByDeadline: true, After: after, AfterDeadline: deadline, Limit: 4}
		if err := e.EachStatus(t.Context(), now, f, func(s CredentialStatus) error { ids = append(ids, s.ID); return nil }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	first := page("", time.Time{})
	if !slices.Equal(first, []string{"c00", "c01", "c02", "c03"}) {
		t.Fatalf("first page in deadline order: %v", first)
	}
	all, err := e.Status(t.Context(), now)
	if err != nil {
		t.Fatal(err)
	}
	var cursor time.Time
	for _, s := range all {
		if s.ID == "c03" {
			cursor = s.Deadline
		}
	}
	want := []string{"c04", "c05", "c06", "c07"}
	if got := page("c03", cursor); !slices.Equal(got, want) {
		t.Fatalf("the page after c03: %v, want %v", got, want)
	}
	// c03 rotated meanwhile: its deadline moves 90 days on.
	if err := e.Rotate(t.Context(), Rotation{Credential: "c03", At: now, By: "alice", Source: "cli"}); err != nil {
		t.Fatal(err)
	}
	if got := page("c03", cursor); !slices.Equal(got, want) {
		t.Errorf("the page after c03's old cursor, c03 rotated since: %v, want %v", got, want)
	}
	// A cursor naming no credential, between c03's and c04's deadlines.
	if got := page("c03x", cursor); !slices.Equal(got, want) {
		t.Errorf("the page after a cursor naming no credential: %v, want %v", got, want)
	}
}
