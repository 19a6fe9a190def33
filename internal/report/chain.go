package report

import (
	"fmt"
	"io"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// Chain writes what `notifier verify` found in the history's hash chain
// of db; the failure itself is the command's error line.
func Chain(w io.Writer, db string, rep chain.Report, opts chain.Options) {
	if rep.Before > 0 {
		fmt.Fprintf(w, "chain starts at event %d, added by %s; %d earlier events are not covered\n",
			rep.Start, chainAddedBy(db, rep.StartedAt), rep.Before)
	}
	if rep.Problem != nil && (rep.Problem.Row != 0 || rep.Problem.Kind == chain.KindKey) {
		if rep.Rows > 0 {
			fmt.Fprintf(w, "%d rows verified (events %d to %d) before the first that does not match\n", rep.Rows, rep.Start, rep.HeadID)
		}
		return
	}
	alg := "SHA-256"
	if len(opts.Key) > 0 {
		alg = fmt.Sprintf("HMAC-SHA-256 with audit.key from event %d", rep.KeyedFrom)
		if rep.KeyedFrom > rep.Start {
			alg += ", SHA-256 before"
		}
	}
	if rep.Problem == nil {
		fmt.Fprintf(w, "%s: ok\n", db)
	}
	if rep.Rows == 0 {
		fmt.Fprintf(w, "rows: 0 (no event since the chain started at event %d)\nhead: none\n", rep.Start)
		return
	}
	fmt.Fprintf(w, "rows: %d (events %d to %d; %s)\n", rep.Rows, rep.Start, rep.HeadID, alg)
	fmt.Fprintf(w, "head: %s\n", chain.Hex(rep.Head))
	if opts.ExpectHead != nil && rep.ExpectedAt != 0 {
		fmt.Fprintf(w, "expected head: the hash of event %d, still in the chain\n", rep.ExpectedAt)
	}
}

// chainAddedBy names the migration that started the history's hash chain,
// and when, in the numbering of the database's own store. On SQLite it is
// migration 3 (0003_chain). PostgreSQL's first migration (0001_init) has
// the chain, so its chain starts at the first event, unless the history
// came from SQLite through copy-db, which carries where the chain starts,
// and when.
func chainAddedBy(db, startedAt string) string {
	if backend.IsPostgres(db) {
		return "SQLite's migration 3 on " + startedAt + " (this history was copied from SQLite)"
	}
	return "migration 3 on " + startedAt
}
