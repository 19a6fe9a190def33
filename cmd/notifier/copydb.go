package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/channels/registry"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store/backend"
	"github.com/notifier-dev/notifier/internal/store/copydb"
)

func (c *cli) copyDBCmd() *cobra.Command {
	var db, to, output string
	cmd := &cobra.Command{
		Use:   "copy-db --to DATABASE",
		Short: "Copy the database with all its history into a new one: SQLite to PostgreSQL or back (stop the daemons first)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			if to == "" {
				return fmt.Errorf("--to: give the new database (a postgres:// URL or a SQLite file)")
			}
			var key []byte
			if db == "" || cmd.Flag("config").Changed {
				cfg, err := config.LoadMain(c.configPath, config.Timeless, nil, registry.Default())
				if err != nil {
					return err
				}
				key = []byte(cfg.Audit.Key)
				if db == "" {
					db = cfg.Database
				}
			}
			src, err := backend.OpenReadOnly(cmd.Context(), db)
			if err != nil {
				return err
			}
			defer src.Close()
			dst, err := backend.Open(cmd.Context(), to)
			if err != nil {
				return err
			}
			defer dst.Close()
			counts, err := copydb.Copy(cmd.Context(), src.CopySide(), dst.CopySide())
			if err != nil {
				return err
			}
			// The copy's chain is checked as verify would.
			rep, err := dst.VerifyChain(cmd.Context(), chain.Options{Key: key})
			if err != nil {
				return err
			}
			if output == "json" {
				res := struct {
					From   string             `json:"from"`
					To     string             `json:"to"`
					Copied map[string]int64   `json:"copied"`
					Chain  report.ChainResult `json:"chain"`
				}{src.Path(), backend.Name(to), map[string]int64{}, report.NewChainResult(backend.Name(to), rep, chain.Options{Key: key})}
				for _, t := range []string{"credentials", "rotations", "deliveries", "acknowledgments", "events"} {
					res.Copied[t] = counts[t]
				}
				if err := report.JSON(c.stdout, res); err != nil {
					return err
				}
				if rep.Problem != nil {
					return fmt.Errorf("copy-db: the copy's hash chain does not verify: %s", rep.Problem.Detail)
				}
				return nil
			}
			fmt.Fprintf(c.stdout, "%s -> %s: %d credentials, %d rotations, %d deliveries, %d acknowledgments, %d events copied\n",
				report.Escape(src.Path()), report.Escape(backend.Name(to)), counts["credentials"], counts["rotations"], counts["deliveries"], counts["acknowledgments"], counts["events"])
			if rep.Problem != nil {
				return fmt.Errorf("copy-db: the copy's hash chain does not verify: %s", rep.Problem.Detail)
			}
			fmt.Fprintf(c.stdout, "hash chain of the copy: ok, %d rows, head %x\n", rep.Rows, rep.Head)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the new database: a postgres:// URL or a SQLite file; it must be empty")
	cmd.Flags().StringVar(&db, "db", "", "the database to copy; default the config's")
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}
