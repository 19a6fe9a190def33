package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
)

// reportFormats are the values of report's -o, the default first.
var reportFormats = []string{"table", "json", "csv", "html"}

func (c *cli) reportCmd() *cobra.Command {
	var f struct{ credential, since, until, format, db string }
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Compliance report: one row per credential cycle in the window, rotated on time or not, who was told, who acknowledged",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			check := checkOutput
			if cmd.Flags().Changed("format") {
				check = checkFormat // the error names the flag given
			}
			if err := check(f.format, reportFormats...); err != nil {
				return err
			}
			clock, err := c.clock(cmd)
			if err != nil {
				return err
			}
			filter := domain.ReportFilter{CredentialID: f.credential}
			store, loc, since, until, err := c.openWindowReader(cmd, f.db, f.since, f.until)
			if err != nil {
				return err
			}
			defer closeView(store.Close, &err)
			filter.Since, filter.Until = since, until
			if !filter.Since.IsZero() && !filter.Until.IsZero() && !filter.Since.Before(filter.Until) {
				return fmt.Errorf("--since %s is not before --until %s: the window is empty", f.since, f.until)
			}
			if f.credential != "" {
				if _, err := store.Cycle(cmd.Context(), f.credential); err != nil { // names an unknown id
					return err
				}
			}
			if !until.IsZero() {
				// The period's times in the zone in force at its end.
				tz, err := store.TimezoneAt(cmd.Context(), until)
				if err != nil {
					return err
				}
				if tz != "" {
					if loc, err = time.LoadLocation(tz); err != nil {
						return fmt.Errorf("the time zone in force at --until, %q: %w", tz, err)
					}
				}
			}
			now := clock(loc).Truncate(time.Second)
			return report.Compliance(cmd.Context(), c.stdout, f.format, store, report.Header{At: now, Filter: filter, Database: store.Path(), Loc: loc})
		},
	}
	c.atFlag(cmd, atView)
	dbFlag(cmd, &f.db)
	cmd.Flags().StringVar(&f.credential, "credential", "", "only this credential")
	cmd.Flags().StringVar(&f.since, "since", "", "cycles that were open at or after this time")
	cmd.Flags().StringVar(&f.until, "until", "", "cycles that started before this time")
	outputFlag(cmd, &f.format, reportFormats...)
	return cmd
}
