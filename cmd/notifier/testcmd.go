package main

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/report"
)

// testCmd sends one sample reminder through one channel, so an operator can
// check a token before the first real deadline.
func (c *cli) testCmd() *cobra.Command {
	var credential, output string
	cmd := &cobra.Command{
		Use:   "test CHANNEL",
		Short: "Send a sample reminder through one channel and say plainly what happened",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output, textOrJSON...); err != nil {
				return err
			}
			clock, logger, cfg, err := c.configAt(cmd, false)
			if err != nil {
				return err
			}
			ch, ok := cfg.Channels[args[0]]
			if !ok {
				names := slices.Sorted(maps.Keys(cfg.Channels))
				return fmt.Errorf("no channel %q in the config (channels: %s)", args[0], strings.Join(names, ", "))
			}
			now := clock(cfg.Location)
			msg, err := c.sampleMessage(cmd, cfg, ch, credential, now)
			if err != nil {
				return err
			}
			// As the engine does: the config's ${ENV} values and the
			// channel's own secrets are registered, and the service's
			// error is printed redacted.
			red := channels.NewRedactor()
			red.Add(cfg.Secrets()...)
			built, err := ch.Config.Build(ch.Name, channels.Options{Logger: logger, Stdout: c.messages(), Redactor: red})
			if err != nil {
				return fmt.Errorf("channel %s: %s", ch.Name, red.String(err.Error()))
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			if err := built.Send(ctx, msg); err != nil {
				kind := "permanent: fix the channel's config"
				if retry, _ := channels.Classify(err); retry {
					kind = "temporary: the service may recover"
				}
				return fmt.Errorf("test message to %s (%s) failed (%s): %s", ch.Name, ch.Type, kind, red.String(err.Error()))
			}
			if output == "json" {
				return report.JSON(c.stdout, struct {
					Channel string `json:"channel"`
					Type    string `json:"type"`
					Subject string `json:"subject"`
					Sent    bool   `json:"sent"`
				}{ch.Name, ch.Type, msg.Subject, true})
			}
			fmt.Fprintf(c.stdout, "test message sent to %s (%s): %q\n", ch.Name, ch.Type, msg.Subject)
			return nil
		},
	}
	c.atFlag(cmd, atAct)
	cmd.Flags().StringVar(&credential, "credential", "", "describe this credential instead of a made-up one")
	outputFlag(cmd, &output, textOrJSON...)
	return cmd
}

// sampleMessage is channels.Sample, or a credential's real data (its
// current cycle, from the store after a sync), rendered with the channel's
// templates.
func (c *cli) sampleMessage(cmd *cobra.Command, cfg *config.Config, ch *config.Channel, credential string, now time.Time) (channels.Message, error) {
	ctx := cmd.Context()
	m := channels.Sample(now.In(cfg.Location))
	if credential != "" {
		main, _, err := c.openToRecord(cmd)
		if err != nil {
			return m, err
		}
		defer main.Close()
		cyc, err := main.Store.Cycle(ctx, credential)
		if err != nil {
			return m, err
		}
		m = engine.Describe(cfg.Location, cyc.Credential, cyc.Start, now)
		engine.WithRunbook(&m, cfg, cyc.Credential, cyc.Policy)
		m.Stage, m.Test = "test", true
	}
	m.DeliveryKey = ""
	err := engine.Render(&m, nil, ch)
	return m, err
}
