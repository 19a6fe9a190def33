package sqlstore

import (
	"errors"
	"sync/atomic"
	"testing"
)

// TestPipe: every row reaches fn in the reader's order; the reader is
// never more than a few batches ahead of fn; fn's error stops the reader
// and is returned; the reader's error is returned after the rows it read.
func TestPipe(t *testing.T) {
	errFn, errRead := errors.New("fn failed"), errors.New("read failed")
	for _, tc := range []struct {
		name            string
		rows            int // the reader has
		readFailsAfter  int // the reader fails after this many rows; -1: never
		fnFailsAt       int // fn fails at this row; -1: never
		wantSeen        int
		wantErr         error
		wantReaderEnded bool // the reader stopped before its rows' end
		batch           int  // pipeBy's batch; 0: pipe's (pipeBatch)
	}{
		{"none", 0, -1, -1, 0, nil, false, 0},
		{"one", 1, -1, -1, 1, nil, false, 0},
		{"a batch less one", pipeBatch - 1, -1, -1, pipeBatch - 1, nil, false, 0},
		{"a batch", pipeBatch, -1, -1, pipeBatch, nil, false, 0},
		{"a batch and one", pipeBatch + 1, -1, -1, pipeBatch + 1, nil, false, 0},
		{"many batches", 100*pipeBatch + 7, -1, -1, 100*pipeBatch + 7, nil, false, 0},
		{"fn fails at the first row", 100 * pipeBatch, -1, 0, 1, errFn, true, 0},
		{"fn fails mid-way", 100 * pipeBatch, -1, 1000, 1001, errFn, true, 0},
		{"read fails mid-way", 100 * pipeBatch, 1000, -1, 1000, errRead, false, 0},
		{"pages, one a batch", 1000, -1, -1, 1000, nil, false, 1},
		{"pages: fn fails mid-way", 1000, -1, 500, 501, errFn, true, 1},
		{"pages: read fails mid-way", 1000, 500, -1, 500, errRead, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var run func(read func(func(int) error) error, fn func(int) error) error
			batch := tc.batch
			if batch == 0 {
				batch, run = pipeBatch, pipe[int]
			} else {
				run = func(read func(func(int) error) error, fn func(int) error) error { return pipeBy(batch, read, fn) }
			}
			var produced atomic.Int64
			readStopped := false
			seen, maxAhead := 0, int64(0)
			err := run(func(emit func(int) error) error {
				for i := range tc.rows {
					if i == tc.readFailsAfter {
						return errRead
					}
					produced.Add(1)
					if err := emit(i); err != nil {
						readStopped = true
						return err
					}
				}
				return nil
			}, func(v int) error {
				if v != seen {
					t.Fatalf("row %d reached fn as row %d", v, seen)
				}
				seen++
				maxAhead = max(maxAhead, produced.Load()-int64(seen))
				if v == tc.fnFailsAt {
					return errFn
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
				t.Fatalf("pipe: %v, want %v", err, tc.wantErr)
			}
			if seen != tc.wantSeen {
				t.Errorf("fn saw %d rows, want %d", seen, tc.wantSeen)
			}
			if readStopped != tc.wantReaderEnded {
				t.Errorf("the reader was stopped: %v, want %v", readStopped, tc.wantReaderEnded)
			}
			if maxAhead > int64(4*batch) {
				t.Errorf("the reader ran %d rows ahead of fn, more than %d", maxAhead, 4*batch)
			}
			if tc.wantReaderEnded && produced.Load() > int64(tc.wantSeen+4*batch) {
				t.Errorf("the reader read %d rows after fn stopped at %d", produced.Load(), tc.wantSeen)
			}
		})
	}
}
