package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var timerTests = []test{
	{"ClaimOnlyDue", testTimerClaimOnlyDue},
	{"ClaimLimitEarliestFirst", testTimerClaimLimit},
	{"NotReclaimedWhileLeased", testTimerLeased},
	{"ReclaimedAfterLeaseLapses", testTimerLeaseLapses},
	{"PutReplacesAndClearsClaim", testTimerPutReplaces},
	{"DeleteTimer", testTimerDelete},
	{"DeleteContactTimers", testTimerDeleteContact},
	{"NextTimer", testTimerNext},
	{"NextTimerSkipsLeased", testTimerNextSkipsLeased},
}

func newTimer(id string, due time.Time) store.Timer {
	return store.Timer{
		ID:         id,
		Kind:       "chat.idle",
		InstanceID: "i1",
		ContactID:  "c1",
		Due:        due,
		Payload:    `{"participant":"p1","n":` + fmt.Sprint(len(id)) + `}`,
	}
}

func putTimers(t *testing.T, s store.Store, timers ...store.Timer) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for _, tm := range timers {
			if err := tx.PutTimer(tm); err != nil {
				return err
			}
		}
		return nil
	})
}

// claim claims timers and returns their IDs in the order returned.
func claim(t *testing.T, s store.Store, now time.Time, owner string, lease time.Duration, limit int) []string {
	t.Helper()
	timers, err := s.ClaimTimers(t.Context(), now, owner, lease, limit)
	if err != nil {
		t.Fatalf("ClaimTimers(%v, %s): %v", now, owner, err)
	}
	ids := []string{}
	for _, tm := range timers {
		ids = append(ids, tm.ID)
	}
	return ids
}

func testTimerClaimOnlyDue(t *testing.T, s store.Store) {
	timers := []store.Timer{
		newTimer("late", ms0.Add(time.Minute)),
		newTimer("now", ms0),
		newTimer("past", ms0.Add(-time.Minute)),
	}
	timers[1].ContactID, timers[1].InstanceID, timers[1].Kind = "", "i2", "agent.acw"
	putTimers(t, s, timers...)

	got, err := s.ClaimTimers(t.Context(), ms0, "node-a", time.Minute, 10)
	if err != nil {
		t.Fatalf("ClaimTimers: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("ClaimTimers at now: got %d timers %+v, want past and now (due at or before now)", len(got), got)
	}
	same(t, "first claimed timer", got[0], timers[2])
	same(t, "second claimed timer", got[1], timers[1])
}

func testTimerClaimLimit(t *testing.T, s store.Store) {
	for i := 5; i >= 1; i-- {
		putTimers(t, s, newTimer(fmt.Sprintf("t%d", i), t0.Add(time.Duration(i)*time.Second)))
	}
	now := t0.Add(time.Minute)
	steps := []struct {
		limit int
		want  []string
	}{
		{2, []string{"t1", "t2"}},
		{2, []string{"t3", "t4"}},
		{2, []string{"t5"}},
		{2, []string{}},
	}
	for i, step := range steps {
		if got := claim(t, s, now, "node-a", time.Hour, step.limit); !slices.Equal(got, step.want) {
			t.Errorf("claim #%d with limit %d: got %v, want %v", i+1, step.limit, got, step.want)
		}
	}
}

func testTimerLeased(t *testing.T, s store.Store) {
	putTimers(t, s, newTimer("t1", t0))
	if got := claim(t, s, t0, "node-a", time.Minute, 10); !slices.Equal(got, []string{"t1"}) {
		t.Fatalf("first claim: got %v, want [t1]", got)
	}
	cases := []struct {
		owner string
		now   time.Time
	}{
		{"node-b", t0},
		{"node-b", t0.Add(30 * time.Second)},
		{"node-a", t0.Add(59 * time.Second)}, // not even to the same owner
	}
	for _, tc := range cases {
		if got := claim(t, s, tc.now, tc.owner, time.Minute, 10); len(got) != 0 {
			t.Errorf("claim by %s at +%v while leased: got %v, want none", tc.owner, tc.now.Sub(t0), got)
		}
	}
}

func testTimerLeaseLapses(t *testing.T, s store.Store) {
	putTimers(t, s, newTimer("t1", t0))
	if got := claim(t, s, t0, "node-a", time.Minute, 10); !slices.Equal(got, []string{"t1"}) {
		t.Fatalf("first claim: got %v, want [t1]", got)
	}
	// node-a died without deleting it; once the lease lapses it fires again.
	if got := claim(t, s, t0.Add(2*time.Minute), "node-b", time.Minute, 10); !slices.Equal(got, []string{"t1"}) {
		t.Errorf("claim after the lease lapsed: got %v, want [t1]", got)
	}
	if got := claim(t, s, t0.Add(150*time.Second), "node-a", time.Minute, 10); len(got) != 0 {
		t.Errorf("claim during node-b's lease: got %v, want none", got)
	}
}

func testTimerPutReplaces(t *testing.T, s store.Store) {
	putTimers(t, s, newTimer("t1", t0))
	if got := claim(t, s, t0, "node-a", time.Hour, 10); !slices.Equal(got, []string{"t1"}) {
		t.Fatalf("first claim: got %v, want [t1]", got)
	}
	// The handler re-arms the timer instead of deleting it.
	want := newTimer("t1", t0.Add(time.Minute))
	want.Kind, want.Payload, want.ContactID = "chat.duration", `{"v":2}`, "c2"
	putTimers(t, s, want)

	if got := claim(t, s, t0.Add(30*time.Second), "node-b", time.Hour, 10); len(got) != 0 {
		t.Errorf("claim before the new due time: got %v, want none", got)
	}
	got, err := s.ClaimTimers(t.Context(), t0.Add(2*time.Minute), "node-b", time.Hour, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("claim after the new due time, within the old lease: got %+v, %v; want t1", got, err)
	}
	same(t, "replaced timer", got[0], want)
}

func testTimerDelete(t *testing.T, s store.Store) {
	putTimers(t, s, newTimer("t1", t0), newTimer("t2", t0))
	write(t, s, func(tx store.Tx) error {
		if err := tx.DeleteTimer("t1"); err != nil {
			return err
		}
		return tx.DeleteTimer("never-existed")
	})
	if got := claim(t, s, t0, "node-a", time.Minute, 10); !slices.Equal(got, []string{"t2"}) {
		t.Errorf("claim after DeleteTimer(t1): got %v, want [t2]", got)
	}
	// The claimer deletes what it fired, in the same transaction as its effect.
	write(t, s, func(tx store.Tx) error { return tx.DeleteTimer("t2") })
	if got := claim(t, s, t0.Add(time.Hour), "node-a", time.Minute, 10); len(got) != 0 {
		t.Errorf("claim after deleting a claimed timer: got %v, want none", got)
	}
}

func testTimerDeleteContact(t *testing.T, s store.Store) {
	a1, a2, b := newTimer("a1", t0), newTimer("a2", t0), newTimer("b", t0)
	a1.ContactID, a2.ContactID, b.ContactID = "ca", "ca", "cb"
	putTimers(t, s, a1, a2, b)
	write(t, s, func(tx store.Tx) error { return tx.DeleteContactTimers("ca") })
	if got := claim(t, s, t0, "node-a", time.Minute, 10); !slices.Equal(got, []string{"b"}) {
		t.Errorf("claim after DeleteContactTimers(ca): got %v, want [b]", got)
	}
}

func testTimerNext(t *testing.T, s store.Store) {
	if _, ok, err := s.NextTimer(t.Context()); err != nil || ok {
		t.Fatalf("NextTimer on an empty store: got ok=%v, %v; want ok=false", ok, err)
	}
	putTimers(t, s, newTimer("t2", t0.Add(2*time.Hour)), newTimer("t1", t0.Add(time.Hour)), newTimer("t3", t0.Add(3*time.Hour)))
	due, ok, err := s.NextTimer(t.Context())
	if err != nil || !ok {
		t.Fatalf("NextTimer: got ok=%v, %v; want t1's due time", ok, err)
	}
	checkTime(t, "NextTimer", due, t0.Add(time.Hour))

	write(t, s, func(tx store.Tx) error { return tx.DeleteTimer("t1") })
	due, ok, err = s.NextTimer(t.Context())
	if err != nil || !ok {
		t.Fatalf("NextTimer after deleting t1: got ok=%v, %v; want t2's due time", ok, err)
	}
	checkTime(t, "NextTimer after deleting t1", due, t0.Add(2*time.Hour))
}

func testTimerNextSkipsLeased(t *testing.T, s store.Store) {
	putTimers(t, s, newTimer("t1", t0), newTimer("t2", t0.Add(time.Hour)))
	if got := claim(t, s, t0, "node-a", 5*time.Minute, 1); !slices.Equal(got, []string{"t1"}) {
		t.Fatalf("claim: got %v, want [t1]", got)
	}
	// t1 cannot be claimed again before its lease ends; a scheduler told
	// "t1 is due" would spin until then.
	due, ok, err := s.NextTimer(t.Context())
	if err != nil || !ok {
		t.Fatalf("NextTimer: got ok=%v, %v", ok, err)
	}
	checkTime(t, "NextTimer while t1 is leased", due, t0.Add(5*time.Minute))
}
