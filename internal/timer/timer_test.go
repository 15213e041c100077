package timer_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
	"github.com/parley-chat/parley/internal/timer"
)

// Several schedulers (nodes) racing over one store fire every timer exactly
// once, and only when due.
func TestTimersFireExactlyOnceAcrossNodes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	const n = 300
	err = st.Write(ctx, func(tx store.Tx) error {
		for i := range n {
			due := now.Add(time.Duration(i%3) * time.Minute) // a third due now, the rest later
			if err := tx.PutTimer(store.Timer{ID: fmt.Sprint("t", i), Kind: "test", Due: due}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	fired := map[string]int{}
	firedCh := make(chan struct{}, 2*n)
	handler := func(ctx context.Context, tm store.Timer) error {
		if tm.Due.After(clock()) {
			t.Errorf("timer %s fired before it was due", tm.ID)
		}
		mu.Lock()
		fired[tm.ID]++
		mu.Unlock()
		firedCh <- struct{}{}
		return st.Write(ctx, func(tx store.Tx) error { return tx.DeleteTimer(tm.ID) })
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var nodes []*timer.Scheduler
	for i := range 3 {
		s := timer.New(st, fmt.Sprint("node", i), clock, log)
		s.Poll = 5 * time.Millisecond
		s.Handle("test", handler)
		nodes = append(nodes, s)
		wg.Add(1)
		go func() { defer wg.Done(); s.Run(runCtx) }()
	}
	waitFor := func(count int) {
		t.Helper()
		for i := range count {
			select {
			case <-firedCh:
			case <-time.After(10 * time.Second):
				t.Fatalf("%d of %d timers fired", i, count)
			}
		}
	}
	waitFor(n / 3)
	clockMu.Lock()
	now = now.Add(2 * time.Minute)
	clockMu.Unlock()
	for _, s := range nodes {
		s.Kick()
	}
	waitFor(n - n/3)
	cancel()
	wg.Wait()
	for id, k := range fired {
		if k != 1 {
			t.Fatalf("timer %s fired %d times", id, k)
		}
	}
	if len(fired) != n {
		t.Fatalf("%d distinct timers fired, want %d", len(fired), n)
	}
}

// A handler that fails leaves its timer to be retried once the claim's
// lease lapses.
func TestFailedTimerIsRetriedAfterLease(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st.Write(ctx, func(tx store.Tx) error { return tx.PutTimer(store.Timer{ID: "t", Kind: "test", Due: now}) })
	calls := 0
	s := timer.New(st, "node", clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	s.Handle("test", func(ctx context.Context, tm store.Timer) error {
		calls++
		if calls == 1 {
			return fmt.Errorf("transient failure")
		}
		return st.Write(ctx, func(tx store.Tx) error { return tx.DeleteTimer(tm.ID) })
	})
	s.RunDue(ctx)
	if s.RunDue(ctx) != 0 {
		t.Fatal("a claimed timer was handed out again within its lease")
	}
	now = now.Add(s.Lease + time.Second)
	s.RunDue(ctx)
	if calls != 2 {
		t.Fatalf("handler called %d times, want 2 (fail, then retry after the lease)", calls)
	}
	if _, ok, _ := st.NextTimer(ctx); ok {
		t.Fatal("the timer is still stored after a successful retry")
	}
}
