package chain

import (
	"bytes"
	"fmt"
)

// Kinds of break Verify tells apart, when it can.
const (
	KindEdited    = "edited"
	KindDeleted   = "deleted"
	KindInserted  = "inserted"
	KindReordered = "reordered"
	KindUnkeyed   = "unkeyed" // hashed without audit.key where the key was in use
	KindCut       = "cut"     // the expected head is not in the chain
	KindKey       = "key"     // the chain is keyed and the key is missing or another
	KindTable     = "table"   // a rotation, acknowledgment or delivery has no event in the chain
	KindMismatch  = "mismatch"
)

// Options says what Verify checks beyond the chain itself.
type Options struct {
	// Key is audit.key: rows are expected to be hashed with it from the
	// first one that is on. Without it, rows are checked with SHA-256 alone.
	Key []byte
	// ExpectHead is a head noted earlier: it must be the hash of a row of
	// the chain, or the rows after it were cut off.
	ExpectHead []byte
	// Start is the id the chain's first row must have (0: any).
	Start int64
}

// Result is what Verify found.
type Result struct {
	Rows      int64  // rows that verified, in id order
	Head      []byte // hash of the last row that verified; nil when none did
	HeadID    int64
	KeyedFrom int64 // first row hashed with the key; 0: none
	// RecordedFrom is the first row with a recorded_at, hashed in version 2
	// of the canonical encoding; 0: none.
	RecordedFrom int64
	ExpectedAt   int64 // the row whose hash is Options.ExpectHead; 0: not found or not asked
	Problem      *Problem
}

// Report is Verify's Result with where the chain starts, as a store
// records it.
type Report struct {
	Result
	Start     int64  // the first event the chain covers
	StartedAt string // when the chain was added (migration 3), UTC RFC 3339
	Before    int64  // events before Start: written before the chain, not covered
	Keyed     bool   // the store records that its chain is keyed
}

// Head is the last row of a chain: the hash an auditor notes (a report
// prints it) to prove later, with Options.ExpectHead, that no row after
// it was cut off.
type Head struct {
	ID   int64  // the row's id; 0 when the chain has no row
	Hash []byte // nil when the chain has no row
}

// Problem is the first row that does not match, and what happened to it
// where that can be told.
type Problem struct {
	Row    int64  // the event id named; 0 for a problem of the whole chain
	Kind   string // one of the Kind constants
	Detail string // one line
}

func (p *Problem) Error() string { return p.Detail }

// lookahead is how many rows after a break Verify reads to tell what kind
// of break it is: bounded, so verifying stays in bounded memory.
const lookahead = 16

// Verify walks rows in id order from the chain's first row (next returns
// false after the last) and stops at the first row that does not match.
// It holds a fixed number of rows at a time, whatever the chain's length.
func Verify(next func() (Row, bool, error), opts Options) (Result, error) {
	v := verifier{sha: NewHasher(nil), opts: opts}
	if len(opts.Key) > 0 {
		v.mac = NewHasher(opts.Key)
	}
	var res Result
	prev, prevID := Genesis, int64(0)
	for {
		r, ok, err := next()
		if err != nil {
			return res, err
		}
		if !ok {
			break
		}
		keyed, match := v.check(prev, &r)
		switch {
		case !match:
			ahead, err := readAhead(next)
			if err != nil {
				return res, err
			}
			res.Problem = v.classify(prev, prevID, &r, ahead)
			return res, nil
		case keyed && res.KeyedFrom == 0:
			res.KeyedFrom = r.ID
		case !keyed && res.KeyedFrom != 0:
			res.Problem = &Problem{Row: r.ID, Kind: KindUnkeyed, Detail: fmt.Sprintf(
				"row %d is hashed without audit.key, though rows from %d on were hashed with it: the chain was recomputed without the key from row %d on",
				r.ID, res.KeyedFrom, r.ID)}
			return res, nil
		}
		switch {
		case r.Version() == 2 && res.RecordedFrom == 0:
			res.RecordedFrom = r.ID
		case r.Version() == 1 && res.RecordedFrom != 0:
			res.Problem = &Problem{Row: r.ID, Kind: KindEdited, Detail: fmt.Sprintf(
				"row %d has no recorded_at, though rows from %d on have one: it was edited and its hash recomputed in version 1 of the encoding", r.ID, res.RecordedFrom)}
			return res, nil
		}
		res.Rows++
		res.Head, res.HeadID = append(res.Head[:0], r.Hash...), r.ID
		prev, prevID = res.Head, r.ID
		if opts.ExpectHead != nil && res.ExpectedAt == 0 && bytes.Equal(r.Hash, opts.ExpectHead) {
			res.ExpectedAt = r.ID
		}
	}
	switch {
	case v.mac != nil && res.Rows > 0 && res.KeyedFrom == 0:
		res.Problem = &Problem{Kind: KindUnkeyed, Detail: fmt.Sprintf(
			"none of the %d rows is hashed with audit.key: the chain was recomputed without the key, or no notifier with this key has written to the database yet", res.Rows)}
	case opts.ExpectHead != nil && res.ExpectedAt == 0:
		res.Problem = &Problem{Kind: KindCut, Detail: fmt.Sprintf(
			"the expected head %s is not the hash of any row of the chain: rows were cut off the end (or rewritten), or the head is of another database", Hex(opts.ExpectHead))}
	}
	return res, nil
}

func readAhead(next func() (Row, bool, error)) ([]Row, error) {
	var out []Row
	for len(out) < lookahead {
		r, ok, err := next()
		if err != nil || !ok {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

type verifier struct {
	sha, mac *Hasher
	opts     Options
	sum      []byte
}

// check reports whether r chains from prev, and whether with the key.
func (v *verifier) check(prev []byte, r *Row) (keyed, match bool) {
	if len(r.Hash) != Size {
		return false, false
	}
	if v.mac != nil {
		v.sum = v.mac.Sum(v.sum[:0], prev, r)
		if bytes.Equal(v.sum, r.Hash) {
			return true, true
		}
	}
	v.sum = v.sha.Sum(v.sum[:0], prev, r)
	return false, bytes.Equal(v.sum, r.Hash)
}

// chains reports whether r, with its id replaced by id, chains from prev
// to one of the hashes in want, and returns that hash.
func (v *verifier) chains(prev []byte, r Row, id int64, want ...[]byte) ([]byte, bool) {
	if len(prev) != Size {
		return nil, false
	}
	r.ID = id
	for _, w := range want {
		if len(w) != Size {
			continue
		}
		r.Hash = w
		if _, ok := v.check(prev, &r); ok {
			return w, true
		}
	}
	return nil, false
}

// classify names what happened at r, the first row that does not chain
// from prev (the hash of row prevID, or Genesis when r is the first row),
// given the rows after it.
func (v *verifier) classify(prev []byte, prevID int64, r *Row, ahead []Row) *Problem {
	mismatch := func(kind, format string, args ...any) *Problem {
		return &Problem{Row: r.ID, Kind: kind, Detail: fmt.Sprintf(format, args...)}
	}
	// Two rows swapped their contents (with or without their hashes): a
	// later row's content chains at r's place, and r's at that row's.
	for j, a := range ahead {
		h, ok := v.chains(prev, a, r.ID, r.Hash, a.Hash)
		if !ok {
			continue
		}
		before := h
		if j > 0 {
			before = ahead[j-1].Hash
		}
		if _, ok := v.chains(before, *r, a.ID, r.Hash, a.Hash); ok {
			return mismatch(KindReordered, "row %d does not match: it and row %d swapped their contents (reordered)", r.ID, a.ID)
		}
	}
	if len(ahead) > 0 {
		a := ahead[0]
		// The row after r chains from the row before it: r was put in.
		if _, ok := v.chains(prev, a, a.ID, a.Hash); ok {
			return mismatch(KindInserted, "row %d does not match: it was inserted (row %d chains from the row before it)", r.ID, a.ID)
		}
		if _, ok := v.chains(prev, a, a.ID-1, a.Hash); ok {
			return mismatch(KindInserted, "row %d does not match: it was inserted, and the ids after it moved up by one", r.ID)
		}
		// The row after r chains from r with its id one up: the event
		// before r was taken out and the ids after it closed the gap.
		if _, ok := v.chains(r.Hash, a, a.ID+1, a.Hash); ok {
			return mismatch(KindDeleted, "row %d does not match: the event before it was deleted, and the ids after it moved down by one", r.ID)
		}
	}
	if want := prevID + 1; prevID == 0 && v.opts.Start > 0 {
		want = v.opts.Start
		if r.ID > want {
			return mismatch(KindDeleted, "row %d is the first of the chain, which starts at event %d: %s", r.ID, want, deleted(want, r.ID-1))
		}
	} else if r.ID > want {
		return mismatch(KindDeleted, "row %d does not chain from row %d: %s", r.ID, prevID, deleted(want, r.ID-1))
	}
	if len(r.Hash) == 0 {
		return mismatch(KindMismatch, "row %d has no hash: it was not written by notifier (inserted), or its hash was removed", r.ID)
	}
	if len(ahead) > 0 {
		if _, ok := v.chains(r.Hash, ahead[0], ahead[0].ID, ahead[0].Hash); ok {
			return mismatch(KindEdited, "row %d does not match its hash: it was edited (or the hash of the row before it was)", r.ID)
		}
	}
	if len(ahead) == 0 {
		return mismatch(KindMismatch, "row %d does not match (it is the last row: edited, or added by hand)", r.ID)
	}
	return mismatch(KindMismatch, "row %d does not match", r.ID)
}

func deleted(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprintf("event %d was deleted", lo)
	}
	return fmt.Sprintf("events %d to %d were deleted", lo, hi)
}
