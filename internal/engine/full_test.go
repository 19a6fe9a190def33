package engine

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
)

// lineSignal is a log writer that closes seen the first time a line
// containing want is written.
type lineSignal struct {
	want string
	once sync.Once
	seen chan struct{}
}

func (l *lineSignal) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(l.want)) {
		l.once.Do(func() { close(l.seen) })
	}
	return len(p), nil
}

// TestFullDatabaseLosesNoOutcome: the database fills while reminders are
// being sent. The fill is real: SQLite's own max_page_count, lowered on the
// store's write connections, makes every write that needs a new page fail
// with SQLITE_FULL "database or disk is full", as a full disk does (a
// small tmpfs would need root). Once the engine says outcomes cannot be
// recorded, space returns. Every reminder reaches the webhook exactly once
// and every one delivered is recorded sent, even after a later pass that
// would take over any delivery whose outcome was dropped.
func TestFullDatabaseLosesNoOutcome(t *testing.T) {
	const n, fillAfter = 200, 20
	s := newSink(t, false)
	path := fleetConfig(t, t.TempDir(), n, map[string]string{"hook": s.srv.URL}, 4)
	sig := &lineSignal{want: "outcomes not recorded", seen: make(chan struct{})}
	e, st := openEngine(t, path, WithLogger(slog.New(slog.NewTextHandler(sig, nil))))

	tickDone := make(chan struct{})
	lifted := make(chan struct{})
	go func() {
		defer close(lifted)
		for range fillAfter {
			select {
			case <-s.arrived:
			case <-tickDone:
				return
			}
		}
		st.LimitPages(1) // no new page: the database is full
		select {
		case <-sig.seen:
		case <-tickDone:
		}
		st.LimitPages(0) // space returns
	}()
	ctx := context.Background()
	_, tickErr := e.Tick(ctx, serviceNow)
	close(tickDone)
	<-lifted
	// A later pass, when every claim of the first has expired: whatever
	// the first left unrecorded would be claimed and sent again here.
	if _, err := e.Retry(ctx, serviceNow.Add(time.Hour)); err != nil {
		t.Errorf("retry pass: %v", err)
	}
	s.settle(t)

	keys, posts, dups := s.counts()
	ds, err := st.Deliveries(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	for _, d := range ds {
		status[d.Status]++
	}
	t.Logf("webhook: %d reminders, %d posts, %d delivered twice; records: %v", keys, posts, dups, status)
	if dups != 0 {
		t.Errorf("reminders delivered more than once: %d extra posts (want 0)", dups)
	}
	if keys != n {
		t.Errorf("the webhook received %d distinct reminders, want %d", keys, n)
	}
	if status[domain.StatusSent] != n || len(ds) != n {
		t.Errorf("delivered reminders recorded sent: %d of %d deliveries (%v), want all %d", status[domain.StatusSent], len(ds), status, n)
	}
	select {
	case <-sig.seen:
	default:
		t.Error(`the engine never logged "outcomes not recorded" while the database was full`)
	}
	// A claim the full database refused ends the tick with that error (the
	// rest waits for the next pass, which sent it above); outcomes never do.
	if tickErr != nil && !strings.HasPrefix(tickErr.Error(), "store: claim: ") {
		t.Errorf("tick: %v (want the outcomes recorded once space returned)", tickErr)
	}
	if err := e.Unrecorded(); err != nil {
		t.Errorf("after space returned the engine still reports outcomes not recorded: %v", err)
	}
}
