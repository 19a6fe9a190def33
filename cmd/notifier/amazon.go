package main

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
)

func (c *cli) receiveCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "receive",
		Short: "Record the SP-API notifications waiting in the amazon: queue, without waiting for more, and exit",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
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
			if output != "json" {
				_, err = m.DrainNotifications(cmd.Context(), c.stdout)
				return err
			}
			counts, err := m.DrainNotifications(cmd.Context(), io.Discard)
			if jerr := report.JSON(c.stdout, report.NewNotificationCounts(counts)); jerr != nil && err == nil {
				err = jerr
			}
			return err
		},
	}
	c.atFlag(cmd, atRecord)
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

func (c *cli) probeCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "probe ID",
		Short: "Exchange an SP-API credential's refresh token once: does Amazon still accept its client secret? A rejection alerts at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			m, now, err := c.openToRecord(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			res, err := m.Engine.Probe(cmd.Context(), args[0], now)
			if err != nil {
				return err
			}
			if output == "json" {
				return c.probeJSON(cmd, m, res, now)
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
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

// probeJSON is `probe -o json`: the outcome, and after a rejection what
// the alert's retry pass did; the command's error line is as without -o.
func (c *cli) probeJSON(cmd *cobra.Command, m *daemon.Daemon, res engine.ProbeResult, now time.Time) error {
	loc := m.Config.Location
	out := struct {
		Credential string             `json:"credential"`
		Outcome    string             `json:"outcome"`
		VerifiedAt string             `json:"verified_at,omitempty"`
		Detail     string             `json:"detail,omitempty"`
		Alerts     int                `json:"alerts"`
		Tick       *report.TickResult `json:"tick,omitempty"`
	}{Credential: res.CredentialID, Outcome: res.Outcome, Detail: res.Detail, Alerts: res.Alerts}
	var failed error
	switch res.Outcome {
	case domain.ProbeOK:
		out.VerifiedAt = rfc3339(now, loc)
	case domain.ProbeRejected:
		rep, err := m.Engine.Retry(cmd.Context(), now)
		if err != nil {
			return err
		}
		t := report.NewTickResult(rep, now, loc)
		out.Tick = &t
		failed = fmt.Errorf("probe: %s: Amazon rejects this secret now (%s); %d alert(s) raised", res.CredentialID, res.Detail, res.Alerts)
	default:
		return fmt.Errorf("probe: %s: no answer about the secret, not a rejection: %s", res.CredentialID, res.Detail)
	}
	if err := report.JSON(c.stdout, out); err != nil {
		return err
	}
	return failed
}

// requestRotation is `rotate ID --via-amazon`: Amazon's answer, verbatim
// and redacted; exit 1 unless Amazon accepted.
func (c *cli) requestRotation(cmd *cobra.Command, m *daemon.Daemon, id, by, output string) error {
	res, err := m.Engine.RequestRotation(cmd.Context(), id, by)
	if err != nil {
		return err
	}
	if res.Outcome != domain.RequestAccepted {
		return fmt.Errorf("rotate %s --via-amazon: %s", id, res.Detail)
	}
	if output == "json" {
		return report.JSON(c.stdout, struct {
			Credential  string `json:"credential"`
			Outcome     string `json:"outcome"`
			RequestedAt string `json:"requested_at"`
			Actor       string `json:"actor"`
		}{id, res.Outcome, rfc3339(res.At, m.Config.Location), by})
	}
	fmt.Fprintf(c.stdout, "%s: Amazon accepted the rotation request at %s; the rotation is recorded when the new-secret notification arrives (notifier receive, or the daemon); until then status shows it as requested\n",
		id, res.At.In(m.Config.Location).Format(time.RFC3339))
	return nil
}
