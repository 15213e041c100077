package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var writeTests = []test{
	{"ErrorDiscardsEveryWrite", testWriteErrorDiscards},
	{"ErrorReturnedForErrorsIsAndAs", testWriteErrorUnchanged},
	{"TxReadsItsOwnWrites", testWriteReadsOwnWrites},
	{"CommittedWhenWriteReturns", testWriteCommittedOnReturn},
	{"CancelledContext", testWriteCancelledContext},
	{"ConcurrentAppendsGapFree", testWriteConcurrentAppends},
	{"ConcurrentFailuresIsolated", testWriteConcurrentFailures},
	{"ConcurrentClaimersNeverShare", testWriteConcurrentClaims},
}

// rejection is a typed error a domain function might return from fn.
type rejection struct{ reason string }

func (r *rejection) Error() string { return "rejected: " + r.reason }

var errBoom = errors.New("boom")

func testWriteErrorDiscards(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	putTimers(t, s, newTimer("kept", t0))

	err := s.Write(t.Context(), func(tx store.Tx) error {
		ops := []struct {
			name string
			do   func() error
		}{
			{"CreateInstance", func() error { return tx.CreateInstance(newInstance("i2")) }},
			{"InsertContact", func() error { return tx.InsertContact(newContact("i1", "c2")) }},
			{"UpdateContact", func() error { u := c; u.State = store.ContactEnded; return tx.UpdateContact(u) }},
			{"InsertParticipant", func() error { return tx.InsertParticipant(newParticipant(c, "p1", store.RoleCustomer)) }},
			{"InsertToken", func() error { return tx.InsertToken(newToken("tok", store.TokenParticipant, "p1", t0)) }},
			{"AppendItem", func() error { _, err := tx.AppendItem(newItem("c1", "m1")); return err }},
			{"PutReceipt", func() error {
				return tx.PutReceipt(store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p1", ReadAt: t0})
			}},
			{"PutIdempotent", func() error { return tx.PutIdempotent("s", "k", []byte("r"), t0) }},
			{"PutTimer", func() error { return tx.PutTimer(newTimer("new", t0)) }},
			{"DeleteTimer", func() error { return tx.DeleteTimer("kept") }},
			{"PutResource", func() error { return tx.PutResource(newResource("i1", store.KindQueue, "q-new", "New")) }},
			{"DeleteResource", func() error { return tx.DeleteResource("i1", store.KindQueue, "i1-q1") }},
			{"PutAgent", func() error { return tx.PutAgent(newAgent("i1", "u1")) }},
			{"PutContactRouting", func() error { return tx.PutContactRouting(newContactRouting("i1", "c1", "q1")) }},
			{"PutAssignment", func() error {
				return tx.PutAssignment(newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, t0))
			}},
			{"InsertSession", func() error { return tx.InsertSession(newSession("sess", "i1", "u1", t0)) }},
		}
		for _, op := range ops {
			if err := op.do(); err != nil {
				return fmt.Errorf("%s: %w", op.name, err)
			}
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Write: got %v, want errBoom", err)
	}

	ctx := t.Context()
	checks := []struct {
		name    string
		visible func() bool
	}{
		{"instance", func() bool { _, err := s.GetInstance(ctx, "i2"); return err == nil }},
		{"contact", func() bool { _, err := s.GetContact(ctx, "i1", "c2"); return err == nil }},
		{"contact update", func() bool { c, _ := s.GetContact(ctx, "i1", "c1"); return c.State != store.ContactActive }},
		{"participant", func() bool { _, err := s.GetParticipant(ctx, "p1"); return err == nil }},
		{"token", func() bool { _, err := s.LookupToken(ctx, hash("tok")); return err == nil }},
		{"item", func() bool { _, err := s.GetItem(ctx, "c1", "m1"); return err == nil }},
		{"sequence", func() bool { c, _ := s.GetContact(ctx, "i1", "c1"); return c.LastSeq != 0 }},
		{"receipt", func() bool { r, _ := s.ListReceipts(ctx, "c1", []string{"m1"}); return len(r) > 0 }},
		{"idempotency record", func() bool { _, err := s.GetIdempotent(ctx, "s", "k"); return err == nil }},
		{"resource", func() bool { _, err := s.GetResource(ctx, "i1", store.KindQueue, "q-new"); return err == nil }},
		{"resource delete", func() bool { _, err := s.GetResource(ctx, "i1", store.KindQueue, "i1-q1"); return err != nil }},
		{"agent", func() bool { _, err := s.GetAgent(ctx, "i1", "u1"); return err == nil }},
		{"contact routing", func() bool { _, err := s.GetContactRouting(ctx, "i1", "c1"); return err == nil }},
		{"assignment", func() bool {
			as, _ := s.ListAssignments(ctx, store.AssignmentQuery{InstanceID: "i1", ContactID: "c1"})
			return len(as) > 0
		}},
		{"session", func() bool { _, err := s.LookupSession(ctx, hash("sess")); return err == nil }},
		{"timers", func() bool {
			ids := claim(t, s, t0, "node-a", time.Minute, 10)
			return !slices.Equal(ids, []string{"kept"})
		}},
	}
	for _, c := range checks {
		if c.visible() {
			t.Errorf("%s of the failed Write is visible", c.name)
		}
	}

	// The store is fine afterwards: the same writes succeed.
	write(t, s, func(tx store.Tx) error { _, err := tx.AppendItem(newItem("c1", "m1")); return err })
}

func testWriteErrorUnchanged(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	wrapped := fmt.Errorf("send message: %w", &rejection{reason: "ended"})
	cases := []struct {
		name  string
		fnErr error
		check func(err error) bool
	}{
		{"sentinel", errBoom, func(err error) bool { return errors.Is(err, errBoom) }},
		{"typed", &rejection{reason: "x"}, func(err error) bool {
			var r *rejection
			return errors.As(err, &r) && r.reason == "x"
		}},
		{"wrapped typed", wrapped, func(err error) bool {
			var r *rejection
			return errors.As(err, &r) && r.reason == "ended"
		}},
		{"store sentinel", fmt.Errorf("lock: %w", store.ErrNotFound), func(err error) bool {
			return errors.Is(err, store.ErrNotFound)
		}},
	}
	for _, tc := range cases {
		err := s.Write(t.Context(), func(tx store.Tx) error {
			if _, err := tx.AppendItem(newItem("c1", "m-"+tc.name)); err != nil {
				return err
			}
			return tc.fnErr
		})
		if !tc.check(err) {
			t.Errorf("Write returning %s error: got %v (%T), want %v", tc.name, err, err, tc.fnErr)
		}
	}
}

func testWriteReadsOwnWrites(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	c := newContact("i1", "c1")
	p := newParticipant(c, "p1", store.RoleCustomer)
	write(t, s, func(tx store.Tx) error {
		if err := tx.InsertContact(c); err != nil {
			return err
		}
		if err := tx.InsertParticipant(p); err != nil {
			return err
		}
		if _, err := tx.AppendItem(newItem("c1", "m1")); err != nil {
			return err
		}
		if err := tx.PutReceipt(store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p1", ReadAt: t0}); err != nil {
			return err
		}
		if err := tx.PutIdempotent("s", "k", []byte("r"), t0); err != nil {
			return err
		}
		next := newContact("i1", "c2")
		next.ContinuedFromID = "c1"
		if err := tx.InsertContact(next); err != nil {
			return err
		}

		checks := []struct {
			name string
			err  func() error
		}{
			{"LockContact", func() error {
				got, err := tx.LockContact("i1", "c1")
				if err == nil && got.LastSeq != 1 {
					err = fmt.Errorf("LastSeq %d, want 1", got.LastSeq)
				}
				return err
			}},
			{"GetParticipant", func() error { _, err := tx.GetParticipant("p1"); return err }},
			{"ListParticipants", func() error {
				ps, err := tx.ListParticipants("c1")
				if err == nil && len(ps) != 1 {
					err = fmt.Errorf("%d participants, want 1", len(ps))
				}
				return err
			}},
			{"GetItem", func() error { _, err := tx.GetItem("c1", "m1"); return err }},
			{"GetReceipt", func() error { _, err := tx.GetReceipt("c1", "m1", "p1"); return err }},
			{"GetIdempotent", func() error { _, err := tx.GetIdempotent("s", "k"); return err }},
			{"HasContinuation", func() error {
				ok, err := tx.HasContinuation("c1")
				if err == nil && !ok {
					err = errors.New("false, want true")
				}
				return err
			}},
		}
		for _, ch := range checks {
			if err := ch.err(); err != nil {
				t.Errorf("%s inside the Write that wrote it: %v", ch.name, err)
			}
		}
		return nil
	})
}

func testWriteCommittedOnReturn(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	// Each read right after its Write must see it: acknowledging a
	// message means it is already readable by a reconnecting client.
	for i := 1; i <= 20; i++ {
		write(t, s, func(tx store.Tx) error {
			_, err := tx.AppendItem(newItem("c1", fmt.Sprintf("m%d", i)))
			return err
		})
		items, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "c1", Descending: true, Limit: 1})
		if err != nil || len(items) != 1 || items[0].Seq != int64(i) {
			t.Fatalf("ListItems right after Write #%d: got %v, %v; want seq %d", i, seqs(items), err, i)
		}
	}
}

func testWriteCancelledContext(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Write(ctx, func(tx store.Tx) error {
		_, err := tx.AppendItem(newItem("c1", "m1"))
		return err
	})
	if err == nil {
		// A driver may still run fn; then it must have committed it.
		if _, gerr := s.GetItem(t.Context(), "c1", "m1"); gerr != nil {
			t.Errorf("Write with a cancelled context returned nil but its item is missing: %v", gerr)
		}
		return
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Write with a cancelled context: got %v, want context.Canceled", err)
	}
	if _, err := s.GetItem(t.Context(), "c1", "m1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("item of a cancelled Write: got %v, want ErrNotFound", err)
	}
}

func testWriteConcurrentAppends(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	const workers, perWorker = 8, 50
	var (
		mu   sync.Mutex
		got  []int64
		wg   sync.WaitGroup
		errs = make(chan error, workers)
	)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				var seq int64
				err := s.Write(t.Context(), func(tx store.Tx) error {
					c, err := tx.LockContact("i1", "c1")
					if err != nil {
						return err
					}
					seq, err = tx.AppendItem(newItem(c.ID, fmt.Sprintf("w%d-%d", w, i)))
					if err == nil && seq != c.LastSeq+1 {
						err = fmt.Errorf("AppendItem gave seq %d after locking at LastSeq %d", seq, c.LastSeq)
					}
					return err
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d, write %d: %w", w, i, err)
					return
				}
				mu.Lock()
				got = append(got, seq)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	want := make([]int64, workers*perWorker)
	for i := range want {
		want[i] = int64(i + 1)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("sequences returned to %d concurrent writers: got %d values %v, want 1..%d each once", workers, len(got), got, len(want))
	}
	items, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "c1"})
	if err != nil || !slices.Equal(seqs(items), want) {
		t.Errorf("ListItems after concurrent appends: got %d items, %v; want seqs 1..%d", len(items), err, len(want))
	}
	c, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil || c.LastSeq != int64(len(want)) {
		t.Errorf("LastSeq after concurrent appends: got %d, %v; want %d", c.LastSeq, err, len(want))
	}
}

func testWriteConcurrentFailures(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	const workers, perWorker = 8, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				fail := (w+i)%2 == 1
				err := s.Write(t.Context(), func(tx store.Tx) error {
					if _, err := tx.LockContact("i1", "c1"); err != nil {
						return err
					}
					if _, err := tx.AppendItem(newItem("c1", fmt.Sprintf("w%d-%d", w, i))); err != nil {
						return err
					}
					if fail {
						return errBoom
					}
					return nil
				})
				if fail && !errors.Is(err, errBoom) {
					t.Errorf("failing write w%d-%d: got %v, want errBoom", w, i, err)
				}
				if !fail && err != nil {
					t.Errorf("write w%d-%d: %v", w, i, err)
				}
			}
		})
	}
	wg.Wait()

	items, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "c1"})
	if err != nil {
		t.Fatalf("ListItems: %v", err)
	}
	const want = workers * perWorker / 2
	if len(items) != want {
		t.Errorf("ListItems: got %d items, want %d (only the successful writes)", len(items), want)
	}
	for i, it := range items {
		var w, n int
		if _, err := fmt.Sscanf(it.ID, "w%d-%d", &w, &n); err != nil || (w+n)%2 == 1 {
			t.Errorf("item %s (seq %d) belongs to a failed write", it.ID, it.Seq)
		}
		if it.Seq != int64(i+1) {
			t.Errorf("item %d has seq %d, want %d (gap-free)", i, it.Seq, i+1)
		}
	}
}

func testWriteConcurrentClaims(t *testing.T, s store.Store) {
	const timers, claimers = 200, 8
	all := make([]store.Timer, timers)
	for i := range all {
		all[i] = newTimer(fmt.Sprintf("t%03d", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	putTimers(t, s, all...)

	var (
		mu      sync.Mutex
		claimed = map[string]string{} // timer ID → owner
		wg      sync.WaitGroup
	)
	now := t0.Add(time.Hour)
	for c := range claimers {
		owner := fmt.Sprintf("node-%d", c)
		wg.Go(func() {
			for {
				got, err := s.ClaimTimers(t.Context(), now, owner, time.Hour, 7)
				if err != nil {
					t.Errorf("ClaimTimers(%s): %v", owner, err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, tm := range got {
					if prev, dup := claimed[tm.ID]; dup {
						t.Errorf("timer %s claimed by both %s and %s", tm.ID, prev, owner)
					}
					claimed[tm.ID] = owner
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(claimed) != timers {
		t.Errorf("claimed %d distinct timers, want %d", len(claimed), timers)
	}
}
