package main

import (
	"context"
	"fmt"
	"time"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/daemon"
	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store/copydb"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// readerStore is what the read-only commands (history, report, status)
// use.
type readerStore interface {
	engine.Store
	History(ctx context.Context, f domain.HistoryFilter) ([]domain.Event, error)
	ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error
	SyncedTimezone(ctx context.Context) (string, error)
	VerifyChain(ctx context.Context, opts chain.Options) (chain.Report, error)
	ChainHead(ctx context.Context) (chain.Head, error)
	CopySide() copydb.DB
	Path() string
	Close() error
}

// openReadOnly opens the database for reading only.
func openReadOnly(ctx context.Context, database string) (readerStore, error) {
	if postgres.IsURL(database) {
		return postgres.OpenReadOnly(ctx, database)
	}
	return sqlite.OpenReadOnly(ctx, database)
}

// appliedMigrations lists the applied migrations of either store, as
// `notifier migrate` prints them.
func appliedMigrations(ctx context.Context, s daemon.Store) ([]string, error) {
	var out []string
	switch s := s.(type) {
	case *sqlite.Store:
		ms, err := s.Migrations(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d %s (applied %s)", m.Version, m.Name, m.AppliedAt))
		}
	case *postgres.Store:
		ms, err := s.Migrations(ctx)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			out = append(out, fmt.Sprintf("%04d %s (postgres, applied %s)", m.Version, m.Name, m.AppliedAt.Format(time.RFC3339)))
		}
	}
	return out, nil
}
