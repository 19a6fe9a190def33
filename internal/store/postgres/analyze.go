package postgres

import (
	"context"
)

// analyzeAfter is how many credentials one sync must carry for the store to
// refresh the planner's statistics after it.
const analyzeAfter = 10_000

// Synced refreshes the statistics of the tables a large sync (a first
// sync, most often) filled. Until autovacuum comes round to them (a minute
// or more later), the planner judges the tables by their size before the
// sync and picks plans that read the whole fleet: a tick with nothing due
// took 0.8-1.7 s at 100,000 credentials right after their first sync, 0.2
// s once analyzed. ANALYZE samples a fixed number of rows, so it costs a
// fraction of a second at any size. It is an optimisation: its failure
// fails nothing.
func (d *driver) Synced(ctx context.Context, n int) {
	if n >= analyzeAfter {
		d.db.ExecContext(ctx, `ANALYZE credentials, rotations, events`)
	}
}
