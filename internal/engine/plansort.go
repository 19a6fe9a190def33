package engine

import (
	"bufio"
	"bytes"
	"cmp"
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"slices"
	"time"
	"unsafe"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// planHead is how many rows a sorted plan prints first from the
// next-action path (a table's prefix, which sizes its columns) while
// the sorted path has yet to read the fleet.
const planHead = 1000

// planRunBytes bounds the rows a sorted plan holds in memory: a run that
// reaches it is sorted and spilled to a temporary file.
var planRunBytes = 6 << 20

// planMemory is the Go heap a sorted plan keeps to (a soft limit, for
// its duration): a run and the batches being read are all it holds, and
// the collector need not let garbage grow past them. (With 8 MiB runs
// and 28 MiB here, the plan of a million took 64.5 MB of RSS once the
// store read on two connections; 6 and 24: 61 MB, 0.1–0.3 s slower.)
const planMemory = 24 << 20

// errPlanHead stops the next-action path once the head is printed.
var errPlanHead = errors.New("plan: head printed")

// planKey is one row of a sorted plan held in memory, with no pointer
// (the collector does not scan a run): its step, what resumes its walk
// (to render it), its place in the plan's order (step.Due, id, k: k
// counts the rows of the cycle's walk, which the next-action path prints
// in walk order), and where its cycle's id and name are in the run's
// arena (once for all the cycle's rows).
type planKey struct {
	step          schedule.PackedStep
	deadline      int64
	snoozed       int64 // the snooze's end in Unix nanoseconds; 0: none
	policy, k     uint32
	str           uint32 // the id's offset in the arena, the name after it
	idLen, nameOf uint32
	acked         bool
}

// planRec is one row of a sorted plan as a run's file holds it, decoded.
type planRec struct {
	step     schedule.PackedStep
	deadline int64
	id, name []byte
	policy   uint32
	k        uint32
	acked    bool
	snoozed  int64
}

// planSorted is the streamed plan of the whole fleet: the first planHead
// rows come from the next-action path (at once), then the cycles are
// read in the order they are stored, each one's rows within the horizon
// generated, sorted in runs of planRunBytes spilled to temporary files,
// and merged on a goroutine of their own while this one renders; the
// rows the head printed are passed over. Its order is the next-action
// path's: (due, id), then walk order.
func (e *Engine) planSorted(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, once bool, emit func(Upcoming) error) error {
	var (
		n       int
		lastDue int64
		lastID  string
		same    int // rows printed of the key (lastDue, lastID)
	)
	err := e.planStreamed(ctx, now, horizon, f, once, func(u Upcoming) error {
		if n == planHead {
			return errPlanHead
		}
		n++
		return emit(u)
	}, func(due int64, id string) {
		if n == planHead {
			return // the row after the head: not printed
		}
		if due == lastDue && id == lastID {
			same++
		} else {
			lastDue, lastID, same = due, id, 1
		}
	})
	if !errors.Is(err, errPlanHead) {
		return err // the plan was no longer than its head, or failed
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(planMemory))
	runs := &planRuns{}
	defer runs.close()
	if err := e.planFleet(ctx, now, horizon, f, once, runs); err != nil {
		return err
	}
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	policies, _ := v.policyList()
	skip := same
	return runs.merge(ctx, func(r *planRec) (Upcoming, bool) {
		if c := cmp.Compare(r.step.Due, lastDue); c < 0 || c == 0 && string(r.id) < lastID {
			return Upcoming{}, false
		} else if c == 0 && string(r.id) == lastID && skip > 0 {
			skip--
			return Upcoming{}, false
		}
		w := schedule.Window{Policy: policies[r.policy], Deadline: time.Unix(0, r.deadline), Acked: r.acked, SnoozedUntil: unNanos(r.snoozed), Now: now, Until: until, Loc: loc, MaxRepeats: MaxPlannedRepeats}
		return v.planRow(w, r.step.Unpack(loc), string(r.id), string(r.name), once), true
	}, emit)
}

// policyList is the view's ladders' policies in name order, and each
// name's index.
func (v view) policyList() ([]*schedule.Policy, map[string]uint32) {
	names := make([]string, 0, len(v.ladders))
	for name := range v.ladders {
		names = append(names, name)
	}
	slices.Sort(names)
	policies := make([]*schedule.Policy, len(names))
	index := make(map[string]uint32, len(names))
	for i, name := range names {
		p := v.ladders[name].policy
		policies[i], index[name] = &p, uint32(i)
	}
	return policies, index
}

// planFleet reads every cycle to plan in the order they are stored and
// adds each one's rows within the horizon to runs (a table's rows with
// once).
func (e *Engine) planFleet(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, once bool, runs *planRuns) error {
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	policies, index := v.policyList()
	return e.store.PlanFleet(ctx, f, until, func(cycles []domain.Cycle) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, c := range cycles {
			w, st, pi, ok := v.firstStep(f, c, policies, index, now, until, loc)
			if w.Policy == nil {
				continue // f leaves c out
			}
			esc, escalates := escalationStep(w.Policy, c, w.Deadline, now, until, loc)
			if !ok && !escalates {
				continue
			}
			str := runs.cycle(c.ID, c.Name)
			row := planKey{deadline: w.Deadline.UnixNano(), snoozed: nanos(w.SnoozedUntil), policy: pi, str: str, idLen: uint32(len(c.ID)), nameOf: uint32(len(c.Name)), acked: w.Acked}
			for ; ok; row.k++ {
				row.step = st.Pack()
				runs.add(row)
				if once {
					st, ok = nextRow(w, st, w.More(st))
				} else {
					st, ok = w.Next(st)
				}
			}
			if escalates { // after the ladder's rows: the next-action path's order
				row.step = esc.Pack()
				runs.add(row)
			}
			if err := runs.full(); err != nil {
				return err
			}
		}
		return nil
	})
}

// planRuns holds a sorted plan's rows: the run in memory (its keys, and
// an arena holding each cycle's id and name), and the runs spilled to
// temporary files (in os.TempDir, never beside the database; removed
// from it as they are made, held open until close).
type planRuns struct {
	keys  []planKey
	arena []byte
	files []*os.File
	buf   []byte
}

// planKeySize is what a row held in memory costs besides its strings.
const planKeySize = int(unsafe.Sizeof(planKey{}))

// cycle adds a cycle's id and name to the run's arena, for its rows.
func (r *planRuns) cycle(id, name string) uint32 {
	if r.keys == nil { // the run's room, taken once: a cycle's rows cost about ten times its strings
		r.keys = make([]planKey, 0, planRunBytes*7/8/planKeySize)
		r.arena = make([]byte, 0, planRunBytes/8)
	}
	off := uint32(len(r.arena))
	r.arena = append(append(r.arena, id...), name...)
	return off
}

func (r *planRuns) add(k planKey) { r.keys = append(r.keys, k) }

// full spills the run once it nearly fills its room (checked between
// cycles: a cycle's rows share its strings), so the room is not grown.
func (r *planRuns) full() error {
	if len(r.keys) < cap(r.keys)*7/8 && len(r.arena) < cap(r.arena)*7/8 {
		return nil
	}
	return r.spill()
}

func (r *planRuns) id(k *planKey) []byte { return r.arena[k.str : k.str+k.idLen] }

func (r *planRuns) compare(a, b *planKey) int {
	if c := cmp.Compare(a.step.Due, b.step.Due); c != 0 {
		return c
	}
	if c := bytes.Compare(r.id(a), r.id(b)); c != 0 {
		return c
	}
	return cmp.Compare(a.k, b.k)
}

// spill sorts the run in memory and writes it to a new temporary file.
func (r *planRuns) spill() error {
	if len(r.keys) == 0 {
		return nil
	}
	slices.SortFunc(r.keys, func(a, b planKey) int { return r.compare(&a, &b) })
	f, err := os.CreateTemp("", "notifier-plan-*")
	if err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	// Out of the directory at once, read through the open file: a plan
	// ended by a signal its defers never see (SIGPIPE from `plan | head`,
	// SIGKILL) leaves nothing behind. (close removes it where the system
	// cannot remove an open file.)
	os.Remove(f.Name())
	r.files = append(r.files, f)
	w := bufio.NewWriterSize(f, 256<<10)
	for i := range r.keys {
		k := &r.keys[i]
		r.buf = appendPlanRec(r.buf[:0], k, r.id(k), r.arena[k.str+k.idLen:k.str+k.idLen+k.nameOf])
		w.Write(r.buf)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	r.keys, r.arena = r.keys[:0], r.arena[:0]
	return nil
}

// close removes the spilled runs.
func (r *planRuns) close() {
	for _, f := range r.files {
		f.Close()
		os.Remove(f.Name())
	}
	r.files = nil
}

// appendPlanRec appends a row's encoding to b: its fixed fields, then
// its strings, each after its length.
func appendPlanRec(b []byte, k *planKey, id, name []byte) []byte {
	b = k.step.AppendBinary(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(k.deadline))
	b = binary.LittleEndian.AppendUint32(b, k.policy)
	b = binary.LittleEndian.AppendUint32(b, k.k)
	acked := byte(0)
	if k.acked {
		acked = 1
	}
	b = append(b, acked)
	b = binary.LittleEndian.AppendUint64(b, uint64(k.snoozed))
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	b = binary.AppendUvarint(b, uint64(len(name)))
	return append(b, name...)
}

const planRecFixed = schedule.PackedSize + 8 + 4 + 4 + 1 + 8

// parsePlanRec decodes the record appendPlanRec wrote at the start of b
// (its strings point into b), and its length.
func parsePlanRec(b []byte, rec *planRec) (int, error) {
	if len(b) < planRecFixed {
		return 0, errPlanRecord
	}
	rec.step = schedule.ParsePacked(b)
	rec.deadline = int64(binary.LittleEndian.Uint64(b[schedule.PackedSize:]))
	rec.policy = binary.LittleEndian.Uint32(b[schedule.PackedSize+8:])
	rec.k = binary.LittleEndian.Uint32(b[schedule.PackedSize+12:])
	rec.acked = b[schedule.PackedSize+16] == 1
	rec.snoozed = int64(binary.LittleEndian.Uint64(b[schedule.PackedSize+17:]))
	i := planRecFixed
	for _, s := range []*[]byte{&rec.id, &rec.name} {
		n, w := binary.Uvarint(b[i:])
		if w <= 0 || uint64(len(b)-i-w) < n {
			return 0, errPlanRecord
		}
		*s = b[i+w : i+w+int(n)]
		i += w + int(n)
	}
	return i, nil
}

var errPlanRecord = errors.New("plan: sort: a run's record is cut short")

// planCursor is a run being merged: its current record (rec, its
// encoding in enc) and its file.
type planCursor struct {
	rec planRec
	enc []byte
	br  *bufio.Reader
}

// next reads the run's next record; io.EOF at its end.
func (c *planCursor) next() error {
	c.enc = c.enc[:0]
	head, err := c.br.Peek(planRecFixed)
	if len(head) == 0 && errors.Is(err, io.EOF) {
		return io.EOF
	}
	if err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	c.enc = append(c.enc, head...)
	c.br.Discard(planRecFixed)
	for range 2 { // the id, then the name
		n, err := binary.ReadUvarint(c.br)
		if err != nil {
			return fmt.Errorf("plan: sort: %w", err)
		}
		c.enc = binary.AppendUvarint(c.enc, n)
		at := len(c.enc)
		c.enc = slices.Grow(c.enc, int(n))[:at+int(n)]
		if _, err := io.ReadFull(c.br, c.enc[at:]); err != nil {
			return fmt.Errorf("plan: sort: %w", err)
		}
	}
	_, err = parsePlanRec(c.enc, &c.rec)
	return err
}

func comparePlanRecs(a, b *planRec) int {
	if c := cmp.Compare(a.step.Due, b.step.Due); c != 0 {
		return c
	}
	if c := bytes.Compare(a.id, b.id); c != 0 {
		return c
	}
	return cmp.Compare(a.k, b.k)
}

type planMerge []*planCursor

func (m planMerge) Len() int           { return len(m) }
func (m planMerge) Less(i, j int) bool { return comparePlanRecs(&m[i].rec, &m[j].rec) < 0 }
func (m planMerge) Swap(i, j int)      { m[i], m[j] = m[j], m[i] }
func (m *planMerge) Push(x any)        { *m = append(*m, x.(*planCursor)) }
func (m *planMerge) Pop() any {
	old := *m
	x := old[len(old)-1]
	*m = old[:len(old)-1]
	return x
}

// planBatchBytes is how much of the merged plan the merging goroutine
// hands the rendering one at a time.
const planBatchBytes = 64 << 10

// merge hands emit the row of every record of every run in the plan's
// order, but those row leaves out. Three goroutines share the work: one
// merges the runs into batches of encoded records, one makes each
// batch's rows (row), and the caller's emits them (formats and writes).
func (r *planRuns) merge(ctx context.Context, row func(*planRec) (Upcoming, bool), emit func(Upcoming) error) error {
	if err := r.spill(); err != nil { // the run in memory too: one kind of run
		return err
	}
	r.keys, r.arena = nil, nil
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []byte, 1)
	free := make(chan []byte, 3)
	for range cap(free) {
		free <- make([]byte, 0, planBatchBytes+4<<10)
	}
	merged := make(chan error, 1)
	go func() {
		defer close(batches)
		merged <- r.mergeRuns(ctx, free, batches)
	}()
	rows := make(chan []Upcoming, 1)
	freeRows := make(chan []Upcoming, 3)
	for range cap(freeRows) {
		freeRows <- nil
	}
	made := make(chan error, 1)
	go func() {
		defer close(rows)
		made <- makeRows(ctx, batches, free, freeRows, rows, row)
	}()
	var err error
	for us := range rows {
		for i := 0; err == nil && i < len(us); i++ {
			err = emit(us[i])
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			cancel() // the others stop; their rows are drained
		}
		clear(us) // no string outlives its batch
		freeRows <- us[:0]
	}
	cancel() // a goroutine that failed left the other waiting
	if e := <-made; err == nil {
		err = e
	}
	if m := <-merged; err == nil && !errors.Is(m, context.Canceled) {
		err = m
	}
	return err
}

// makeRows makes the rows of each batch of encoded records, in order,
// handing each batch back to free and its rows to rows.
func makeRows(ctx context.Context, batches <-chan []byte, free chan<- []byte, freeRows <-chan []Upcoming, rows chan<- []Upcoming, row func(*planRec) (Upcoming, bool)) error {
	var rec planRec
	for b := range batches {
		var us []Upcoming
		select {
		case us = <-freeRows:
		case <-ctx.Done():
			return ctx.Err()
		}
		for i := 0; i < len(b); {
			n, err := parsePlanRec(b[i:], &rec)
			if err != nil {
				return err
			}
			if u, ok := row(&rec); ok {
				us = append(us, u)
			}
			i += n
		}
		free <- b[:0] // as many buffers as room: never waits
		select {
		case rows <- us:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// mergeRuns merges the runs into batches taken from free and sent on
// batches.
func (r *planRuns) mergeRuns(ctx context.Context, free <-chan []byte, batches chan<- []byte) error {
	m := planMerge{}
	for _, f := range r.files {
		c := &planCursor{br: bufio.NewReaderSize(f, 32<<10)}
		switch err := c.next(); {
		case err == nil:
			m = append(m, c)
		case !errors.Is(err, io.EOF):
			return err
		}
	}
	heap.Init(&m)
	var b []byte
	send := func() error {
		select {
		case batches <- b:
			b = nil
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for m.Len() > 0 {
		if b == nil {
			select {
			case b = <-free:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		top := m[0]
		b = append(b, top.enc...)
		if len(b) >= planBatchBytes {
			if err := send(); err != nil {
				return err
			}
		}
		switch err := top.next(); {
		case err == nil:
			heap.Fix(&m, 0)
		case errors.Is(err, io.EOF):
			heap.Pop(&m)
		default:
			return err
		}
	}
	if len(b) > 0 {
		return send()
	}
	return nil
}
