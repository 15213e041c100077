package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"

	"github.com/parley-chat/parley/internal/store"
)

// Request states. A request leaves stateQueued exactly once: either the
// writer takes it (and will answer it), or its caller gives up on it (and
// the writer will skip it). That single transition is what makes a
// cancelled Write certain to have written nothing.
const (
	stateQueued int32 = iota
	stateTaken
	stateCancelled
)

// maxAttempts bounds how often one Write's fn is run when group commits
// it took part in were lost through no fault of its own.
const maxAttempts = 3

// request is one Write waiting for the writer.
type request struct {
	fn       func(store.Tx) error
	state    atomic.Int32
	attempts int
	done     chan outcome // buffered: the writer never blocks on a caller
}

// outcome is what the writer tells a Write caller.
type outcome struct {
	err error
	// panicked carries a panic from fn back to the caller's goroutine,
	// where it is raised again: fn's bugs belong to its caller, not to the
	// writer that serves everyone.
	panicked bool
	panicVal any
	stack    []byte
}

// writer owns the single write connection and runs group commits.
type writer struct {
	conn     *sql.Conn
	st       *writeStmts
	reqs     chan *request
	maxBatch int

	// retry holds Writes to run again because their group commit was
	// lost; they go first in the next batch.
	retry []*request
	batch []*request
	ok    []*request

	// commits counts committed transactions, for tests and diagnostics.
	commits atomic.Int64
}

func newWriter(ctx context.Context, conn *sql.Conn, maxBatch int) (*writer, error) {
	st, err := prepareWrites(ctx, conn)
	if err != nil {
		return nil, err
	}
	return &writer{
		conn:     conn,
		st:       st,
		reqs:     make(chan *request, maxBatch),
		maxBatch: maxBatch,
	}, nil
}

// close releases the writer's statements and connection; run must have
// returned.
func (w *writer) close() error {
	return errors.Join(closeStmts(w.st.all), w.conn.Close())
}

// run serves the queue until it is closed and drained.
func (w *writer) run() {
	for {
		w.batch = append(w.batch[:0], w.retry...)
		w.retry = w.retry[:0]
		if len(w.batch) == 0 {
			r, ok := <-w.reqs
			if !ok {
				return
			}
			w.batch = append(w.batch, r)
		}
		// Everything that queued up while the previous commit was syncing
		// joins this one: that is the whole point of group commit.
	drain:
		for len(w.batch) < w.maxBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					break drain
				}
				w.batch = append(w.batch, r)
			default:
				break drain
			}
		}
		w.commit(w.batch)
		clear(w.batch) // drop references to answered requests
	}
}

// commit runs batch in one transaction, each request in its own
// savepoint, and answers every request it takes.
func (w *writer) commit(batch []*request) {
	live := batch[:0]
	for _, r := range batch {
		if r.attempts > 0 || r.state.CompareAndSwap(stateQueued, stateTaken) {
			live = append(live, r)
		}
	}
	if len(live) == 0 {
		return
	}
	if err := w.execSQL("BEGIN IMMEDIATE"); err != nil {
		for _, r := range live {
			r.done <- outcome{err: fmt.Errorf("write: begin: %w", err)}
		}
		return
	}

	w.ok = w.ok[:0]
	for i, r := range live {
		r.attempts++
		out, intact := w.runOne(r)
		if !intact {
			r.done <- out
			w.abort(live[i+1:])
			return
		}
		if out.err != nil || out.panicked {
			// Rolled back to its savepoint: nothing of it will commit, so
			// its caller need not wait for the others.
			r.done <- out
			continue
		}
		w.ok = append(w.ok, r)
	}

	if err := w.execSQL("COMMIT"); err != nil {
		_ = w.execSQL("ROLLBACK")
		for _, r := range w.ok {
			r.done <- outcome{err: fmt.Errorf("write: commit: %w", err)}
		}
		return
	}
	w.commits.Add(1)
	for _, r := range w.ok {
		r.done <- outcome{}
	}
}

// runOne runs one request's fn inside a savepoint. intact is false when
// the surrounding transaction is no longer usable.
func (w *writer) runOne(r *request) (out outcome, intact bool) {
	if err := w.execSQL("SAVEPOINT w"); err != nil {
		return outcome{err: fmt.Errorf("write: savepoint: %w", err)}, false
	}
	t := &tx{st: w.st}
	out = callFn(r.fn, t)
	t.ended = true

	if out.err == nil && !out.panicked && t.failed == nil {
		if err := w.execSQL("RELEASE w"); err != nil {
			return outcome{err: fmt.Errorf("write: release savepoint: %w", err)}, false
		}
		return out, true
	}
	if out.err == nil && !out.panicked {
		// fn carried on past a failure that may have cost the
		// transaction; its writes cannot be trusted.
		out.err = fmt.Errorf("write: %w", t.failed)
	}
	if err := w.execSQL("ROLLBACK TO w"); err != nil {
		return out, false
	}
	if err := w.execSQL("RELEASE w"); err != nil {
		return out, false
	}
	return out, true
}

// abort rolls back a transaction that broke mid-batch. The Writes that
// had succeeded in it, and those not yet run, were not at fault, so they
// go round again (fn may run more than once, as store.Store.Write allows),
// up to maxAttempts.
func (w *writer) abort(notRun []*request) {
	_ = w.execSQL("ROLLBACK")
	for _, r := range append(w.ok, notRun...) {
		if r.attempts >= maxAttempts {
			r.done <- outcome{err: errors.New("write: transaction aborted too many times")}
			continue
		}
		w.retry = append(w.retry, r)
	}
	w.ok = w.ok[:0]
}

func (w *writer) execSQL(q string) error {
	_, err := w.conn.ExecContext(bg, q)
	return err
}

// callFn runs fn, turning a panic into an outcome.
func callFn(fn func(store.Tx) error, t *tx) (out outcome) {
	defer func() {
		if v := recover(); v != nil {
			out = outcome{panicked: true, panicVal: v, stack: debug.Stack()}
		}
	}()
	return outcome{err: fn(t)}
}

// Write implements store.Store. fn runs on the store's writer goroutine,
// batched with other Writes into one transaction (each in its own
// savepoint); Write returns after that transaction commits. fn must not
// call Write itself (it would wait for itself) and must not keep tx.
//
// ctx bounds the wait in the queue: a Write cancelled before the writer
// picked it up returns ctx's error and is never run. Once picked up it
// runs to the end, because its fate is tied to the shared commit.
func (s *Store) Write(ctx context.Context, fn func(tx store.Tx) error) error {
	r, err := s.submit(ctx, fn)
	if err != nil {
		return err
	}
	return s.wait(ctx, r)
}

// submit queues fn for the writer.
func (s *Store) submit(ctx context.Context, fn func(tx store.Tx) error) (*request, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	r := &request{fn: fn, done: make(chan outcome, 1)}

	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, fmt.Errorf("write: %w", ErrClosed)
	}
	select {
	case s.w.reqs <- r:
		return r, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("write: %w", ctx.Err())
	}
}

// wait returns r's outcome, or ctx's error if r was still queued when ctx
// ended.
func (s *Store) wait(ctx context.Context, r *request) error {
	select {
	case out := <-r.done:
		return out.result()
	case <-ctx.Done():
		if r.state.CompareAndSwap(stateQueued, stateCancelled) {
			return fmt.Errorf("write: %w", ctx.Err())
		}
		return (<-r.done).result()
	}
}

// result returns fn's error unchanged (callers errors.Is/As it) or raises
// fn's panic on the caller's goroutine.
func (o outcome) result() error {
	if o.panicked {
		panic(fmt.Sprintf("%v\n\nin store Write fn, on the writer goroutine:\n%s", o.panicVal, o.stack))
	}
	return o.err
}
