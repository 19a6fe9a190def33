package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/amazon"
	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
)

// notifications builds the consumer of SP-API notifications, or nil when
// the config has no amazon: block.
func (m *Main) notifications() (*amazon.Consumer, error) {
	if m.Config.Amazon == nil {
		return nil, nil
	}
	return amazon.NewConsumer(m.Config.Amazon, m.Engine, m.Logger, m.Engine.Redactor(), m.Now)
}

// startNotifications long-polls the SP-API queue in its own goroutine
// until ctx ends; the returned func waits for it to stop. A long poll in
// flight is abandoned at once on ctx's end.
func (m *Main) startNotifications(ctx context.Context) (wait func()) {
	c, err := m.notifications()
	if err != nil {
		m.Logger.Error("SP-API notifications are not received", "err", m.Engine.Redactor().String(err.Error()))
		return func() {}
	}
	if c == nil {
		return func() {}
	}
	var wg sync.WaitGroup
	wg.Go(func() { c.Run(ctx) })
	m.Logger.Info("receiving SP-API notifications", "queue", m.Config.Amazon.SQSQueueURL)
	return wg.Wait
}

// drainNotifications records the SP-API notifications waiting in the
// queue, after syncing the config (a credential's client id must be
// known), and prints what it did. No amazon: block: nothing to do.
func (m *Main) drainNotifications(ctx context.Context, w io.Writer) (amazon.Counts, error) {
	c, err := m.notifications()
	if err != nil || c == nil {
		return amazon.Counts{}, err
	}
	if err := m.Engine.Sync(ctx, m.Now()); err != nil {
		return amazon.Counts{}, err
	}
	got, err := c.Drain(ctx)
	fmt.Fprintf(w, "SP-API notifications: %d received, %d applied, %d duplicate, %d unknown client, %d stale, %d left in the queue\n",
		got.Received, got.Applied, got.Duplicate, got.Unknown, got.Stale, got.Left)
	return got, err
}

func (c *cli) receiveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Record the SP-API notifications waiting in the amazon: queue, without waiting for more, and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, _, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			if m.Config.Amazon == nil {
				return errors.New("receive: the config has no amazon: block (sqs_queue_url, region) to receive from")
			}
			_, err = m.drainNotifications(cmd.Context(), c.stdout)
			return err
		},
	}
	c.atFlag(cmd)
	return cmd
}

// amazonSummary is check's line for the amazon: block, with any value
// that came from the environment cut out.
func amazonSummary(cfg *config.Config) string {
	if cfg.Amazon == nil {
		return ""
	}
	red := channels.NewRedactor()
	red.Add(cfg.Secrets()...)
	n := len(cfg.SPAPICredentials())
	where := cfg.Amazon.Region
	if cfg.Amazon.Endpoint != "" {
		where += ", endpoint " + cfg.Amazon.Endpoint
	}
	return red.String(fmt.Sprintf("  amazon:      SP-API notifications from %s (%s) for %d credential(s) with lwa.client_id\n",
		cfg.Amazon.SQSQueueURL, where, n))
}

// amazonChanged warns that a new amazon: block takes effect at the next
// restart: the daemon's poller keeps the queue it started with.
func (m *Main) amazonChanged(cfg *config.Config) {
	if !reflect.DeepEqual(cfg.Amazon, m.Config.Amazon) {
		m.Logger.Warn("amazon: changes take effect at the next restart")
	}
}

// sourcesSummary is check's lines for the credentials with an AWS source:
// where their rotation dates come from and, where the config gives
// rotated_at too, which date wins. Values from the environment are cut.
func sourcesSummary(cfg *config.Config) string {
	var b strings.Builder
	n := 0
	for _, c := range cfg.Credentials {
		if c.Source.IsZero() {
			continue
		}
		n++
		where := c.Source.Region
		if where == "" {
			where = "the SDK's default region"
		}
		if c.Source.Endpoint != "" {
			where += ", endpoint " + c.Source.Endpoint
		}
		what := "the current version's date starts the first cycle; each new version after it records a rotation"
		if !c.RotatedAt.IsZero() {
			what = fmt.Sprintf("rotated_at %s is also set: the later wins — the config's date starts the first cycle, and a version of the source dated after it records a rotation that replaces it; an older version changes nothing",
				c.RotatedAt.In(cfg.Location).Format("2006-01-02"))
		}
		fmt.Fprintf(&b, "    %-12s %s (%s): %s\n", c.ID, c.Source, where, what)
	}
	if n == 0 {
		return ""
	}
	red := channels.NewRedactor()
	red.Add(cfg.Secrets()...)
	return red.String(fmt.Sprintf("  sources:     %d credential(s) with rotation dates read from AWS at each sync\n", n) + b.String())
}

func (c *cli) probeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe ID",
		Short: "Exchange an SP-API credential's refresh token once: does Amazon still accept its client secret? A rejection alerts at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, now, err := c.openToRecord(cmd, true)
			if err != nil {
				return err
			}
			defer m.Close()
			res, err := m.Engine.Probe(cmd.Context(), args[0], now)
			if err != nil {
				return err
			}
			switch res.Outcome {
			case domain.ProbeOK:
				fmt.Fprintf(c.stdout, "%s: Amazon accepts the client secret (verified at %s)\n", res.CredentialID, now.In(m.Config.Location).Format(time.RFC3339))
				return nil
			case domain.ProbeRejected:
				// The alert goes out now, not at the next tick.
				rep, err := m.Engine.Retry(cmd.Context(), now)
				if err != nil {
					return err
				}
				report.Tick(c.stdout, rep, now, m.Config.Location)
				return fmt.Errorf("probe: %s: Amazon rejects this secret now (%s); %d alert(s) raised", res.CredentialID, res.Detail, res.Alerts)
			}
			return fmt.Errorf("probe: %s: no answer about the secret, not a rejection: %s", res.CredentialID, res.Detail)
		},
	}
	c.atFlag(cmd)
	return cmd
}

// requestRotation is `rotate ID --via-amazon`: Amazon's answer, verbatim
// and redacted; exit 1 unless Amazon accepted.
func (c *cli) requestRotation(cmd *cobra.Command, m *Main, id, by string) error {
	res, err := m.Engine.RequestRotation(cmd.Context(), id, by)
	if err != nil {
		return err
	}
	if res.Outcome != domain.RequestAccepted {
		return fmt.Errorf("rotate %s --via-amazon: %s", id, res.Detail)
	}
	fmt.Fprintf(c.stdout, "%s: Amazon accepted the rotation request at %s; the rotation is recorded when the new-secret notification arrives (notifier receive, or the daemon); until then status shows it as requested\n",
		id, res.At.In(m.Config.Location).Format(time.RFC3339))
	return nil
}
