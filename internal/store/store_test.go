package store_test

import (
	"github.com/notifier-dev/notifier/internal/engine"
	"github.com/notifier-dev/notifier/internal/store"
	"github.com/notifier-dev/notifier/internal/store/postgres"
	"github.com/notifier-dev/notifier/internal/store/sqlite"
)

// Both backends are every role; PostgreSQL is a DueListener too, SQLite a
// Checkpointer. The
// engine is a NoticeRecorder: it completes a notice before storing it.
var (
	_ store.Syncer     = (*sqlite.Store)(nil)
	_ store.Planner    = (*sqlite.Store)(nil)
	_ store.Dispatcher = (*sqlite.Store)(nil)
	_ store.Recorder   = (*sqlite.Store)(nil)
	_ store.Reader     = (*sqlite.Store)(nil)
	_ store.Auditor    = (*sqlite.Store)(nil)
	_ store.Amazon     = (*sqlite.Store)(nil)
	_ store.Leaser     = (*sqlite.Store)(nil)
	_ store.Copier     = (*sqlite.Store)(nil)
	_ store.Engine     = (*sqlite.Store)(nil)
	_ store.ReadOnly   = (*sqlite.Store)(nil)
	_ store.Store      = (*sqlite.Store)(nil)

	_ store.Checkpointer = (*sqlite.Store)(nil)

	_ store.Syncer      = (*postgres.Store)(nil)
	_ store.Planner     = (*postgres.Store)(nil)
	_ store.Dispatcher  = (*postgres.Store)(nil)
	_ store.Recorder    = (*postgres.Store)(nil)
	_ store.Reader      = (*postgres.Store)(nil)
	_ store.Auditor     = (*postgres.Store)(nil)
	_ store.Amazon      = (*postgres.Store)(nil)
	_ store.Leaser      = (*postgres.Store)(nil)
	_ store.Copier      = (*postgres.Store)(nil)
	_ store.Engine      = (*postgres.Store)(nil)
	_ store.ReadOnly    = (*postgres.Store)(nil)
	_ store.Store       = (*postgres.Store)(nil)
	_ store.DueListener = (*postgres.Store)(nil)

	_ store.NoticeRecorder = (*engine.Engine)(nil)
)
