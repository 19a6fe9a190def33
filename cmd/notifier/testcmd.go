package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/channels"
	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// testCmd sends one sample reminder through one channel, so an operator can
// check a token before the first real deadline.
func (c *cli) testCmd() *cobra.Command {
	var credential string
	cmd := &cobra.Command{
		Use:   "test CHANNEL",
		Short: "Send a sample reminder through one channel and say plainly what happened",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			clock, err := c.clock()
			if err != nil {
				return err
			}
			logger, err := c.logger()
			if err != nil {
				return err
			}
			cfg, err := config.Load(c.configPath, clock, nil)
			if err != nil {
				return err
			}
			ch, ok := cfg.Channels[args[0]]
			if !ok {
				names := make([]string, 0, len(cfg.Channels))
				for n := range cfg.Channels {
					names = append(names, n)
				}
				sort.Strings(names)
				return fmt.Errorf("no channel %q in the config (channels: %s)", args[0], strings.Join(names, ", "))
			}
			now := clock(cfg.Location)
			msg, err := sampleMessage(cfg, ch, credential, now)
			if err != nil {
				return err
			}
			built, err := ch.Config.Build(ch.Name, channels.Options{Logger: logger, Stdout: c.stdout})
			if err != nil {
				return fmt.Errorf("channel %s: %w", ch.Name, err)
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 30*time.Second)
			defer cancel()
			if err := built.Send(ctx, msg); err != nil {
				kind := "permanent: fix the channel's config"
				if retry, _ := channels.Classify(err); retry {
					kind = "temporary: the service may recover"
				}
				return fmt.Errorf("test message to %s (%s) failed (%s): %v", ch.Name, ch.Type, kind, err)
			}
			fmt.Fprintf(c.stdout, "test message sent to %s (%s): %q\n", ch.Name, ch.Type, msg.Subject)
			return nil
		},
	}
	c.atFlag(cmd)
	cmd.Flags().StringVar(&credential, "credential", "", "describe this credential instead of a made-up one")
	return cmd
}

// sampleMessage is channels.Sample, or a credential's real data, rendered
// with the channel's templates.
func sampleMessage(cfg *config.Config, ch *config.Channel, credential string, now time.Time) (channels.Message, error) {
	loc := cfg.Location
	m := channels.Sample(now.In(loc))
	m.DeliveryKey = ""
	if credential != "" {
		cred, ok := cfg.Credential(credential)
		if !ok {
			return m, fmt.Errorf("%w %q", engine.ErrUnknownCredential, credential)
		}
		deadline := cred.Deadline(cred.RotatedAt, loc)
		m.Credential, m.Name, m.Owner = cred.ID, cred.Name, cred.Owner
		m.RotatedAt, m.Deadline = cred.RotatedAt.In(loc), deadline.In(loc)
		m.DaysRemaining = schedule.DaysRemaining(deadline, now, loc)
		m.Overdue = !now.Before(deadline)
		m.DaysOverdue = schedule.DaysOverdue(deadline, now, loc)
		m.Final = schedule.Final(deadline, now)
		m.Stage = "test"
	}
	subject, text := ch.Subject, ch.Text
	var err error
	if subject == nil {
		subject, _ = channels.ParseTemplate("subject", channels.DefaultSubject)
	}
	if text == nil {
		text, _ = channels.ParseTemplate("text", channels.DefaultText)
	}
	if m.Subject, err = channels.Render(subject, m); err != nil {
		return m, err
	}
	if m.Text, err = channels.Render(text, m); err != nil {
		return m, err
	}
	return m, nil
}
