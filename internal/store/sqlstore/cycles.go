package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// The rules about cycles, each written once here and used by every query
// that needs it. A cycle is a rotation of a credential and the time until
// the next one; the queries name a credential c, a rotation r and an
// acknowledgment a.
const (
	// CurrentCycle joins each credential c with its current cycle: the
	// rotation r it points at (rotation_id), its latest.
	CurrentCycle = `credentials c JOIN rotations r ON r.id = c.rotation_id`
	// CycleAt joins each credential c with the cycle in force at the
	// moment its one placeholder gives: its latest rotation r (in
	// RotationOrder) not after that moment.
	CycleAt = `credentials c JOIN rotations r ON r.id = (SELECT r2.id FROM rotations r2
		WHERE r2.credential_id = c.id AND r2.rotated_at <= ?
			AND NOT EXISTS (SELECT 1 FROM retractions rx WHERE rx.kind = 'rotation' AND rx.target_id = r2.id) ORDER BY r2.rotated_at DESC, r2.id DESC LIMIT 1)`
	// LiveRotation holds for a rotation r that was not retracted: only
	// live rotations start cycles; a retracted one stays, marked.
	LiveRotation = `NOT EXISTS (SELECT 1 FROM retractions rx WHERE rx.kind = 'rotation' AND rx.target_id = r.id)`
	// LiveAck holds for an acknowledgment a that was not retracted.
	LiveAck = `NOT EXISTS (SELECT 1 FROM retractions ax WHERE ax.kind = 'acknowledgment' AND ax.target_id = a.id)`
	// RotationOrder is the order of a credential's rotations: by time,
	// then as recorded.
	RotationOrder = `r.rotated_at, r.id`
	// ClosingRotation is, beside each rotation r, the id of the rotation
	// that closed its cycle: the credential's next live one in
	// RotationOrder (NULL for the current cycle); a retracted rotation
	// neither starts nor closes a cycle. A correlated lookup, not a window
	// function: the query over r then reads in the rotations' index order,
	// which a window's result hides from the planner (a report of the
	// fleet sorted every cycle in memory).
	ClosingRotation = `(SELECT r2.id FROM rotations r2 WHERE r2.credential_id = r.credential_id
		AND (r2.rotated_at > r.rotated_at OR (r2.rotated_at = r.rotated_at AND r2.id > r.id))
		AND NOT EXISTS (SELECT 1 FROM retractions rx WHERE rx.kind = 'rotation' AND rx.target_id = r2.id)
		ORDER BY r2.rotated_at, r2.id LIMIT 1)`
	// SeenRotation holds for a rotation r that notifier saw (an
	// operator's record, Amazon's, AWS's), not the one a credential was
	// added with (dated by its config or its AWS source: no rotation was
	// seen): the credential has an earlier one. Read by the rotations'
	// (credential_id, rotated_at) key.
	SeenRotation = `EXISTS (SELECT 1 FROM rotations p WHERE p.credential_id = r.credential_id AND p.rotated_at < r.rotated_at)`
	// AckOrder is the order of a cycle's acknowledgments, as listed.
	AckOrder = `a.acked_at, a.id`
	// FirstAckOf completes "SELECT a.column " into the live
	// acknowledgment of the cycle of rotation r that counts (it stops the
	// repeats, later messages name it): its latest. A cycle has one live
	// acknowledgment unless snoozes ended: a second is recorded only
	// after a snooze ended, or to replace a snooze by a plain
	// acknowledgment (recordAck), and then the latest is in force.
	FirstAckOf = `FROM acknowledgments a WHERE a.rotation_id = r.id AND ` + LiveAck + ` ORDER BY ` + ackLatest + ` LIMIT 1`
	// ackLatest orders a cycle's acknowledgments latest first.
	ackLatest = `a.acked_at DESC, a.id DESC`
	// LatestLiveRotation completes "SELECT r.column " into the latest live
	// rotation of the credential given as the parameter.
	LatestLiveRotation = `FROM rotations r WHERE r.credential_id = ? AND ` + LiveRotation + ` ORDER BY r.rotated_at DESC, r.id DESC LIMIT 1`
	// StatedDeadlineOf is the deadline Amazon last stated for the cycle of
	// rotation r (NULL for none): the raw record (cycle_deadlines); the
	// statement also moved the cycle's terms (TermsOf), which every reader
	// takes the deadline from.
	StatedDeadlineOf = `(SELECT cd.deadline FROM cycle_deadlines cd WHERE cd.rotation_id = r.id ORDER BY cd.id DESC LIMIT 1)`
	// lastSentOf completes "SELECT x.column " into the cycle's last sent
	// reminder.
	lastSentOf = `FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'sent' AND x.stage <> 'announce' ORDER BY x.sent_at DESC, x.due_at DESC LIMIT 1`
)

// CredColumns are a credential's columns, as ScanCredential reads them.
const CredColumns = `c.id, c.name, c.owner, c.rotation_period, c.expires_at, c.policy, c.config_rotated_at, c.file, c.active,
	COALESCE(c.rotation_id, 0), c.next_action_at, COALESCE(c.lwa_client_id, ''),
	COALESCE(c.source_kind, ''), c.source_name, c.source_region, c.source_endpoint`

// CycleColumns are a credential's columns and its current cycle's (its
// rotation, first acknowledgment and stated deadline), as ScanCycle reads
// them; the query joins CurrentCycle (or a delivery's rotation r).
const CycleColumns = CredColumns + `, r.rotated_at, r.source, (SELECT a.acked_at ` + FirstAckOf + `), (SELECT a.actor ` + FirstAckOf + `), (SELECT a.snoozed_until ` + FirstAckOf + `), ` +
	StatedDeadlineOf + `, (SELECT t.deadline ` + TermsOf + `), (SELECT t.policy ` + TermsOf + `)`

// cycleColumnsAt is CycleColumns as they stood at a moment, given as each
// of its five parameters: the acknowledgment in force by then, and the
// terms recorded by then (termsAt's rule: the latest recorded at or
// before it, else the cycle's first), for a view at an earlier moment.
const cycleColumnsAt = CredColumns + `, r.rotated_at, r.source, (SELECT a.acked_at ` + firstAckBy + `), (SELECT a.actor ` + firstAckBy + `), (SELECT a.snoozed_until ` + firstAckBy + `), ` +
	StatedDeadlineOf + `, (SELECT t.deadline ` + termsBy + `), (SELECT t.policy ` + termsBy + `)`

const (
	firstAckBy = `FROM acknowledgments a WHERE a.rotation_id = r.id AND ` + LiveAck + ` AND a.acked_at <= ? ORDER BY ` + ackLatest + ` LIMIT 1`
	termsBy    = `FROM cycle_terms t WHERE t.rotation_id = r.id ORDER BY CASE WHEN t.recorded_at <= ? THEN t.id ELSE -t.id END DESC LIMIT 1`
)

// ScanCredential reads CredColumns, then extra.
func ScanCredential(s Scanner, extra ...any) (Credential, error) {
	var c Credential
	var period string
	if err := s.Scan(append(c.dests(&period), extra...)...); err != nil {
		return c, err
	}
	return c, c.setPeriod(period)
}

// dests are the Scan destinations of CredColumns in c, the rotation
// period's text in period.
func (c *Credential) dests(period *string) []any {
	return []any{&c.ID, &c.Name, &c.Owner, period, NullTimeOf(&c.ExpiresAt), &c.Policy, TimeOf(&c.RotatedAt), &c.File, &c.Active,
		&c.RotationID, NullTimeOf(&c.NextAction), &c.LWAClientID, &c.Source.Kind, &c.Source.Name, &c.Source.Region, &c.Source.Endpoint}
}

// setPeriod sets c's rotation period from its text.
func (c *Credential) setPeriod(period string) error {
	var err error
	if c.RotationPeriod, err = schedule.ParseSpan(period); err != nil {
		return fmt.Errorf("store: credential %s: rotation_period: %w", c.ID, err)
	}
	return nil
}

// ScanCycle reads CycleColumns, then extra.
func ScanCycle(s Scanner, extra ...any) (domain.Cycle, error) {
	return newCycleScan(extra...).scan(s)
}

// cycleScan is the Scan destinations of CycleColumns and extra, made
// once and reused row after row: a view of a million rows does not
// allocate them a million times.
type cycleScan struct {
	c             domain.Cycle
	row           Credential
	period        string
	ackBy, policy sql.NullString
	dst           []any
}

func newCycleScan(extra ...any) *cycleScan {
	x := &cycleScan{}
	x.dst = append(x.row.dests(&x.period), TimeOf(&x.c.Start), &x.c.Source, NullTimeOf(&x.c.AckAt), &x.ackBy, NullTimeOf(&x.c.AckUntil), NullTimeOf(&x.c.StatedDeadline),
		NullTimeOf(&x.c.TermsDeadline), &x.policy)
	x.dst = append(x.dst, extra...)
	return x
}

// scan reads one row into the cycle it returns (and extra).
func (x *cycleScan) scan(s Scanner) (domain.Cycle, error) {
	x.c, x.row = domain.Cycle{}, Credential{}
	if err := s.Scan(x.dst...); err != nil {
		return domain.Cycle{}, err
	}
	if err := x.row.setPeriod(x.period); err != nil {
		return domain.Cycle{}, err
	}
	c := x.c
	c.Credential, c.Active, c.RotationID, c.NextAction, c.AckBy = x.row.Credential, x.row.Active, x.row.RotationID, x.row.NextAction, x.ackBy.String
	if x.policy.Valid { // the cycle's ladder is the policy of its terms
		c.Policy = x.policy.String
	}
	return c, nil
}

// Cycle returns a credential, active or not, with its current cycle.
func (s *Store) Cycle(ctx context.Context, id string) (domain.Cycle, error) {
	c, err := ScanCycle(s.db.QueryRow(ctx, `SELECT `+CycleColumns+` FROM `+CurrentCycle+` WHERE c.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("%w %q", domain.ErrUnknownCredential, id)
	}
	if err != nil {
		return c, fmt.Errorf("store: credential %s: %w", id, err)
	}
	return c, nil
}

// States returns every credential, active or not, with its current cycle
// and its deliveries' counts, by id.
func (s *Store) States(ctx context.Context) ([]domain.CredentialState, error) {
	return s.states(ctx, CycleColumns, CurrentCycle)
}

// StatesAt is States as it was at a moment: each credential with the
// cycle in force then (its latest rotation not after at; a cycle that
// started later is not yet known), and that cycle's counts. A credential
// with no rotation by then is left out.
func (s *Store) StatesAt(ctx context.Context, at time.Time) ([]domain.CredentialState, error) {
	t := s.db.Time(at)
	return s.states(ctx, cycleColumnsAt, CycleAt, t, t, t, t, t, t)
}

func (s *Store) states(ctx context.Context, columns, from string, args ...any) ([]domain.CredentialState, error) {
	rows, err := s.db.Query(ctx, `SELECT `+columns+`, (SELECT x.stage `+lastSentOf+`), (SELECT x.sent_at `+lastSentOf+`),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'failed'),
			(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'pending'), `+SeenRotation+`
		FROM `+from+` ORDER BY c.id`, args...)
	out, err := Collect(rows, err, func(r Scanner) (domain.CredentialState, error) {
		var st domain.CredentialState
		var stage sql.NullString
		var err error
		st.Cycle, err = ScanCycle(r, &stage, NullTimeOf(&st.LastSentAt), &st.Failed, &st.Pending, &st.RotationSeen)
		st.LastStage = stage.String
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("store: states: %w", err)
	}
	return out, nil
}

// statePage is how many credentials one query of EachState reads, a
// page's rows being all a view holds; the first page is smaller, so that
// the first rows show at once.
const (
	statePage      = 1000
	firstStatePage = 100
	// sideStatePage is a page read side by side (eachStateSideBySide):
	// smaller, for a page a reader and the two waiting are all held at
	// once (a CredentialState is 640 bytes).
	sideStatePage = 500
)

// joinedCycleColumns are CycleColumns with the rows that give several
// of them (the cycle's latest terms t, its first live acknowledgment fa)
// joined once by their key (cycleJoins), not looked up once per column.
const joinedCycleColumns = CredColumns + `, r.rotated_at, r.source, fa.acked_at, fa.actor, fa.snoozed_until, ` + StatedDeadlineOf + `, t.deadline, t.policy`

// cycleJoins join, beside CurrentCycle, the rows joinedCycleColumns read:
// the cycle's latest terms t (TermsOf) and its first live acknowledgment
// fa (FirstAckOf), each by its primary key.
const cycleJoins = `
	LEFT JOIN cycle_terms t ON t.id = (SELECT MAX(t2.id) FROM cycle_terms t2 WHERE t2.rotation_id = r.id)
	LEFT JOIN acknowledgments fa ON fa.id = (SELECT a.id ` + FirstAckOf + `)`

// The columns of EachState, in ScanCycle's order and then the last sent
// reminder's stage and time, the counts of failed and pending
// deliveries, the credential's last probe (any outcome), its last ok
// probe and the last probe's outcome, and when Amazon last accepted a
// request to rotate its secret in the current cycle (NULL: none
// pending). They are joinedCycleColumns and States' with each row that
// gives several columns (also its last sent reminder, the last probe)
// joined once by its key (stateJoins), not looked up once per column.
const stateColumns = joinedCycleColumns + `,
	ls.stage, ls.sent_at,
	(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'failed'),
	(SELECT COUNT(*) FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'pending'),
	lp.probed_at,
	(SELECT MAX(p.probed_at) FROM lwa_probes p WHERE p.credential_id = c.id AND p.outcome = 'ok'),
	lp.outcome,
	(SELECT MAX(q.requested_at) FROM rotation_requests q WHERE q.credential_id = c.id AND q.rotation_id = r.id AND q.outcome = 'requested'),
	wd.channel, wd.next_attempt_at, ` + SeenRotation

// stateJoins join, beside CurrentCycle, the rows stateColumns read:
// cycleJoins', the cycle's last sent reminder ls (lastSentOf) and the
// credential's last probe lp, and the cycle's pending delivery never yet
// tried that waits longest wd (a send deferred to its channel's delivery
// window), each by its primary key.
const stateJoins = cycleJoins + `
	LEFT JOIN deliveries ls ON ls.id = (SELECT x.id ` + lastSentOf + `)
	LEFT JOIN lwa_probes lp ON lp.id = (SELECT p.id FROM lwa_probes p WHERE p.credential_id = c.id ORDER BY p.probed_at DESC, p.id DESC LIMIT 1)
	LEFT JOIN deliveries wd ON wd.id = (SELECT x.id FROM deliveries x WHERE x.rotation_id = r.id AND x.status = 'pending' AND x.attempts = 0 ORDER BY x.next_attempt_at DESC, x.id DESC LIMIT 1)`

// EachState calls fn with every credential, active or not, with its
// current cycle and its deliveries' counts (as States), its last probes
// and its pending rotation request, in id order, as far as q selects:
// a page of statePage credentials at a time, so that memory stays flat
// at any fleet size. A cycle with no terms recorded is kept by the
// deadline bounds (its deadline is computed by the engine). The pages are
// read on a goroutine of their own (pipe), beside fn.
func (s *Store) EachState(ctx context.Context, q domain.StateQuery, fn func(domain.CredentialState) error) error {
	// A read of a few rows (a console page) holds room for those: a
	// CredentialState is 640 bytes, and a page of statePage and a batch of
	// pipeBatch for each of fifty pages at once were 50 MB of empty room.
	batch := pipeBatch
	if q.Limit > 0 {
		batch = min(batch, q.Limit)
	}
	order := -1 // decided by eachState
	if q.After == "" && q.Limit == 0 && q.Page == 0 && !q.ByDeadline && q.Owner == "" && q.Like == "" && q.RotatedAfter.IsZero() {
		// A read of the whole fleet (or most of it) in id order runs on
		// several readers side by side: at a million credentials each
		// row's lookups (its terms, acknowledgment, deliveries, probes:
		// a dozen index searches) are most of a status's time, and one
		// connection does them on one core.
		var err error
		if order, err = s.idOrder(ctx, q); err != nil {
			return fmt.Errorf("store: states: %w", err)
		}
		if order == byIDDense || !q.Inactive && q.DeadlineAfter.IsZero() && q.DeadlineBy.IsZero() {
			return s.eachStateSideBySide(ctx, q, order, fn)
		}
	}
	return pipeBy(batch, func(emit func(domain.CredentialState) error) error { return s.eachState(ctx, q, order, emit) }, fn)
}

// idOrder is the order of an id-ordered read of q: a state's deadline
// range (or the retired) read by index only where it holds few
// credentials (their ids sorted); where it holds many, the fleet walked
// in id order finds a page soon.
func (s *Store) idOrder(ctx context.Context, q domain.StateQuery) (int, error) {
	if !q.Inactive && q.DeadlineAfter.IsZero() && q.DeadlineBy.IsZero() {
		return byID, nil
	}
	few, err := s.fewInRange(ctx, q)
	if err != nil || few {
		return byID, err
	}
	return byIDDense, nil
}

// eachStateSideBySide is EachState's read of q in id order (order: byID
// without bounds, or byIDDense) in pages on parallelReaders readers of
// one committed state (Parallel), each page the ids up to the one a
// page's length on, cut by the credentials' key alone.
func (s *Store) eachStateSideBySide(ctx context.Context, q domain.StateQuery, order int, fn func(domain.CredentialState) error) error {
	readers, done, err := s.db.Parallel(ctx, parallelReaders)
	if err != nil {
		return fmt.Errorf("store: states: %w", err)
	}
	defer done()
	upTo, upToArgs := s.statePageQueryOf(q, order, true, true)
	toEnd, toEndArgs := s.statePageQueryOf(q, order, true, false)
	size := func(first bool) int {
		if first {
			return firstStatePage // the first rows show at once
		}
		return sideStatePage
	}
	next := func(ctx context.Context, r Reader, after string, first bool) (string, bool, error) {
		var to string
		err := r.QueryRow(ctx, `SELECT c.id FROM credentials c WHERE c.id > ? ORDER BY c.id LIMIT 1 OFFSET ?`, after, size(first)-1).Scan(&to)
		if errors.Is(err, sql.ErrNoRows) {
			return "", true, nil
		}
		return to, false, err
	}
	read := func(ctx context.Context, r Reader, after, to string, first, last bool, states []domain.CredentialState) ([]domain.CredentialState, error) {
		if last {
			return s.statePageOn(ctx, r, states, toEnd, append(append([]any{after}, toEndArgs...), size(first)))
		}
		return s.statePageOn(ctx, r, states, upTo, append(append([]any{after, to}, upToArgs...), size(first)))
	}
	if err := readPages(ctx, readers, next, read, fn); err != nil {
		return fmt.Errorf("store: states: %w", err)
	}
	return nil
}

// eachState is EachState's read, on pipe's goroutine: pages in id
// order, or in deadline order (q.ByDeadline) and then the cycles without
// a stored deadline in id order (the tail).
func (s *Store) eachState(ctx context.Context, q domain.StateQuery, known int, fn func(domain.CredentialState) error) error {
	order := byID
	if q.ByDeadline {
		order = byDeadline
		if q.After != "" {
			// A cursor on a row without a stored deadline is in the tail.
			// Any other cursor seeks its place in the deadline order, even
			// when its row has moved since (rotated: a new deadline) or
			// names no credential: the page after it is never "the end".
			var n int
			if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM credentials c WHERE c.id = ? AND c.deadline IS NULL`, q.After).Scan(&n); err != nil {
				return fmt.Errorf("store: states: %w", err)
			}
			if n > 0 {
				order = tail
			}
		}
	} else if order = known; order < 0 {
		var err error
		if order, err = s.idOrder(ctx, q); err != nil {
			return fmt.Errorf("store: states: %w", err)
		}
	}
	rotatedByIndex := true
	if !q.RotatedAfter.IsZero() && order != byDeadline {
		// The rotations in the window read by index where they are few;
		// where they are many (a week's at a million credentials: tens
		// of thousands, each a row read), the page's order walked. (In
		// deadline order they are always read by index: see
		// statePageQueryOf; its tail, the few cycles without a stored
		// deadline, takes the index too.)
		var n int
		if err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM rotations r2 WHERE r2.rotated_at > ? LIMIT ?) x`,
			s.db.Time(q.RotatedAfter), fewRotations).Scan(&n); err != nil {
			return fmt.Errorf("store: states: %w", err)
		}
		rotatedByIndex = n < fewRotations
	}
	after, afterDeadline, left := q.After, q.AfterDeadline, q.Limit
	if after == "" {
		afterDeadline = time.Time{}
	}
	if order == byDeadline && !q.DeadlineAfter.IsZero() && afterDeadline.Before(q.DeadlineAfter) {
		// Seek to the range's start (its own bound drops the rows at it).
		after, afterDeadline = "", q.DeadlineAfter
	}
	var states []domain.CredentialState // one page, reused (grown to the largest page)
	for first := true; ; first = false {
		page := statePage
		if first {
			page = firstStatePage
		}
		if q.Page > 0 {
			// A caller's page is smaller, never larger, than the store's:
			// a page's rows are held before fn sees them (a --limit of
			// 100,000,000 asked room for 100M rows at once).
			page = min(q.Page, statePage)
		}
		if q.Limit > 0 {
			page = min(page, left)
		}
		if cap(states) < page {
			states = make([]domain.CredentialState, 0, page)
		}
		query, args := s.statePageQueryOf(q, order, rotatedByIndex, false)
		keyset := []any{after}
		if order == byDeadline {
			keyset = []any{s.db.Time(afterDeadline), after}
		}
		var err error
		if states, err = s.statePage(ctx, states[:0], query, append(append(keyset, args...), page)); err != nil {
			return fmt.Errorf("store: states: %w", err)
		}
		for _, st := range states {
			if err := fn(st); err != nil {
				return err
			}
		}
		left -= len(states)
		if q.Limit > 0 && left <= 0 {
			return nil
		}
		if len(states) < page {
			if order != byDeadline {
				return nil
			}
			order, after = tail, "" // then the cycles without a stored deadline
			continue
		}
		last := states[len(states)-1]
		after, afterDeadline = last.ID, last.TermsDeadline
	}
}

// The orders of EachState's pages.
const (
	byID       = iota // id order; a state's deadline range read by index
	byIDDense         // id order; the range judged on each row read
	byDeadline        // (deadline, id) order, stored deadlines only
	tail              // id order, the cycles without a stored deadline
)

// fewStates is how many credentials a state's deadline range may hold
// for an id-ordered page to read the range's ids by index and sort them
// (about 10 ms at 10,000; walking the fleet in id order for a page of a
// state holding 1% of a million read 5,000 rows: 30 to 70 ms).
const fewStates = 10000

// fewInRange says whether q's deadline range (and active or not, and
// owner) holds fewer than fewStates credentials after q.After, counted
// by index (idRangeTerms: one owner's rows are counted active or not).
func (s *Store) fewInRange(ctx context.Context, q domain.StateQuery) (bool, error) {
	where, args, _ := s.idRangeTerms(q)
	if q.After != "" {
		where, args = append(where, `c.id > ?`), append(args, q.After)
	}
	var n int
	err := s.db.QueryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM credentials c WHERE `+strings.Join(where, ` AND `)+` LIMIT ?) x`,
		append(args, fewStates)...).Scan(&n)
	return n < fewStates, err
}

// idRangeTerms are q's range (its deadline bounds, owner, active or not)
// as one index serves it without reading the rows (a row read per id
// was most of a page's time): a deadline range by credentials_deadline
// or, for one owner, credentials_owner_deadline, which hold no active
// (active says false: the caller judges it on the rows it reads); else
// rangeTerms, whose partial indexes hold it, and the owner.
func (s *Store) idRangeTerms(q domain.StateQuery) (where []string, args []any, active bool) {
	if !q.DeadlineAfter.IsZero() || !q.DeadlineBy.IsZero() {
		where, args = s.deadlineTerms(q, "c.deadline")
		if q.Owner != "" {
			where, args = append(where, `c.owner = ?`), append(args, q.Owner)
		}
		return where, args, false
	}
	where, args = s.rangeTerms(q)
	if q.Owner != "" {
		where, args = append(where, `c.owner = ?`), append(args, q.Owner)
	}
	return where, args, true
}

// rangeTerms are q's bounds on active and on the stored deadline, in a
// form an index (credentials_active_deadline, credentials_retired,
// credentials_owner_deadline) serves: active as the partial indexes say it.
func (s *Store) rangeTerms(q domain.StateQuery) ([]string, []any) {
	var where []string
	if q.Active {
		where = append(where, `c.active`)
	}
	if q.Inactive {
		where = append(where, `NOT c.active`)
	}
	w, args := s.deadlineTerms(q, "c.deadline")
	if where = append(where, w...); len(where) == 0 {
		where = append(where, `TRUE`)
	}
	return where, args
}

// deadlineTerms are q's bounds on the stored deadline, read as col.
func (s *Store) deadlineTerms(q domain.StateQuery, col string) ([]string, []any) {
	var where []string
	var args []any
	if !q.DeadlineAfter.IsZero() && !q.DeadlineBy.IsZero() {
		where, args = append(where, col+` > ? AND `+col+` <= ?`), append(args, s.db.Time(q.DeadlineAfter), s.db.Time(q.DeadlineBy))
	} else if !q.DeadlineAfter.IsZero() {
		// Bounded above too (a range of two bounds is what the planner
		// reads by index). A cycle without stored terms (only from
		// before migration 0010, its period too large to add) has no
		// stored deadline and is not in any range.
		where, args = append(where, col+` > ? AND `+col+` <= ?`), append(args, s.db.Time(q.DeadlineAfter), s.db.Time(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)))
	} else if !q.DeadlineBy.IsZero() {
		// Bounded below too (every stored deadline is after year 1): a
		// range of two bounds is what the planner reads by index.
		where, args = append(where, col+` >= ? AND `+col+` <= ?`), append(args, s.db.Time(time.Time{}), s.db.Time(q.DeadlineBy))
	}
	return where, args
}

// statePage appends the rows of one page of EachState's query to states.
func (s *Store) statePage(ctx context.Context, states []domain.CredentialState, query string, args []any) ([]domain.CredentialState, error) {
	return s.statePageOn(ctx, s.db, states, query, args)
}

// statePageOn is statePage read on r.
func (s *Store) statePageOn(ctx context.Context, r Reader, states []domain.CredentialState, query string, args []any) ([]domain.CredentialState, error) {
	rows, err := r.Query(ctx, query, args...)
	if err != nil {
		return states, err
	}
	defer rows.Close()
	var st domain.CredentialState // each row is read here, then copied
	var stage, outcome, waiting sql.NullString
	x := newCycleScan(&stage, NullTimeOf(&st.LastSentAt), &st.Failed, &st.Pending,
		NullTimeOf(&st.Probe.Last), NullTimeOf(&st.Probe.Verified), &outcome, NullTimeOf(&st.RotationRequested),
		&waiting, NullTimeOf(&st.Waiting.At), &st.RotationSeen)
	for rows.Next() {
		if st.Cycle, err = x.scan(rows); err != nil {
			return states, err
		}
		st.LastStage, st.Probe.LastOutcome, st.Waiting.Channel = stage.String, outcome.String, waiting.String
		states = append(states, st)
	}
	return states, rows.Err()
}

// statePageQuery is EachState's query of one page in id order, as q
// selects, and its parameters between the page's first (the id after
// which it starts) and last (its size).
func (s *Store) statePageQuery(q domain.StateQuery) (string, []any) {
	return s.statePageQueryIn(q, byID)
}

// statePageQueryIn is EachState's query of one page in the order given,
// and its parameters between the page's first (the keyset: the id after
// which it starts; in deadline order the deadline and the id) and last
// (its size).
func (s *Store) statePageQueryIn(q domain.StateQuery, order int) (string, []any) {
	return s.statePageQueryOf(q, order, true, false)
}

// fewRotations is how many rotations a window (q.RotatedAfter) may hold
// for a page to read them by index (each a row read for its credential)
// rather than walk its order judging each row's rotation.
const fewRotations = 3000

// statePageQueryOf is statePageQueryIn, q's rotations after RotatedAfter
// read by index (rotatedByIndex) or judged on each row read; in id order,
// to bounds the page above too: its keyset is then the id after which
// it starts and the id it ends at (a page of readPages).
func (s *Store) statePageQueryOf(q domain.StateQuery, order int, rotatedByIndex, to bool) (string, []any) {
	var where []string
	var args []any
	seek := `c.id > ?` // the keyset's term, its first parameter
	ownerIn := false   // the owner is among the range's terms
	switch order {
	case byIDDense:
		// Not by index: the range holds many; the fleet in id order
		// finds a page soon (the engine judges each row).
		if q.Active {
			where = append(where, `COALESCE(c.active, FALSE)`)
		}
		if q.Inactive {
			where = append(where, `NOT COALESCE(c.active, FALSE)`)
		}
		// The bounds judged on each row read, before its joins.
		w, a := s.deadlineTerms(q, "COALESCE(c.deadline, c.deadline)")
		where, args = append(where, w...), append(args, a...)
	case byID:
		if q.DeadlineAfter.IsZero() && q.DeadlineBy.IsZero() {
			where, args = s.rangeTerms(q)
			break
		}
		// A state's range holding few (fewInRange): its ids after the
		// keyset read by index (idRangeTerms), then only the page's rows
		// joined, in the order of those ids: not the range's rows joined
		// and sorted, nor the fleet (or the owner's) walked in id order
		// (the COALESCE keeps the id's index out of the choice).
		w, a, active := s.idRangeTerms(q)
		seek = `c.id IN (SELECT c.id FROM credentials c WHERE COALESCE(c.id, c.id) > ? AND ` + strings.Join(w, ` AND `) + `)`
		args, ownerIn = a, true
		if !active && q.Active {
			where = append(where, `c.active`)
		}
		if !active && q.Inactive {
			where = append(where, `NOT c.active`)
		}
	default:
		where, args = s.rangeTerms(q)
	}
	if q.Owner != "" && !ownerIn {
		where, args = append(where, `c.owner = ?`), append(args, q.Owner)
	}
	if q.Policy != "" {
		where, args = append(where, `COALESCE(t.policy, c.policy) = ?`), append(args, q.Policy)
	}
	if q.Policies != nil {
		if len(q.Policies) == 0 {
			where = append(where, `1 = 0`)
		} else {
			in, a := In(s.db, `COALESCE(t.policy, c.policy)`, q.Policies)
			where, args = append(where, in), append(args, a...)
		}
	}
	if q.Like != "" {
		where, args = append(where, `c.id LIKE ? ESCAPE '\'`), append(args, q.Like)
	}
	if !q.RotatedAfter.IsZero() && order == byDeadline {
		// The rotated in deadline order: the window's rotations by their
		// time's index (a week's: tens of thousands at a million), each
		// one's credential by key, every term judged there on the ids
		// alone, sorted, and only the page's rows joined. Walking the
		// deadline order instead read past every older cycle (the
		// rotated have the latest deadlines): 13 s for a first page at
		// a million credentials. The unary pluses keep the deadline's
		// index out of the choice. Its keyset comes first, its limit
		// last: the page's parameters.
		where, args = append(where, `r.rotated_at > ?`, SeenRotation), append(args, s.db.Time(q.RotatedAfter))
		deadline, _ := s.db.StoredOrder("c.deadline") // SQLite: +c.deadline
		query := `SELECT ` + stateColumns + ` FROM ` + CurrentCycle + stateJoins + ` WHERE c.id IN (SELECT c.id FROM rotations r
			JOIN credentials c ON c.id = r.credential_id AND c.rotation_id = r.id
			LEFT JOIN cycle_terms t ON t.id = (SELECT MAX(t2.id) FROM cycle_terms t2 WHERE t2.rotation_id = r.id)
			WHERE c.deadline IS NOT NULL AND (` + deadline + `, c.id) > (?, ?)`
		for _, w := range where {
			query += ` AND ` + w
		}
		return query + ` ORDER BY ` + deadline + `, c.id LIMIT ?) ORDER BY c.deadline, c.id`, args
	}
	if !q.RotatedAfter.IsZero() {
		// The rotations after the moment, by their time's index: few
		// (a week's), where the fleet is many.
		at := s.db.Time(q.RotatedAfter)
		if rotatedByIndex {
			where, args = append(where, `c.id IN (SELECT r2.credential_id FROM rotations r2 WHERE r2.rotated_at > ?)`), append(args, at)
		}
		where, args = append(where, `r.rotated_at > ?`, SeenRotation), append(args, at)
	}
	query := `SELECT ` + stateColumns + ` FROM ` + CurrentCycle + stateJoins + ` WHERE `
	switch order {
	case byDeadline:
		query += `c.deadline IS NOT NULL AND (c.deadline, c.id) > (?, ?)`
	case tail:
		query += `c.deadline IS NULL AND c.id > ?`
	default:
		query += seek
		if to {
			query += ` AND c.id <= ?`
		}
	}
	for _, w := range where {
		query += ` AND ` + w
	}
	if order == byDeadline {
		return query + ` ORDER BY c.deadline, c.id LIMIT ?`, args
	}
	return query + ` ORDER BY c.id LIMIT ?`, args
}

// countRotatedSQL is CountRotated's query: the rotations in the range by
// their time's index, each the current cycle of an active credential
// (looked up by key) and not the credential's first (SeenRotation).
const countRotatedSQL = `SELECT COUNT(*) FROM rotations r WHERE r.rotated_at > ? AND r.rotated_at <= ?
		AND EXISTS (SELECT 1 FROM credentials c WHERE c.id = r.credential_id AND c.rotation_id = r.id AND c.active) AND ` + SeenRotation

// CountRotated is how many active credentials' current cycles began with
// a rotation notifier saw (CredentialState.RotationSeen) after after and
// not after by: read by the rotations' time index.
func (s *Store) CountRotated(ctx context.Context, after, by time.Time) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, countRotatedSQL, s.db.Time(after), s.db.Time(by)).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: rotations after %s: %w", after.UTC().Format(time.RFC3339), err)
	}
	return n, nil
}

// cycleStartsAfterSQL is CycleStartsAfter's query: the rotations after
// the moment by their time's index, each looked up in its credential by
// key (credentials.rotation_id has no index: a join on it scans them all).
const cycleStartsAfterSQL = `SELECT COUNT(*) FROM (SELECT 1 FROM rotations r WHERE r.rotated_at > ?
		AND EXISTS (SELECT 1 FROM credentials c WHERE c.id = r.credential_id AND c.rotation_id = r.id) LIMIT 1) x`

// CycleStartsAfter says whether some credential's current cycle starts
// after at: a view at at must then show the cycles in force at at
// (StatesAt). It reads the rotations after at, by index.
func (s *Store) CycleStartsAfter(ctx context.Context, at time.Time) (bool, error) {
	var n int
	err := s.db.QueryRow(ctx, cycleStartsAfterSQL, s.db.Time(at)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("store: cycles after %s: %w", at.UTC().Format(time.RFC3339), err)
	}
	return n > 0, nil
}
