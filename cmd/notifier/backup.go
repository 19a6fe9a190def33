package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

func (c *cli) backupCmd() *cobra.Command {
	var force bool
	var db, output string
	cmd := &cobra.Command{
		Use:   "backup PATH",
		Short: "Write a consistent, verified copy of the database to PATH, while the daemon runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			store, _, err := c.openReader(cmd, db)
			if err != nil {
				return err
			}
			defer store.Close()
			file, ok := store.(*sqlite.Store)
			if !ok {
				return fmt.Errorf("backup: %s is a PostgreSQL database: back it up with PostgreSQL's own tools (pg_dump, or a base backup)", report.Escape(store.Path()))
			}
			info, err := file.Backup(cmd.Context(), args[0], force)
			if err != nil {
				return err
			}
			if output == "json" {
				return report.JSON(c.stdout, struct {
					Path           string `json:"path"`
					Database       string `json:"database"`
					Bytes          int64  `json:"bytes"`
					IntegrityCheck string `json:"integrity_check"`
				}{info.Path, store.Path(), info.Bytes, "ok"})
			}
			fmt.Fprintf(c.stdout, "%s: backup of %s written and verified (integrity_check ok), %d bytes\n", report.Escape(info.Path), report.Escape(store.Path()), info.Bytes)
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "replace PATH if it exists")
	dbFlag(cmd, &db)
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}
