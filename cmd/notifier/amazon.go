package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
)

func (c *cli) receiveCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Record the SP-API notifications waiting in the amazon: queue, without waiting for more, and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			// It syncs and records what Amazon said at its moment: a
			// past one only, as a tick.
			m, _, err := c.openAt(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			if m.Config.Amazon == nil {
				return errors.New("receive: the config has no amazon: block (sqs_queue_url, region) to receive from")
			}
			_, err = m.DrainNotifications(cmd.Context(), c.stdout)
			return err
		},
	}
	c.atFlag(cmd, atRecord)
	return cmd
}

func (c *cli) probeCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "probe ID",
		Short: "Exchange an SP-API credential's refresh token once: does Amazon still accept its client secret? A rejection alerts at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			m, now, err := c.openToRecord(cmd)
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
	c.atFlag(cmd, atRecord)
	return cmd
}

// requestRotation is `rotate ID --via-amazon`: Amazon's answer, verbatim
// and redacted; exit 1 unless Amazon accepted.
func (c *cli) requestRotation(cmd *cobra.Command, m *daemon.Daemon, id, by string) error {
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
