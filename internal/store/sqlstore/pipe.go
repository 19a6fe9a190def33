package sqlstore

import "errors"

// pipeBatch is how many rows read ahead one batch of a pipe carries:
// with the batch the consumer holds and one waiting, a pipe holds at most
// three batches' rows, whatever the result's size.
const pipeBatch = 256

// errPipeStopped ends a pipe's reader when its consumer has stopped.
var errPipeStopped = errors.New("pipe stopped")

// pipe runs read (the store's query, which calls emit with each row in
// order) on a goroutine of its own and calls fn with each row, in the
// same order, on the caller's: the database's work and the caller's
// (formatting, writing) go on side by side, on two cores, with memory
// bounded by pipeBatch. fn's error stops the reader (emit returns an
// error, which read must return) and is returned; else read's error.
func pipe[T any](read func(emit func(T) error) error, fn func(T) error) error {
	return pipeBy(pipeBatch, read, fn)
}

// pipeBy is pipe with batches of n rows: a pipe of pages (each row a
// page of rows already) sends each page alone, n = 1.
func pipeBy[T any](n int, read func(emit func(T) error) error, fn func(T) error) error {
	batches := make(chan []T, 1)
	free := make(chan []T, 2)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		defer close(batches)
		batch := make([]T, 0, n)
		send := func() error {
			// Stopped wins over a receiver that is ready: a select picks at
			// random among ready cases, which let the reader go on reading.
			select {
			case <-stop:
				return errPipeStopped
			default:
			}
			select {
			case batches <- batch:
			case <-stop:
				return errPipeStopped
			}
			select {
			case batch = <-free:
				batch = batch[:0]
			default:
				batch = make([]T, 0, n)
			}
			return nil
		}
		first := true
		err := read(func(v T) error {
			// The first row goes alone: it shows at once.
			if batch = append(batch, v); len(batch) == n || first {
				first = false
				return send()
			}
			return nil
		})
		if len(batch) > 0 && !errors.Is(err, errPipeStopped) {
			// The rows read before the end, or before read's error, as a
			// read on the caller's goroutine would have given them.
			if serr := send(); err == nil {
				err = serr
			}
		}
		done <- err
	}()
	var ferr error
	for batch := range batches {
		for _, v := range batch {
			if ferr = fn(v); ferr != nil {
				break
			}
		}
		clear(batch) // no row outlives its batch
		if ferr != nil {
			// Stop receiving: the reader, blocked on a full channel or at
			// its next batch, sees stop and ends; it reads at most the
			// batch in hand and one in the channel more.
			close(stop)
			break
		}
		select {
		case free <- batch:
		default:
		}
	}
	rerr := <-done
	for range batches { // the batch left in the channel, if any
	}
	if ferr != nil {
		return ferr
	}
	return rerr
}
