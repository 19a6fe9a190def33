package sqlstore

import (
	"context"
	"sync"
)

// parallelReaders is how many readers a view's long read runs on side by
// side: the machines notifier runs on have two cores or more, and the
// caller's goroutine (judging and writing the rows) takes one.
const parallelReaders = 2

// readPages reads a result a page at a time, the pages on the readers
// side by side (each page on one reader), and calls fn with the rows in
// their order on the caller's goroutine. Where a page ends is cut by
// next, under a lock, on the reader that then reads the page: given the
// key the page starts after (first: the result's start), it gives the
// page's last key, or last when the page runs to the result's end. read
// reads the page's rows, after (or from the start, first) up to to (or
// to the end, last), appending them to rows. At most two pages a reader
// (one being read, one read and waiting) and the one fn is given are
// held: memory stays flat. An error, fn's
// or a reader's, cancels the others and is returned, fn having seen
// every row before the failed page.
func readPages[K, T any](ctx context.Context, readers []Reader,
	next func(ctx context.Context, r Reader, after K, first bool) (to K, last bool, err error),
	read func(ctx context.Context, r Reader, after, to K, first, last bool, rows []T) ([]T, error),
	fn func(T) error) error {
	type page struct {
		rows []T
		last bool
		err  error
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// order holds each page's result, in page order, as soon as the page
	// is cut: the caller waits on the first while the readers read on.
	order := make(chan chan page, len(readers))
	free := make(chan []T, 2)
	var (
		mu          sync.Mutex
		after       K
		first, done = true, false
		wg          sync.WaitGroup
	)
	for _, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if done || ctx.Err() != nil {
					mu.Unlock()
					return
				}
				from, isFirst := after, first
				to, last, err := next(ctx, r, from, isFirst)
				res := make(chan page, 1)
				if err != nil {
					done = true
					res <- page{err: err}
				} else {
					after, first, done = to, false, last
				}
				select {
				case order <- res:
				case <-ctx.Done():
					mu.Unlock()
					return
				}
				mu.Unlock()
				if err != nil {
					return
				}
				var rows []T
				select {
				case rows = <-free:
				default:
				}
				rows, err = read(ctx, r, from, to, isFirst, last, rows[:0])
				res <- page{rows, last, err} // every result in order is filled
				if err != nil {
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		close(order)
	}()
	var err error
	end := false // the last page was seen
	for res := range order {
		if err != nil {
			continue // stopped: the readers end, order closes
		}
		p := <-res
		if err = p.err; err != nil {
			cancel()
			continue
		}
		for _, v := range p.rows {
			if err = fn(v); err != nil {
				cancel()
				break
			}
		}
		end = end || (err == nil && p.last)
		clear(p.rows) // no row outlives its page
		select {
		case free <- p.rows:
		default:
		}
	}
	if err == nil && !end {
		// The readers stopped before the end: the caller's context ended.
		err = parent.Err()
		if err == nil {
			err = context.Canceled
		}
	}
	return err
}
