package engine

import (
	"bufio"
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
	"strings"
	"time"

	"github.com/notifier-dev/notifier/internal/domain"
	"github.com/notifier-dev/notifier/internal/schedule"
)

// planHead is how many rows a sorted plan prints first from the
// next-action path (a table's prefix, which sizes its columns) while
// the sorted path has yet to read the fleet.
const planHead = 1000

// planRunBytes bounds the rows a sorted plan holds in memory: a run that
// reaches it is sorted and spilled to a temporary file.
var planRunBytes = 8 << 20

// planMemory is the Go heap a sorted plan keeps to (a soft limit, for
// its duration): a run and the batches being read are all it holds, and
// the collector need not let garbage grow past them.
const planMemory = 32 << 20

// planRecBytes is what a row held in memory costs besides its strings.
const planRecBytes = 80

// errPlanHead stops the next-action path once the head is printed.
var errPlanHead = errors.New("plan: head printed")

// planRec is one row of a sorted plan: its step, what resumes its walk
// (to render it), and its place in the plan's order (step.Due, id, k: k
// counts the rows of the cycle's walk, which the next-action path
// prints in walk order).
type planRec struct {
	step     schedule.PackedStep
	deadline int64
	id, name string
	policy   uint32
	k        uint32
	acked    bool
	snoozed  int64 // the snooze's end in Unix nanoseconds; 0: none
}

func comparePlanRecs(a, b *planRec) int {
	if c := cmp.Compare(a.step.Due, b.step.Due); c != 0 {
		return c
	}
	if c := strings.Compare(a.id, b.id); c != 0 {
		return c
	}
	return cmp.Compare(a.k, b.k)
}

// planSorted is the streamed plan of the whole fleet as a table: the
// first planHead rows come from the next-action path (at once), then the
// cycles are read in the order they are stored, each one's rows within
// the horizon generated, sorted in runs of planRunBytes spilled to
// temporary files, and merged; the rows the head printed are passed over.
// Its order is the next-action path's: (due, id), then walk order.
func (e *Engine) planSorted(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, emit func(Upcoming) error) error {
	var (
		n       int
		lastDue int64
		lastID  string
		same    int // rows printed of the key (lastDue, lastID)
	)
	err := e.planStreamed(ctx, now, horizon, f, true, func(u Upcoming) error {
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
	if err := e.planFleet(ctx, now, horizon, f, runs); err != nil {
		return err
	}
	v := e.view()
	loc := v.cfg.Location
	until := horizon.Add(now, 1, loc)
	policies, _ := v.policyList()
	skip := same
	i := 0
	return runs.merge(func(r *planRec) error {
		if i++; i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if c := cmp.Compare(r.step.Due, lastDue); c < 0 || c == 0 && r.id < lastID {
			return nil
		} else if c == 0 && r.id == lastID && skip > 0 {
			skip--
			return nil
		}
		w := schedule.Window{Policy: policies[r.policy], Deadline: time.Unix(0, r.deadline), Acked: r.acked, SnoozedUntil: unNanos(r.snoozed), Now: now, Until: until, Loc: loc, MaxRepeats: MaxPlannedRepeats}
		u, _ := v.planRow(w, r.step.Unpack(loc), r.id, r.name, true)
		return emit(u)
	})
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
// adds each one's table rows within the horizon to runs.
func (e *Engine) planFleet(ctx context.Context, now time.Time, horizon schedule.Span, f domain.CredentialFilter, runs *planRuns) error {
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
			k := uint32(0)
			for ; ok; k++ {
				if err := runs.add(planRec{step: st.Pack(), deadline: w.Deadline.UnixNano(), id: c.ID, name: c.Name, policy: pi, k: k, acked: w.Acked, snoozed: nanos(w.SnoozedUntil)}); err != nil {
					return err
				}
				st, ok = nextRow(w, st, w.More(st))
			}
			if w.Policy == nil {
				continue // f leaves c out
			}
			if st, ok := escalationStep(w.Policy, c, w.Deadline, now, until, loc); ok {
				// After the ladder's rows: the next-action path's order.
				if err := runs.add(planRec{step: st.Pack(), deadline: w.Deadline.UnixNano(), id: c.ID, name: c.Name, policy: pi, k: k, acked: w.Acked, snoozed: nanos(w.SnoozedUntil)}); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// planRuns holds a sorted plan's rows: the run in memory, and the runs
// spilled to temporary files (in os.TempDir, never beside the database),
// which close removes.
type planRuns struct {
	mem   []planRec
	bytes int
	files []*os.File
	buf   []byte
}

func (r *planRuns) add(rec planRec) error {
	r.mem = append(r.mem, rec)
	if r.bytes += planRecBytes + len(rec.id) + len(rec.name); r.bytes >= planRunBytes {
		return r.spill()
	}
	return nil
}

// spill sorts the run in memory and writes it to a new temporary file.
func (r *planRuns) spill() error {
	slices.SortFunc(r.mem, func(a, b planRec) int { return comparePlanRecs(&a, &b) })
	f, err := os.CreateTemp("", "notifier-plan-*")
	if err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	r.files = append(r.files, f)
	w := bufio.NewWriterSize(f, 256<<10)
	for i := range r.mem {
		r.buf = appendPlanRec(r.buf[:0], &r.mem[i])
		w.Write(r.buf)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("plan: sort: %w", err)
	}
	clear(r.mem) // no string outlives its run
	r.mem, r.bytes = r.mem[:0], 0
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

// appendPlanRec appends rec's encoding to b: its fixed fields, then its
// strings, each after its length.
func appendPlanRec(b []byte, rec *planRec) []byte {
	b = rec.step.AppendBinary(b)
	b = binary.LittleEndian.AppendUint64(b, uint64(rec.deadline))
	b = binary.LittleEndian.AppendUint32(b, rec.policy)
	b = binary.LittleEndian.AppendUint32(b, rec.k)
	acked := byte(0)
	if rec.acked {
		acked = 1
	}
	b = append(b, acked)
	b = binary.LittleEndian.AppendUint64(b, uint64(rec.snoozed))
	b = binary.AppendUvarint(b, uint64(len(rec.id)))
	b = append(b, rec.id...)
	b = binary.AppendUvarint(b, uint64(len(rec.name)))
	return append(b, rec.name...)
}

const planRecFixed = schedule.PackedSize + 8 + 4 + 4 + 1 + 8

// readPlanRec reads the next record appendPlanRec wrote; io.EOF at the
// end of the run.
func readPlanRec(br *bufio.Reader, fixed []byte, rec *planRec) error {
	if _, err := io.ReadFull(br, fixed); err != nil {
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return fmt.Errorf("plan: sort: %w", err)
	}
	rec.step = schedule.ParsePacked(fixed)
	rec.deadline = int64(binary.LittleEndian.Uint64(fixed[schedule.PackedSize:]))
	rec.policy = binary.LittleEndian.Uint32(fixed[schedule.PackedSize+8:])
	rec.k = binary.LittleEndian.Uint32(fixed[schedule.PackedSize+12:])
	rec.acked = fixed[schedule.PackedSize+16] == 1
	rec.snoozed = int64(binary.LittleEndian.Uint64(fixed[schedule.PackedSize+17:]))
	var err error
	if rec.id, err = readPlanString(br); err == nil {
		rec.name, err = readPlanString(br)
	}
	return err
}

func readPlanString(br *bufio.Reader) (string, error) {
	n, err := binary.ReadUvarint(br)
	if err != nil {
		return "", fmt.Errorf("plan: sort: %w", err)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(br, b); err != nil {
		return "", fmt.Errorf("plan: sort: %w", err)
	}
	return string(b), nil
}

// planCursor is a run being merged: its current record, and its file
// (nil: the run in memory, at pos).
type planCursor struct {
	rec   planRec
	br    *bufio.Reader
	fixed []byte
	mem   []planRec
	pos   int
}

func (c *planCursor) next() error {
	if c.br != nil {
		return readPlanRec(c.br, c.fixed, &c.rec)
	}
	if c.pos == len(c.mem) {
		return io.EOF
	}
	c.rec = c.mem[c.pos]
	c.pos++
	return nil
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

// merge hands fn every row of every run in the plan's order.
func (r *planRuns) merge(fn func(*planRec) error) error {
	slices.SortFunc(r.mem, func(a, b planRec) int { return comparePlanRecs(&a, &b) })
	cursors := []*planCursor{{mem: r.mem}}
	for _, f := range r.files {
		cursors = append(cursors, &planCursor{br: bufio.NewReaderSize(f, 64<<10), fixed: make([]byte, planRecFixed)})
	}
	m := planMerge{}
	for _, c := range cursors {
		switch err := c.next(); {
		case err == nil:
			m = append(m, c)
		case !errors.Is(err, io.EOF):
			return err
		}
	}
	heap.Init(&m)
	for m.Len() > 0 {
		top := m[0]
		if err := fn(&top.rec); err != nil {
			return err
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
	return nil
}
