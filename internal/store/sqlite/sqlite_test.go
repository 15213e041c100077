package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/storetest"
)

func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := OpenWith(t.Context(), filepath.Join(t.TempDir(), "parley.db"), opts)
	if err != nil {
		t.Fatalf("OpenWith: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, Options{}) })
}

// TestConformanceTinyBatches runs the suite with group commit reduced to
// one Write per transaction, so batching cannot hide a bug (or be needed).
func TestConformanceTinyBatches(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t, Options{MaxBatch: 1, ReadConns: 1}) })
}

func TestOpenCreatesDirectoryAndReopens(t *testing.T) {
	t.Parallel()
	// A '?' and a '#' in the path must not be read as URI syntax.
	path := filepath.Join(t.TempDir(), "a", "b?c#d", "parley.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	err = s.Write(t.Context(), func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{Instance: store.Instance{ID: "i1", CreatedAt: time.Now()}})
	})
	if err != nil {
		t.Fatalf("Write: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Reopening applies no migration twice and finds the data.
	s, err = Open(t.Context(), path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	if _, err := s.GetInstance(t.Context(), "i1"); err != nil {
		t.Errorf("GetInstance after reopen: %v", err)
	}
}

func TestOpenRejects(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		path string
		opts Options
	}{
		{"empty path", "", Options{}},
		{"in-memory", ":memory:", Options{}},
		{"URI", "file:x.db", Options{}},
		{"unknown synchronous", filepath.Join(t.TempDir(), "x.db"), Options{Synchronous: "OFF"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if s, err := OpenWith(t.Context(), tc.path, tc.opts); err == nil {
				s.Close()
				t.Errorf("OpenWith(%q, %+v): got no error", tc.path, tc.opts)
			}
		})
	}
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     Options
		wantSync int // PRAGMA synchronous: 1 NORMAL, 2 FULL
	}{
		{"default", Options{}, 1},
		{"full", Options{Synchronous: "full"}, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := openTemp(t, tc.opts)
			defer s.Close()
			// fn runs on the writer goroutine, the only user of its
			// connection, so it may query that connection directly.
			err := s.Write(t.Context(), func(store.Tx) error {
				var mode string
				var sync, fk int
				for q, dst := range map[string]any{
					"PRAGMA journal_mode": &mode, "PRAGMA synchronous": &sync, "PRAGMA foreign_keys": &fk,
				} {
					if err := s.w.conn.QueryRowContext(t.Context(), q).Scan(dst); err != nil {
						return fmt.Errorf("%s: %w", q, err)
					}
				}
				if mode != "wal" || sync != tc.wantSync || fk != 1 {
					t.Errorf("writer: journal_mode=%s synchronous=%d foreign_keys=%d; want wal, %d, 1", mode, sync, fk, tc.wantSync)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var mode string
			if err := s.readDB.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
				t.Errorf("reader journal_mode: got %q, %v; want wal", mode, err)
			}
			_, err = s.readDB.ExecContext(t.Context(), "CREATE TABLE x (y)")
			if err == nil {
				t.Errorf("reader could write; want it read-only")
			}
		})
	}
}

// blockWriter occupies the writer with a Write that waits until release is
// closed, and returns once that Write is running.
func blockWriter(t *testing.T, s *Store) (release func(), done <-chan error) {
	t.Helper()
	running, unblock := make(chan struct{}), make(chan struct{})
	errc := make(chan error, 1)
	go func() {
		errc <- s.Write(context.Background(), func(store.Tx) error {
			close(running)
			<-unblock
			return nil
		})
	}()
	<-running
	return func() { close(unblock) }, errc
}

func TestWriteCancelledWhileQueuedNeverRuns(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	defer s.Close()
	release, blocked := blockWriter(t, s)

	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	r, err := s.submit(ctx, func(store.Tx) error { ran <- struct{}{}; return nil })
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	// The writer is busy, so the Write is still queued; cancelling it must
	// make it return without ever running.
	cancel()
	if err := s.wait(ctx, r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Write: got %v, want context.Canceled", err)
	}
	release()
	if err := <-blocked; err != nil {
		t.Fatalf("blocking Write: %v", err)
	}
	// A Write queued after the cancelled one completes only after the
	// writer has passed the cancelled one, so this is a real check.
	if err := s.Write(t.Context(), func(store.Tx) error { return nil }); err != nil {
		t.Fatalf("Write: %v", err)
	}
	select {
	case <-ran:
		t.Error("the cancelled Write's fn ran")
	default:
	}
}

func TestWritesQueuedTogetherShareACommit(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	defer s.Close()
	if err := s.Write(t.Context(), func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{Instance: store.Instance{ID: "i1", CreatedAt: time.Now()}})
	}); err != nil {
		t.Fatal(err)
	}
	release, blocked := blockWriter(t, s)

	// While the writer is held, queue writes: one fails, the rest succeed.
	const n = 10
	reqs := make([]*request, n)
	for i := range n {
		r, err := s.submit(t.Context(), func(tx store.Tx) error {
			c := store.Contact{ID: fmt.Sprintf("c%d", i), InstanceID: "i1", State: store.ContactActive}
			if err := tx.InsertContact(c); err != nil {
				return err
			}
			if i == 3 {
				return errors.New("no")
			}
			return nil
		})
		if err != nil {
			t.Fatalf("submit: %v", err)
		}
		reqs[i] = r
	}
	before := s.w.commits.Load()
	release()
	if err := <-blocked; err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, r := range reqs {
		if err := s.wait(t.Context(), r); err != nil {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("got %d failed Writes, want 1", failed)
	}
	// The blocking Write committed alone; the ten queued behind it, once.
	if got := s.w.commits.Load() - before; got != 2 {
		t.Errorf("commits for the blocked Write and the %d queued behind it: got %d, want 2", n, got)
	}
	for i := range n {
		_, err := s.GetContact(t.Context(), "i1", fmt.Sprintf("c%d", i))
		if wantGone := i == 3; errors.Is(err, store.ErrNotFound) != wantGone {
			t.Errorf("contact c%d: got %v, want present=%v", i, err, !wantGone)
		}
	}
}

func TestPanicInWriteReachesCaller(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	defer s.Close()
	func() {
		defer func() {
			v := recover()
			if v == nil || !strings.Contains(fmt.Sprint(v), "kaboom") {
				t.Errorf("recovered %v, want the panic of fn", v)
			}
		}()
		_ = s.Write(t.Context(), func(tx store.Tx) error {
			if err := tx.CreateInstance(store.NewInstance{Instance: store.Instance{ID: "i1"}}); err != nil {
				return err
			}
			panic("kaboom")
		})
	}()
	// The writer survived, and the panicking Write left nothing behind.
	if _, err := s.GetInstance(t.Context(), "i1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetInstance after panicking Write: got %v, want ErrNotFound", err)
	}
	if err := s.Write(t.Context(), func(store.Tx) error { return nil }); err != nil {
		t.Errorf("Write after a panic: %v", err)
	}
}

func TestTxUnusableAfterWrite(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	defer s.Close()
	var kept store.Tx
	if err := s.Write(t.Context(), func(tx store.Tx) error { kept = tx; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := kept.DeleteTimer("x"); !errors.Is(err, errTxEnded) {
		t.Errorf("Tx used after Write: got %v, want errTxEnded", err)
	}
}

func TestWriteAfterClose(t *testing.T) {
	t.Parallel()
	s := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Write(t.Context(), func(store.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Write after Close: got %v, want ErrClosed", err)
	}
}
