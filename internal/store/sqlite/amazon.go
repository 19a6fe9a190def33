package sqlite

import (
	"context"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/store/sqlstore"
)

// RecordNotice records one SP-API notification about a client secret, in
// one transaction, and says what it did (see sqlstore.RecordNotice).
func (s *Store) RecordNotice(ctx context.Context, n domain.Notice, now time.Time) (res domain.NoticeResult, err error) {
	err = s.update(ctx, func(t *tx) (err error) { res, err = sqlstore.RecordNotice(t, n, now); return err })
	return res, err
}
