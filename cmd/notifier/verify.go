package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

// chainSummary says how check's config keeps the history's tamper evidence.
func chainSummary(cfg *config.Config) string {
	if cfg.Audit.Key != "" {
		return "hash-chained, keyed with audit.key (HMAC-SHA-256)"
	}
	return "hash-chained (SHA-256; set audit.key to key it)"
}

func (c *cli) verifyCmd() *cobra.Command {
	var db, expect string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the history's hash chain: names the first row that does not match; prints the rows and the head",
		Long: `Walks the history's hash chain in id order, on the database opened read-only
(it works while the daemon writes). Exits 1 naming the first row that does not
match: edited, deleted, inserted or reordered; then checks the rotations,
acknowledgments and finished deliveries against their chained events, and
names a row changed in its table alone. On success it prints the number
of rows and the head hash: note the head (in a report, a ticket), and a later
--expect-head HASH proves that nothing after it was cut off.

With --db and no --config, no config is read: a chain keyed with audit.key
then needs --config too, for the key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts := chain.Options{}
			if cmd.Flags().Changed("expect-head") {
				head, err := chain.ParseHead(expect)
				if err != nil {
					return fmt.Errorf("--expect-head: %w", err)
				}
				opts.ExpectHead = head
			}
			if cmd.Flags().Changed("db") && db == "" {
				return fmt.Errorf("--db: empty; give the database file, or leave --db out for the config's")
			}
			if db == "" || cmd.Flag("config").Changed {
				cfg, err := config.LoadMain(c.configPath, config.Timeless, nil, registry.Default())
				if err != nil {
					return err
				}
				opts.Key = []byte(cfg.Audit.Key)
				if db == "" {
					db = cfg.Database
				}
			}
			store, err := backend.OpenReadOnly(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer store.Close()
			rep, err := store.VerifyChain(cmd.Context(), opts)
			if err != nil {
				return err
			}
			printChain(c.stdout, store.Path(), rep, opts)
			if rep.Problem != nil {
				return fmt.Errorf("verify: %s: %s", store.Path(), rep.Problem.Detail)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the database file to verify (a copy, say); default the config's")
	cmd.Flags().StringVar(&expect, "expect-head", "", "a head hash noted earlier (64 hex digits) that must still be in the chain")
	return cmd
}

// printChain writes what verify found; the failure itself is the command's
// error line.
func printChain(w io.Writer, db string, rep chain.Report, opts chain.Options) {
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
