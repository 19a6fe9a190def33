package report

import (
	"context"

	"github.com/notifier-dev/notifier/internal/chain"
	"github.com/notifier-dev/notifier/internal/domain"
)

// Store is what the compliance report reads: the cycles of a window, one
// at a time, and the history's chain head.
type Store interface {
	ReportCycles(ctx context.Context, f domain.ReportFilter, fn func(domain.CycleRecord) error) error
	ChainHead(ctx context.Context) (chain.Head, error)
}
