package storetest

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var contactTests = []test{
	{"InsertThenGetEveryField", testContactRoundTrip},
	{"LockReturnsEveryField", testContactLockRoundTrip},
	{"EmptyCollections", testContactEmptyCollections},
	{"UpdateSavesMutableFields", testContactUpdateMutable},
	{"UpdateKeepsImmutableFields", testContactUpdateKeepsImmutable},
	{"UnknownOrOtherInstanceIsNotFound", testContactNotFound},
	{"DuplicateID", testContactDuplicateID},
	{"HasContinuation", testContactHasContinuation},
}

func testContactRoundTrip(t *testing.T, s store.Store) {
	want := seedContact(t, s, newContact("i1", "c1"))
	got, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	same(t, "contact", got, want)
}

func testContactLockRoundTrip(t *testing.T, s store.Store) {
	want := seedContact(t, s, newContact("i1", "c1"))
	write(t, s, func(tx store.Tx) error {
		got, err := tx.LockContact("i1", "c1")
		if err != nil {
			return err
		}
		same(t, "locked contact", got, want)
		return nil
	})
}

func testContactEmptyCollections(t *testing.T, s store.Store) {
	c := newContact("i1", "c1")
	c.Attributes, c.SupportedContentTypes, c.DisconnectOnCustomerExit = nil, nil, []string{}
	c.ParticipantTimers, c.SegmentAttributes, c.ChatDuration = "", "", 0
	seedContact(t, s, c)
	got, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	same(t, "contact", got, c)
}

func testContactUpdateMutable(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	c.State = store.ContactEnded
	c.Attributes = map[string]string{"customerName": "Jane Doe", "new": "1"} // one changed, one gone, one added
	c.DisconnectedAt = t0.Add(time.Hour)
	c.DisconnectReason = "CUSTOMER_DISCONNECT"
	c.LastUpdatedAt = t0.Add(time.Hour)
	c.ParticipantTimers = `[]`
	write(t, s, func(tx store.Tx) error { return tx.UpdateContact(c) })

	got, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	same(t, "updated contact", got, c)
}

func testContactUpdateKeepsImmutable(t *testing.T, s store.Store) {
	want := seedContact(t, s, newContact("i1", "c1"))
	appendItems(t, s, "c1", "m", 2)
	want.LastSeq = 2

	changed := want
	changed.InitialContactID, changed.PreviousContactID, changed.RelatedContactID = "x", "x", "x"
	changed.ContinuedFromID, changed.Channel, changed.InitiationMethod = "x", "TASK", "TRANSFER"
	changed.FlowID, changed.SegmentAttributes, changed.CustomerID = "x", "{}", "x"
	changed.SupportedContentTypes, changed.DisconnectOnCustomerExit = []string{"x"}, nil
	changed.ChatDuration, changed.InitiatedAt = time.Hour, t0.Add(time.Hour)
	changed.LastSeq = 99 // the store's to manage
	write(t, s, func(tx store.Tx) error { return tx.UpdateContact(changed) })

	got, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil {
		t.Fatalf("GetContact: %v", err)
	}
	same(t, "contact after updating immutable fields", got, want)
}

func testContactNotFound(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	seedInstance(t, s, "i2")
	ctx := t.Context()
	cases := []struct {
		name                  string
		instanceID, contactID string
	}{
		{"unknown contact", "i1", "nope"},
		{"other instance", "i2", "c1"},
		{"unknown instance", "nope", "c1"},
	}
	for _, tc := range cases {
		_, err := s.GetContact(ctx, tc.instanceID, tc.contactID)
		wantErr(t, "GetContact, "+tc.name, err, store.ErrNotFound)

		write(t, s, func(tx store.Tx) error {
			_, err := tx.LockContact(tc.instanceID, tc.contactID)
			wantErr(t, "LockContact, "+tc.name, err, store.ErrNotFound)
			c := newContact(tc.instanceID, tc.contactID)
			c.State = store.ContactEnded
			wantErr(t, "UpdateContact, "+tc.name, tx.UpdateContact(c), store.ErrNotFound)
			return nil
		})
	}
	got, err := s.GetContact(ctx, "i1", "c1")
	if err != nil || got.State != store.ContactActive {
		t.Errorf("contact after UpdateContact from another instance: got state %q, %v; want ACTIVE", got.State, err)
	}
}

func testContactDuplicateID(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "c1"))
	again := newContact("i1", "c1")
	again.CustomerID = "other"
	err := s.Write(t.Context(), func(tx store.Tx) error { return tx.InsertContact(again) })
	wantErr(t, "InsertContact of an existing ID", err, store.ErrDuplicate)

	got, err := s.GetContact(t.Context(), "i1", "c1")
	if err != nil || got.CustomerID != "cust-c1" {
		t.Errorf("GetContact after duplicate insert: got CustomerID %q, %v; want the first contact's", got.CustomerID, err)
	}
}

func testContactHasContinuation(t *testing.T, s store.Store) {
	seedContact(t, s, newContact("i1", "old"))
	seedContact(t, s, newContact("i1", "unrelated"))
	next := newContact("i1", "new")
	next.ContinuedFromID, next.RelatedContactID = "old", "old"
	seedContact(t, s, next)

	cases := []struct {
		source string
		want   bool
	}{
		{"old", true},
		{"new", false},
		{"unrelated", false},
		{"nope", false},
		{"", false},
	}
	write(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			got, err := tx.HasContinuation(tc.source)
			if err != nil || got != tc.want {
				t.Errorf("HasContinuation(%q): got %v, %v; want %v", tc.source, got, err, tc.want)
			}
		}
		return nil
	})
}
