package main

import (
	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/web"
)

func (c *cli) calendarCmd() *cobra.Command {
	var db string
	var filter viewFilter
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Print the deadlines as an iCalendar (.ics): one event per deadline, an alarm per stage",
		Long: `Print the deadlines of the active credentials as an iCalendar (RFC 5545) to
import into a calendar: one event per credential's deadline (ending at it),
with an alarm per stage of its ladder, and for an SP-API (LWA) credential
one event when its old client secret stops working. Events keep their UIDs
across runs, so a re-import updates them. It only reads.`,
		Example: `  notifier calendar > deadlines.ics
  notifier calendar --owner payments --due-within 90d > payments.ics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			f, err := filter.parse()
			if err != nil {
				return err
			}
			eng, store, now, err := c.openStatusReader(cmd, db)
			if err != nil {
				return err
			}
			defer closeView(store.Close, &err)
			return web.WriteCalendar(c.stdout, web.FeedOf(eng.Config(), c.wall()), func(fn func(engine.CalendarEntry) error) error {
				return eng.EachCalendar(cmd.Context(), now, f, fn)
			})
		},
	}
	c.atFlag(cmd, atView)
	filter.flags(cmd)
	dbFlag(cmd, &db)
	return cmd
}
