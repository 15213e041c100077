package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/store"
)

var itemTests = []test{
	{"SequencesStartAtOnePerContact", testItemSequencesPerContact},
	{"AppendThenGetEveryField", testItemRoundTrip},
	{"DuplicateIDWithinContact", testItemDuplicateID},
	{"DuplicateLeavesTxUsableAndGapFree", testItemDuplicateKeepsTx},
	{"AppendToUnknownContact", testItemUnknownContact},
	{"GetUnknownIsNotFound", testItemGetNotFound},
	{"ListRanges", testItemListRanges},
}

func testItemSequencesPerContact(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "a"))
	seedContact(t, s, newContact("i1", "b"))
	steps := []struct {
		contact string
		want    int64
	}{
		{"a", 1}, {"a", 2}, {"b", 1}, {"a", 3}, {"b", 2},
	}
	for i, step := range steps {
		write(t, s, func(tx store.Tx) error {
			seq, err := tx.AppendItem(newItem(step.contact, fmt.Sprintf("m%d", i)))
			if err != nil {
				return err
			}
			if seq != step.want {
				t.Errorf("AppendItem #%d to %s: got seq %d, want %d", i, step.contact, seq, step.want)
			}
			return nil
		})
	}
	for contact, want := range map[string]int64{"a": 3, "b": 2} {
		c, err := s.GetContact(t.Context(), "i1", contact)
		if err != nil || c.LastSeq != want {
			t.Errorf("GetContact(%s).LastSeq: got %d, %v; want %d", contact, c.LastSeq, err, want)
		}
		write(t, s, func(tx store.Tx) error {
			c, err := tx.LockContact("i1", contact)
			if err != nil || c.LastSeq != want {
				t.Errorf("LockContact(%s).LastSeq: got %d, %v; want %d", contact, c.LastSeq, err, want)
			}
			return nil
		})
	}
}

func testItemRoundTrip(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	want := newItem("c1", "m1")
	event := store.Item{ContactID: "c1", ID: "e1", Type: store.ItemEvent,
		ContentType: "application/vnd.amazonaws.connect.event.chat.ended", CreatedAt: t0}
	in := want
	in.Seq = 42 // the store assigns sequences; this must be ignored
	write(t, s, func(tx store.Tx) error {
		for _, it := range []store.Item{in, event} {
			if _, err := tx.AppendItem(it); err != nil {
				return err
			}
		}
		got, err := tx.GetItem("c1", "m1")
		if err != nil {
			return fmt.Errorf("Tx.GetItem: %w", err)
		}
		want.Seq = 1
		same(t, "item in Tx", got, want)
		return nil
	})
	event.Seq = 2
	for _, w := range []store.Item{want, event} {
		got, err := s.GetItem(t.Context(), "c1", w.ID)
		if err != nil {
			t.Fatalf("GetItem(%s): %v", w.ID, err)
		}
		same(t, "item "+w.ID, got, w)
	}
	list, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "c1"})
	if err != nil || len(list) != 2 {
		t.Fatalf("ListItems: got %d items, %v; want 2", len(list), err)
	}
	same(t, "listed item", list[0], want)
	same(t, "listed event", list[1], event)
}

func testItemDuplicateID(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedContact(t, s, newContact("i1", "c2"))
	appendItems(t, s, "c1", "m", 1)

	err := s.Write(t.Context(), func(tx store.Tx) error {
		_, err := tx.AppendItem(newItem("c1", "m-1"))
		return err
	})
	wantErr(t, "AppendItem of an existing ID", err, store.ErrDuplicate)

	// The same ID in another contact is another item.
	write(t, s, func(tx store.Tx) error {
		seq, err := tx.AppendItem(newItem("c2", "m-1"))
		if err == nil && seq != 1 {
			t.Errorf("AppendItem to c2: got seq %d, want 1", seq)
		}
		return err
	})
	c, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil || c.LastSeq != 1 {
		t.Errorf("c1.LastSeq after a duplicate append: got %d, %v; want 1", c.LastSeq, err)
	}
}

func testItemDuplicateKeepsTx(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	write(t, s, func(tx store.Tx) error {
		if _, err := tx.AppendItem(newItem("c1", "a")); err != nil {
			return err
		}
		// A caller may branch on ErrDuplicate (say, a retried message)
		// and carry on in the same transaction.
		_, err := tx.AppendItem(newItem("c1", "a"))
		wantErr(t, "second AppendItem(a)", err, store.ErrDuplicate)
		seq, err := tx.AppendItem(newItem("c1", "b"))
		if err != nil {
			return fmt.Errorf("AppendItem after ErrDuplicate: %w", err)
		}
		if seq != 2 {
			t.Errorf("AppendItem after ErrDuplicate: got seq %d, want 2 (no gap)", seq)
		}
		return nil
	})
	items, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "c1"})
	if got := seqs(items); err != nil || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("ListItems: got %v, %v; want [1 2]", got, err)
	}
}

func testItemUnknownContact(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	err := s.Write(t.Context(), func(tx store.Tx) error {
		_, err := tx.AppendItem(newItem("nope", "m1"))
		return err
	})
	wantErr(t, "AppendItem to an unknown contact", err, store.ErrNotFound)
}

func testItemGetNotFound(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedContact(t, s, newContact("i1", "c2"))
	appendItems(t, s, "c1", "m", 1)
	cases := []struct{ name, contact, item string }{
		{"unknown item", "c1", "nope"},
		{"item of another contact", "c2", "m-1"},
		{"unknown contact", "nope", "m-1"},
	}
	for _, tc := range cases {
		_, err := s.GetItem(t.Context(), tc.contact, tc.item)
		wantErr(t, "GetItem, "+tc.name, err, store.ErrNotFound)
		write(t, s, func(tx store.Tx) error {
			_, err := tx.GetItem(tc.contact, tc.item)
			wantErr(t, "Tx.GetItem, "+tc.name, err, store.ErrNotFound)
			return nil
		})
	}
}

func testItemListRanges(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedContact(t, s, newContact("i1", "c2"))
	appendItems(t, s, "c1", "m", 10)
	appendItems(t, s, "c2", "m", 3)

	cases := []struct {
		name string
		q    store.ItemQuery
		want []int64
	}{
		{"all", store.ItemQuery{}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"descending", store.ItemQuery{Descending: true}, []int64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}},
		{"after", store.ItemQuery{AfterSeq: 7}, []int64{8, 9, 10}},
		{"before", store.ItemQuery{BeforeSeq: 4}, []int64{1, 2, 3}},
		{"between", store.ItemQuery{AfterSeq: 3, BeforeSeq: 6}, []int64{4, 5}},
		{"limit", store.ItemQuery{Limit: 3}, []int64{1, 2, 3}},
		{"after with limit", store.ItemQuery{AfterSeq: 3, Limit: 2}, []int64{4, 5}},
		{"descending with limit", store.ItemQuery{Descending: true, Limit: 3}, []int64{10, 9, 8}},
		{"descending before with limit", store.ItemQuery{Descending: true, BeforeSeq: 5, Limit: 2}, []int64{4, 3}},
		{"descending between", store.ItemQuery{Descending: true, AfterSeq: 7, BeforeSeq: 10}, []int64{9, 8}},
		{"limit beyond end", store.ItemQuery{AfterSeq: 8, Limit: 5}, []int64{9, 10}},
		{"after the last", store.ItemQuery{AfterSeq: 10}, nil},
		{"empty range", store.ItemQuery{AfterSeq: 4, BeforeSeq: 5}, nil},
		{"negative limit means none", store.ItemQuery{Limit: -1}, []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	}
	for _, tc := range cases {
		q := tc.q
		q.ContactID = "c1"
		items, err := s.ListItems(t.Context(), q)
		if err != nil {
			t.Errorf("ListItems(%s): %v", tc.name, err)
			continue
		}
		if got := seqs(items); !slices.Equal(got, tc.want) {
			t.Errorf("ListItems(%s): got seqs %v, want %v", tc.name, got, tc.want)
		}
		for _, it := range items {
			if it.ContactID != "c1" || it.ID != fmt.Sprintf("m-%d", it.Seq) {
				t.Errorf("ListItems(%s): item %d is %s/%s, want c1/m-%d", tc.name, it.Seq, it.ContactID, it.ID, it.Seq)
			}
		}
	}

	items, err := s.ListItems(t.Context(), store.ItemQuery{ContactID: "nope"})
	if err != nil || len(items) != 0 {
		t.Errorf("ListItems of an unknown contact: got %d items, %v; want none and no error", len(items), err)
	}
}
