package engine

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/config"
	"github.com/notifier-dev/notifier/internal/db"
)

// sync makes the store match the config, in one transaction: new
// credentials are added with their first rotation (source config), changed
// ones updated, a rotated_at that moved forward records a rotation, one
// that moved backward is ignored with a warning, and credentials no longer
// in the config become inactive. Nothing is ever deleted.
func (e *Engine) sync(ctx context.Context, now time.Time) error {
	cfg := e.cfg
	return e.store.Update(ctx, func(tx *db.Tx) error {
		existing, err := tx.Credentials()
		if err != nil {
			return err
		}
		inConfig := make(map[string]bool, len(cfg.Credentials))
		for _, c := range cfg.Credentials {
			inConfig[c.ID] = true
			if err := e.syncCredential(tx, c, existing, now); err != nil {
				return err
			}
		}
		var gone []string
		for id, row := range existing {
			if row.Active && !inConfig[id] {
				gone = append(gone, id)
			}
		}
		sort.Strings(gone)
		for _, id := range gone {
			row := existing[id]
			row.Active = false
			if err := tx.PutCredential(row, now); err != nil {
				return err
			}
			if err := tx.SupersedePending(id, 0, now, "superseded: the credential was removed from the config"); err != nil {
				return err
			}
			if err := tx.InsertEvent(db.Event{Time: now, Type: db.EventCredential, CredentialID: id, Status: "inactive",
				Detail: "removed from the config; kept as inactive"}); err != nil {
				return err
			}
			e.logger.Info("credential removed from the config; now inactive", "credential", id)
		}
		return nil
	})
}

func row(c config.Credential, configRotatedAt time.Time) db.Credential {
	return db.Credential{ID: c.ID, Name: c.Name, Owner: c.Owner, RotationPeriod: c.RotationPeriod.String(),
		ExpiresAt: c.ExpiresAt, Policy: c.Policy, ConfigRotatedAt: configRotatedAt, Active: true}
}

func (e *Engine) syncCredential(tx *db.Tx, c config.Credential, existing map[string]db.Credential, now time.Time) error {
	old, known := existing[c.ID]
	if !known {
		if err := tx.PutCredential(row(c, c.RotatedAt), now); err != nil {
			return err
		}
		if err := tx.InsertEvent(db.Event{Time: now, Type: db.EventCredential, CredentialID: c.ID, Status: "added",
			Detail: fmt.Sprintf("%s (owner %s, period %s, policy %s)", c.Name, c.Owner, c.RotationPeriod, c.Policy)}); err != nil {
			return err
		}
		_, err := tx.InsertRotation(db.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt, Source: "config"}, now)
		return err
	}
	next := row(c, c.RotatedAt)
	var changes []string
	diff := func(field, a, b string) {
		if a != b {
			changes = append(changes, fmt.Sprintf("%s %q -> %q", field, a, b))
		}
	}
	diff("name", old.Name, next.Name)
	diff("owner", old.Owner, next.Owner)
	diff("rotation_period", old.RotationPeriod, next.RotationPeriod)
	diff("expires_at", timeText(old.ExpiresAt), timeText(next.ExpiresAt))
	diff("policy", old.Policy, next.Policy)

	switch {
	case c.RotatedAt.After(old.ConfigRotatedAt):
		if err := e.configRotation(tx, c, now); err != nil {
			return err
		}
	case c.RotatedAt.Before(old.ConfigRotatedAt):
		msg := fmt.Sprintf("rotated_at moved backward in the config (%s -> %s); ignored, the recorded rotations stand",
			db.FormatTime(old.ConfigRotatedAt), db.FormatTime(c.RotatedAt))
		e.logger.Warn(msg, "credential", c.ID)
		if err := tx.InsertEvent(db.Event{Time: now, Type: db.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg}); err != nil {
			return err
		}
	}
	reactivated := !old.Active
	if len(changes) == 0 && !reactivated && next.ConfigRotatedAt.Equal(old.ConfigRotatedAt) {
		return nil
	}
	if err := tx.PutCredential(next, now); err != nil {
		return err
	}
	if reactivated {
		if err := tx.InsertEvent(db.Event{Time: now, Type: db.EventCredential, CredentialID: c.ID, Status: "reactivated",
			Detail: "back in the config"}); err != nil {
			return err
		}
	}
	if len(changes) > 0 {
		return tx.InsertEvent(db.Event{Time: now, Type: db.EventCredential, CredentialID: c.ID, Status: "updated",
			Detail: strings.Join(changes, "; ")})
	}
	return nil
}

// configRotation records the rotation an operator wrote into the config,
// unless an equal or newer one is already recorded (say, by `notifier
// rotate` a minute earlier).
func (e *Engine) configRotation(tx *db.Tx, c config.Credential, now time.Time) error {
	latest, err := tx.LatestRotation(c.ID)
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		return err
	}
	switch {
	case err == nil && latest.RotatedAt.Equal(c.RotatedAt):
		return nil
	case err == nil && latest.RotatedAt.After(c.RotatedAt):
		msg := fmt.Sprintf("rotated_at %s in the config is older than the latest recorded rotation %s (source %s); ignored",
			db.FormatTime(c.RotatedAt), db.FormatTime(latest.RotatedAt), latest.Source)
		e.logger.Warn(msg, "credential", c.ID)
		return tx.InsertEvent(db.Event{Time: now, Type: db.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg})
	}
	id, err := tx.InsertRotation(db.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt, Source: "config"}, now)
	if err != nil {
		return err
	}
	e.logger.Info("rotation recorded from the config", "credential", c.ID, "rotated_at", db.FormatTime(c.RotatedAt))
	return tx.SupersedePending(c.ID, id, now, "superseded by the rotation at "+db.FormatTime(c.RotatedAt))
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return db.FormatTime(t)
}
