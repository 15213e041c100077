package storetest

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var receiptTests = []test{
	{"PutMergesZeroKeepsOld", testReceiptMerge},
	{"OnePerRecipient", testReceiptPerRecipient},
	{"GetUnknownIsNotFound", testReceiptNotFound},
	{"ListForMessageIDs", testReceiptList},
}

func putReceipts(t *testing.T, s store.Store, rs ...store.Receipt) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for _, r := range rs {
			if err := tx.PutReceipt(r); err != nil {
				return err
			}
		}
		return nil
	})
}

func getReceipt(t *testing.T, s store.Store, contactID, messageID, recipientID string) (r store.Receipt, err error) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		r, err = tx.GetReceipt(contactID, messageID, recipientID)
		return nil
	})
	return r, err
}

func testReceiptMerge(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	key := store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p2"}
	at := func(delivered, read time.Time) store.Receipt {
		r := key
		r.DeliveredAt, r.ReadAt = delivered, read
		return r
	}
	var zero time.Time
	steps := []struct {
		name string
		put  store.Receipt
		want store.Receipt
	}{
		{"delivered", at(t0, zero), at(t0, zero)},
		{"read keeps delivered", at(zero, t0.Add(time.Second)), at(t0, t0.Add(time.Second))},
		{"all zero keeps both", at(zero, zero), at(t0, t0.Add(time.Second))},
		{"non-zero replaces", at(t0.Add(time.Minute), zero), at(t0.Add(time.Minute), t0.Add(time.Second))},
	}
	for _, step := range steps {
		putReceipts(t, s, step.put)
		got, err := getReceipt(t, s, "c1", "m1", "p2")
		if err != nil {
			t.Fatalf("GetReceipt after %s: %v", step.name, err)
		}
		same(t, "receipt after "+step.name, got, step.want)
	}
}

func testReceiptPerRecipient(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	a := store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p2", DeliveredAt: t0}
	b := store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p3", ReadAt: t0.Add(time.Second)}
	putReceipts(t, s, a, b)
	for _, want := range []store.Receipt{a, b} {
		got, err := getReceipt(t, s, "c1", "m1", want.RecipientID)
		if err != nil {
			t.Fatalf("GetReceipt(%s): %v", want.RecipientID, err)
		}
		same(t, "receipt for "+want.RecipientID, got, want)
	}
}

func testReceiptNotFound(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedContact(t, s, newContact("i1", "c2"))
	putReceipts(t, s, store.Receipt{ContactID: "c1", MessageID: "m1", RecipientID: "p2", DeliveredAt: t0})
	cases := []struct{ name, contact, message, recipient string }{
		{"other recipient", "c1", "m1", "p3"},
		{"other message", "c1", "m2", "p2"},
		{"other contact", "c2", "m1", "p2"},
	}
	for _, tc := range cases {
		_, err := getReceipt(t, s, tc.contact, tc.message, tc.recipient)
		wantErr(t, "GetReceipt, "+tc.name, err, store.ErrNotFound)
	}
}

func testReceiptList(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedContact(t, s, newContact("i1", "c2"))
	rs := []store.Receipt{
		{ContactID: "c1", MessageID: "m1", RecipientID: "p2", DeliveredAt: t0, ReadAt: t0.Add(time.Second)},
		{ContactID: "c1", MessageID: "m1", RecipientID: "p3", DeliveredAt: t0},
		{ContactID: "c1", MessageID: "m2", RecipientID: "p2", DeliveredAt: t0},
		{ContactID: "c1", MessageID: "m3", RecipientID: "p1", ReadAt: t0},
		{ContactID: "c2", MessageID: "m1", RecipientID: "p2", DeliveredAt: t0}, // same message ID, other contact
	}
	putReceipts(t, s, rs...)

	cases := []struct {
		name string
		ids  []string
		want []store.Receipt
	}{
		{"two of three messages", []string{"m3", "m1", "unknown"}, []store.Receipt{rs[0], rs[1], rs[3]}},
		{"one message", []string{"m2"}, []store.Receipt{rs[2]}},
		{"unknown message", []string{"unknown"}, nil},
		{"no message IDs", nil, nil},
	}
	for _, tc := range cases {
		got, err := s.ListReceipts(t.Context(), "c1", tc.ids)
		if err != nil {
			t.Errorf("ListReceipts(%s): %v", tc.name, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ListReceipts(%s): got %d receipts %+v, want %d", tc.name, len(got), got, len(tc.want))
			continue
		}
		// The port promises no order.
		byKey := func(a, b store.Receipt) int {
			return cmp.Or(cmp.Compare(a.MessageID, b.MessageID), cmp.Compare(a.RecipientID, b.RecipientID))
		}
		slices.SortFunc(got, byKey)
		for i := range got {
			same(t, "ListReceipts("+tc.name+")", got[i], tc.want[i])
		}
	}
}
