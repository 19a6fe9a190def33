package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store/backend"
)

func (c *cli) verifyCmd() *cobra.Command {
	var db, expect, output string
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
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
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
			defer closeView(store.Close, &err)
			rep, err := store.VerifyChain(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if output == "json" {
				if err := report.JSON(c.stdout, report.NewChainResult(store.Path(), rep, opts)); err != nil {
					return err
				}
			} else {
				report.Chain(c.stdout, store.Path(), rep, opts)
			}
			if rep.Problem != nil {
				return fmt.Errorf("verify: %s: %s", store.Path(), rep.Problem.Detail)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&db, "db", "", "the database file to verify (a copy, say); default the config's")
	cmd.Flags().StringVar(&expect, "expect-head", "", "a head hash noted earlier (64 hex digits) that must still be in the chain")
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}
