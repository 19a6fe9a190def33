package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// TestPlanEachFirstRowBeforeItsMomentIsRead: a fleet synced at once
// shares its next action, thousands of cycles at one moment. A streamed
// plan hands over the first of them once the next one is read (no cycle
// still unread precedes it in (time, id) order), not after every cycle
// of that moment: an acknowledgment of the last credential, recorded
// while the first row is handled, takes its reminders out of the plan.
func TestPlanEachFirstRowBeforeItsMomentIsRead(t *testing.T) {
	// Five of the store's pages of 1,000: the store reads at most two
	// pages ahead of the one being planned (one handed over, one
	// waiting), so the last credential is unread when the first row goes,
	// however the goroutines are scheduled (with 2,500 and GOMAXPROCS=1
	// the read-ahead reached it: the test failed 11 times in 20).
	const n = 4500
	now := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC) // every 30d reminder due on 10-29
	e := syncedFleet(t, n, now, "    - {before: 30d, channels: [console]}\n    - {before: 7d, channels: [console]}\n")
	last := fmt.Sprintf("c%05d", n-1)
	var rows []string
	// A limit (above the plan's length) keeps PlanEach on the next-action
	// path, whose streaming this is about: without one, a plan longer
	// than its head reads the rest of the fleet again, sorted, after it.
	err := e.PlanEach(t.Context(), now, schedule.Span{Days: 365}, domain.CredentialFilter{Limit: 3 * n}, true, false, func(u Upcoming) error {
		if len(rows) == 0 {
			if err := e.Acknowledge(t.Context(), Ack{Credential: last, At: now, By: "alice", Source: "cli"}); err != nil {
				return err
			}
		}
		rows = append(rows, u.Credential+" "+u.Stage+" "+u.At.Format(time.DateOnly))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Each credential but the last, 30d on 10-29 then 7d on 11-21, in
	// time then id order.
	penultimate := fmt.Sprintf("c%05d", n-2)
	if len(rows) != 2*(n-1) || rows[0] != "c00000 30d 2026-10-29" || rows[n-2] != penultimate+" 30d 2026-10-29" ||
		rows[n-1] != "c00000 7d 2026-11-21" || rows[2*(n-1)-1] != penultimate+" 7d 2026-11-21" {
		t.Fatalf("%d rows, from %q to %q: want %d, the last credential's none (it was read before the first row was handed over)",
			len(rows), rows[0], rows[len(rows)-1], 2*(n-1))
	}
}
