package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// SourcedCredentials lists the active credentials whose rotations AWS
// reports (a source: in the config), by id: what each sync reads.
func (s *Store) SourcedCredentials(ctx context.Context) ([]domain.SourcedCredential, error) {
	rows, err := s.db.Query(ctx, `SELECT id, source_kind, source_name, source_region, source_endpoint
		FROM credentials WHERE source_kind IS NOT NULL AND `+s.db.IsTrue("active")+` ORDER BY id`)
	out, err := Collect(rows, err, func(r Scanner) (domain.SourcedCredential, error) {
		var c domain.SourcedCredential
		err := r.Scan(&c.ID, &c.Source.Kind, &c.Source.Name, &c.Source.Region, &c.Source.Endpoint)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: sourced credentials: %w", err)
	}
	return out, nil
}

// RecordSourceVersion records the current version of a credential's secret
// as its AWS source reports it, once per version, and says what it did:
//
//   - a version recorded before changes nothing (domain.VersionSeen);
//   - a version dated after the latest rotation records a rotation at its
//     date (source ssm or secretsmanager, dated now if the version claims
//     a later time), which closes the cycle (domain.VersionRotated) and
//     tells the replicas at the commit (NotifyDue), as a rotation does;
//   - one not newer (the config's rotated_at, or a `notifier rotate`, came
//     first) is recorded as seen with an event, and nothing else changes
//     (domain.VersionOlder).
//
// The credential must be active and have that source; the version's value
// is never given to the store.
func (s *Store) RecordSourceVersion(ctx context.Context, v domain.SourceVersion, now time.Time) (string, error) {
	var out string
	if err := s.update(ctx, func(t *Tx) (err error) { out, err = recordSourceVersion(t, v, now); return err }); err != nil {
		return "", err
	}
	return out, nil
}

// recordSourceVersion is RecordSourceVersion in t.
func recordSourceVersion(t *Tx, v domain.SourceVersion, now time.Time) (string, error) {
	now = StoredTime(now)
	at := StoredTime(MinTime(v.At, now))
	c, err := t.ActiveCredential(v.CredentialID)
	if err != nil {
		return "", err
	}
	if c.Source.Kind != v.Source {
		return "", fmt.Errorf("store: %s has no %s source", v.CredentialID, v.Source)
	}
	var seen int
	if err := t.QueryRow(`SELECT COUNT(*) FROM source_versions WHERE credential_id = ? AND source = ? AND source_name = ? AND version = ?`,
		v.CredentialID, v.Source, c.Source.Name, v.Version).Scan(&seen); err != nil {
		return "", fmt.Errorf("store: versions of %s: %w", v.CredentialID, err)
	}
	if seen > 0 {
		return domain.VersionSeen, nil
	}
	latest, err := t.Rotation(c.RotationID)
	if err != nil {
		return "", err
	}
	var rid any
	var status string
	switch {
	case at.Equal(latest.RotatedAt) && latest.Source == v.Source:
		// The rotation this version dated (a credential added with its
		// source's date): now it is known by its version too.
		rid, status = latest.ID, domain.VersionSeen
	case at.After(latest.RotatedAt):
		id, err := t.InsertRotation(domain.Rotation{CredentialID: v.CredentialID, RotatedAt: at, Source: v.Source, Actor: "aws",
			Note: fmt.Sprintf("version %s of %s", v.Version, c.Source.String())}, now)
		if err != nil {
			return "", err
		}
		if err := t.NotifyDue(); err != nil {
			return "", err
		}
		rid, status = id, domain.VersionRotated
	default:
		status = domain.VersionOlder
		if err := t.InsertEvent(domain.Event{Time: now, Type: domain.EventRotation, CredentialID: v.CredentialID, RotationID: c.RotationID,
			Status: "ignored", Actor: "aws",
			Detail: fmt.Sprintf("version %s of %s, of %s, is not newer than the latest rotation at %s (source %s); no rotation recorded",
				v.Version, c.Source.String(), FormatTime(StoredTime(v.At)), FormatTime(latest.RotatedAt), latest.Source)}); err != nil {
			return "", err
		}
	}
	if _, err := t.Exec(`INSERT INTO source_versions (credential_id, source, source_name, version, version_at, rotation_id, recorded_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, v.CredentialID, v.Source, c.Source.Name, v.Version, t.Time(v.At), rid, t.Time(t.Recorded())); err != nil {
		return "", fmt.Errorf("store: version of %s: %w", v.CredentialID, err)
	}
	return status, nil
}
