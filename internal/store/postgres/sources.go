package postgres

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// SourcedCredentials lists the active credentials whose rotations AWS
// reports (a source: in the config), by id: what each sync reads.
func (s *Store) SourcedCredentials(ctx context.Context) ([]domain.SourcedCredential, error) {
	return sqlstore.SourcedCredentials(ctx, s.reader())
}

// RecordSourceVersion records the current version of a credential's secret
// as its AWS source reports it, once per version, in one transaction, and
// says what it did (see sqlstore.RecordSourceVersion).
func (s *Store) RecordSourceVersion(ctx context.Context, v domain.SourceVersion, now time.Time) (status string, err error) {
	err = s.update(ctx, func(t *tx) (err error) { status, err = sqlstore.RecordSourceVersion(t, v, now); return err })
	if err != nil {
		return "", err
	}
	return status, nil
}
