package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/robfig/cron/v3"
)

// RetrySpec is how often the daemon looks for deliveries whose next
// attempt is due, between the config's check_schedule ticks, and for
// SP-API secrets whose lwa.probe interval has passed or whose
// lwa.auto_rotate_before has come.
const RetrySpec = "@every 1m"

// startCron starts the daemon's schedule, in the config's time zone: a
// tick on check_schedule, a retry pass every RetrySpec, a look for a
// changed config every ReloadSpec. A job that panics is logged and the
// daemon goes on; a job still running when its next turn comes skips it.
// The caller stops the cron, which waits for the jobs under way.
func (d *Daemon) startCron(ctx context.Context) (*cron.Cron, error) {
	logger := cron.VerbosePrintfLogger(slog.NewLogLogger(d.Logger.Handler(), slog.LevelDebug))
	c := cron.New(
		cron.WithLocation(d.Config.Location),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	if _, err := c.AddFunc(d.Config.CheckSchedule, func() { d.Tick(ctx) }); err != nil {
		return nil, fmt.Errorf("check_schedule: %w", err)
	}
	if _, err := c.AddFunc(RetrySpec, func() { d.retry(ctx) }); err != nil {
		return nil, fmt.Errorf("retry schedule: %w", err)
	}
	if _, err := c.AddFunc(ReloadSpec, func() { d.reload(ctx, false) }); err != nil {
		return nil, fmt.Errorf("reload schedule: %w", err)
	}
	c.Start()
	return c, nil
}
