package sqlstore

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
)

// TestReadPages: readPages hands fn every row once, in the pages' order,
// whichever reader finishes its page first; a reader's error is returned
// after the rows of the pages before it; fn's error stops the readers
// and is returned; the caller's cancelled context is an error, never a
// short result that looks whole.
func TestReadPages(t *testing.T) {
	errRead, errFn, errCut := errors.New("read failed"), errors.New("fn failed"), errors.New("cut failed")
	const n, size = 1000, 64 // rows 0..n-1, pages of size
	for _, tc := range []struct {
		name     string
		readers  int
		readFail int // the page starting here fails to read; -1: none
		cutFail  int // cutting the page starting here fails; -1: none
		fnFail   int // fn fails at this row; -1: none
		cancel   int // the caller's context is cancelled at this row; -1: never
		wantSeen int
		wantErr  error
	}{
		{"one reader", 1, -1, -1, -1, -1, n, nil},
		{"two readers", 2, -1, -1, -1, -1, n, nil},
		{"five readers", 5, -1, -1, -1, -1, n, nil},
		{"a page fails to read", 2, 5 * size, -1, -1, -1, 5 * size, errRead},
		{"a page fails to be cut", 2, -1, 7 * size, -1, -1, 7 * size, errCut},
		{"fn fails", 2, -1, -1, 300, -1, 301, errFn},
		{"the caller stops", 2, -1, -1, -1, 200, 201, context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			// Each even page waits until the page after it was read (or
			// failed to be cut): the readers finish their pages out of
			// order, and readPages must put them back in order.
			var mu sync.Mutex
			readDone := map[int]chan struct{}{}
			doneOf := func(from int) chan struct{} {
				mu.Lock()
				defer mu.Unlock()
				if readDone[from] == nil {
					readDone[from] = make(chan struct{})
				}
				return readDone[from]
			}
			// cut gives the last row of the page after `after`: rows are
			// their own keys.
			cut := func(_ context.Context, _ Reader, after int, first bool) (int, bool, error) {
				from := after + 1
				if first {
					from = 0
				}
				if from == tc.cutFail {
					close(doneOf(from))
					return 0, false, errCut
				}
				to := from + size - 1
				if to >= n-1 {
					return n - 1, true, nil
				}
				return to, false, nil
			}
			read := func(ctx context.Context, _ Reader, after, to int, first, last bool, rows []int) ([]int, error) {
				from := after + 1
				if first {
					from = 0
				}
				defer close(doneOf(from))
				if from == tc.readFail {
					return rows, errRead
				}
				if !last && tc.readers > 1 && (from/size)%2 == 0 {
					select { // the next page first, where a reader can take it
					case <-doneOf(to + 1):
					case <-ctx.Done():
						return rows, ctx.Err()
					}
				}
				for i := from; i <= to; i++ {
					rows = append(rows, i)
				}
				return rows, nil
			}
			var seen []int
			fn := func(v int) error {
				seen = append(seen, v)
				if v == tc.cancel {
					cancel()
				}
				if v == tc.fnFail {
					return errFn
				}
				return nil
			}
			err := readPages(ctx, make([]Reader, tc.readers), cut, read, fn)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.cancel >= 0 {
				// Rows already read may still be handed over after the
				// cancel: at least those before it, every one in order.
				if len(seen) < tc.wantSeen || len(seen) >= n {
					t.Fatalf("%d rows seen after a cancel at row %d", len(seen), tc.cancel)
				}
				tc.wantSeen = len(seen)
			}
			want := make([]int, tc.wantSeen)
			for i := range want {
				want[i] = i
			}
			if !slices.Equal(seen, want) {
				t.Fatalf("fn saw %d rows %v…, want rows 0..%d in order", len(seen), seen[:min(len(seen), 10)], tc.wantSeen-1)
			}
		})
	}
}
