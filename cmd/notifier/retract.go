package main

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/report"
	"github.com/notifier-dev/notifier/internal/schedule"
	"github.com/notifier-dev/notifier/internal/store/backend"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// retractCmd is `notifier retract rotation|ack CREDENTIAL`: a correction,
// appended, never an edit.
func (c *cli) retractCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "retract",
		Short: "Retract a mistaken rotation or acknowledgment, with a reason: the record stays, marked, and the earlier state resumes",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(c.retractRotationCmd(), c.retractAckCmd())
	return cmd
}

// retractFlags are the flags both retractions take.
type retractFlags struct{ actor, reason, output string }

func (f *retractFlags) add(cmd *cobra.Command) {
	actorFlag(cmd, &f.actor, "actor", "who retracts")
	cmd.Flags().StringVar(&f.reason, "reason", "", "why the record was a mistake (required)")
	outputFlag(cmd, &f.output, textOrJSON...)
}

// retraction is `retract rotation|ack -o json`; the cycle fields are
// the current cycle after a rotation's retraction.
type retraction struct {
	Credential    string `json:"credential"`
	Kind          string `json:"kind"`
	TargetID      int64  `json:"target_id"`
	TargetAt      string `json:"target_at"`
	RetractionID  int64  `json:"retraction_id"`
	Actor         string `json:"actor"`
	Reason        string `json:"reason"`
	RecordedAt    string `json:"recorded_at"`
	Cycle         string `json:"cycle,omitempty"`
	Deadline      string `json:"deadline,omitempty"`
	DaysRemaining *int   `json:"days_remaining,omitempty"`
}

func (f *retractFlags) result(id string, x domain.Retraction, recorded time.Time, loc *time.Location) retraction {
	return retraction{Credential: id, Kind: x.Kind, TargetID: x.TargetID, TargetAt: rfc3339(x.TargetTime, loc),
		RetractionID: x.ID, Actor: f.actor, Reason: f.reason, RecordedAt: rfc3339(recorded, loc)}
}

// check refuses a missing reason, or a missing --actor where the OS
// account is no person's, before anything is opened.
func (f *retractFlags) check(cmd *cobra.Command) error {
	if err := checkOutput(f.output, textOrJSON...); err != nil {
		return err
	}
	if strings.TrimSpace(f.reason) == "" {
		return errors.New("--reason: required; say why the record was a mistake")
	}
	return resolveActor(cmd, "actor", &f.actor)
}

func (c *cli) retractRotationCmd() *cobra.Command {
	var f retractFlags
	var id int64
	var atRotation string
	cmd := &cobra.Command{
		Use:   "rotation CREDENTIAL",
		Short: "Retract a rotation (default: the latest): the earlier cycle resumes with its deadline, sent stages and acknowledgments",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			if id != 0 && atRotation != "" {
				return errors.New("--rotation and --at-rotation: give one of them")
			}
			var target time.Time
			if atRotation != "" {
				if _, err := config.ParseTime(atRotation, time.UTC); err != nil {
					return fmt.Errorf("--at-rotation: %w", err)
				}
			}
			m, now, err := c.openToRecord(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			loc := m.Config.Location
			if atRotation != "" {
				target, _ = config.ParseTime(atRotation, loc)
			}
			x, err := m.Engine.Retract(cmd.Context(), domain.Retraction{CredentialID: args[0], Kind: domain.RetractRotation, TargetID: id,
				TargetAt: target, At: now, Actor: f.actor, Reason: f.reason})
			if err != nil {
				return err
			}
			recorded := c.recorded()
			cyc, err := m.Store.Cycle(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			deadline := cyc.Deadline(loc)
			if f.output == "json" {
				r := f.result(cyc.ID, x, recorded, loc)
				days := schedule.DaysRemaining(deadline, now, loc)
				r.Cycle, r.Deadline, r.DaysRemaining = rfc3339(cyc.Start, loc), rfc3339(deadline, loc), &days
				return report.JSON(c.stdout, r)
			}
			fmt.Fprintf(c.stdout, "%s: rotation %d at %s retracted by %s (retraction %d)\n", cyc.ID, x.TargetID,
				x.TargetTime.In(loc).Format(time.RFC3339), report.Escape(f.actor), x.ID)
			fmt.Fprintf(c.stdout, "current cycle: rotated at %s; deadline %s (%d days)\n", cyc.Start.In(loc).Format(time.RFC3339),
				deadline.In(loc).Format(time.RFC3339), schedule.DaysRemaining(deadline, now, loc))
			return nil
		},
	}
	c.atFlag(cmd, atRecord)
	f.add(cmd)
	cmd.Flags().Int64Var(&id, "rotation", 0, "the id of the rotation to retract (history, audit_rotations); default the latest")
	cmd.Flags().StringVar(&atRotation, "at-rotation", "", "the time of the rotation to retract, as recorded")
	return cmd
}

func (c *cli) retractAckCmd() *cobra.Command {
	var f retractFlags
	var id int64
	cmd := &cobra.Command{
		Use:   "ack CREDENTIAL",
		Short: "Retract an acknowledgment (default: the one of the current cycle): the cycle is unacknowledged and its repeats resume",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			m, now, err := c.openToRecord(cmd)
			if err != nil {
				return err
			}
			defer m.Close()
			x, err := m.Engine.Retract(cmd.Context(), domain.Retraction{CredentialID: args[0], Kind: domain.RetractAck, TargetID: id,
				At: now, Actor: f.actor, Reason: f.reason})
			if err != nil {
				return err
			}
			if f.output == "json" {
				return report.JSON(c.stdout, f.result(args[0], x, c.recorded(), m.Config.Location))
			}
			fmt.Fprintf(c.stdout, "%s: acknowledgment %d of %s retracted by %s (retraction %d)\n", args[0], x.TargetID,
				x.TargetTime.In(m.Config.Location).Format(time.RFC3339), report.Escape(f.actor), x.ID)
			return nil
		},
	}
	c.atFlag(cmd, atRecord)
	f.add(cmd)
	cmd.Flags().Int64Var(&id, "ack", 0, "the id of the acknowledgment to retract (audit_acknowledgments); default the current cycle's")
	return cmd
}

// backward is check's warnings, printed after its summary: one for each
// credential whose rotated_at in the config is before the rotation the
// config itself recorded for its current cycle, with the command that
// would retract that rotation: the config moving backward does not
// retract by itself. The database is opened read-only, and only if it
// exists; without one there is nothing to compare.
func (c *cli) backward(cmd *cobra.Command, cfg *config.Config) ([]report.CheckProblem, error) {
	if !backend.IsPostgres(cfg.Database) {
		if _, err := os.Stat(cfg.Database); errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
	}
	st, err := backend.OpenReadOnly(cmd.Context(), cfg.Database)
	if err != nil {
		return nil, fmt.Errorf("check: rotated_at not compared with the records: %w", err)
	}
	defer st.Close()
	var warnings []report.CheckProblem
	for _, cr := range cfg.Credentials {
		if cr.DatedBy != "" || cr.RotatedAt.IsZero() {
			continue
		}
		cyc, err := st.Cycle(cmd.Context(), cr.ID)
		if errors.Is(err, domain.ErrUnknownCredential) {
			continue
		}
		if err != nil {
			return warnings, fmt.Errorf("check: %w", err)
		}
		if cyc.Source != "config" || !cr.RotatedAt.Before(cyc.Start) {
			continue
		}
		r := domain.Rotation{ID: cyc.RotationID, CredentialID: cr.ID, RotatedAt: cyc.Start, Source: cyc.Source}
		only, err := st.OnlyLiveRotation(cmd.Context(), r)
		if err != nil {
			return warnings, fmt.Errorf("check: %w", err)
		}
		warnings = append(warnings, report.CheckProblem{Credential: cr.ID, Severity: "warning",
			Message: fmt.Sprintf("rotated_at %s in the config is before the rotation recorded from it at %s (moved backward; ignored); %s",
				sqlstore.FormatTime(cr.RotatedAt), sqlstore.FormatTime(cyc.Start), sqlstore.BackwardHint(r, only))})
	}
	return warnings, nil
}
