package sqlstore

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

func SyncCredential(t Tx, old Credential, c domain.Credential, now time.Time, changes *[]domain.Change) error {
	var diffs []string
	diff := func(field, a, b string) {
		if a != b {
			diffs = append(diffs, fmt.Sprintf("%s %q -> %q", field, a, b))
		}
	}
	diff("name", old.Name, c.Name)
	diff("owner", old.Owner, c.Owner)
	diff("rotation_period", old.RotationPeriod.String(), c.RotationPeriod.String())
	diff("expires_at", optionalTime(old.ExpiresAt), optionalTime(c.ExpiresAt))
	diff("policy", old.Policy, c.Policy)
	diff("lwa.client_id", old.LWAClientID, c.LWAClientID)
	diff("source", old.Source.Detail(), c.Source.Detail())
	reactivated := !old.Active
	moved := old.File != c.File

	switch {
	case c.DatedBy != "":
		// No rotated_at in the config: the source's versions record the
		// rotations, and the config's record stays as it was.
		c.RotatedAt = old.RotatedAt
	case c.RotatedAt.After(old.RotatedAt):
		if err := configRotation(t, old, c, now, changes); err != nil {
			return err
		}
	case c.RotatedAt.Before(old.RotatedAt):
		msg := fmt.Sprintf("rotated_at moved backward in the config (%s -> %s); ignored, the recorded rotations stand",
			FormatTime(old.RotatedAt), FormatTime(c.RotatedAt))
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "ignored", Detail: msg, Warn: true})
	}
	if len(diffs) == 0 && !reactivated && !moved && c.RotatedAt.Equal(old.RotatedAt) {
		return nil
	}
	if err := t.PutCredential(c, true, now); err != nil {
		return err
	}
	if reactivated {
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "reactivated",
			Detail: "back in the config"}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "reactivated", Detail: "back in the config"})
	}
	if len(diffs) > 0 {
		detail := strings.Join(diffs, "; ")
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventCredential, CredentialID: c.ID, Status: "updated", Detail: detail}); err != nil {
			return err
		}
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "updated", Detail: detail})
	}
	if len(diffs) > 0 || reactivated {
		return t.MarkDue(c.ID, now)
	}
	return nil
}

// configRotation records the rotation an operator wrote into the config,
// unless an equal or newer one is already recorded (say, by `notifier
// rotate` a minute earlier).
func configRotation(t Tx, old Credential, c domain.Credential, now time.Time, changes *[]domain.Change) error {
	latest, err := t.Rotation(old.RotationID)
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		return err
	}
	switch {
	case err == nil && latest.RotatedAt.Equal(c.RotatedAt):
		return nil
	case err == nil && latest.RotatedAt.After(c.RotatedAt):
		msg := fmt.Sprintf("rotated_at %s in the config is older than the latest recorded rotation %s (source %s); ignored",
			FormatTime(c.RotatedAt), FormatTime(latest.RotatedAt), latest.Source)
		*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "ignored", Detail: msg, Warn: true})
		return t.InsertEvent(domain.Event{Time: now, Type: domain.EventConfig, CredentialID: c.ID, Status: "ignored", Detail: msg})
	}
	if _, err := t.InsertRotation(domain.Rotation{CredentialID: c.ID, RotatedAt: c.RotatedAt, Source: "config"}, now); err != nil {
		return err
	}
	*changes = append(*changes, domain.Change{CredentialID: c.ID, Status: "rotated", Detail: "rotation recorded from the config at " + FormatTime(c.RotatedAt)})
	return nil
}

// optionalTime is t as a change's detail shows it: empty for none.
func optionalTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return FormatTime(t)
}
