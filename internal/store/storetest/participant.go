package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var participantTests = []test{
	{"InsertThenGetEveryField", testParticipantRoundTrip},
	{"ListInInsertionOrder", testParticipantListOrder},
	{"UpdateSavesMutableFields", testParticipantUpdate},
	{"UnknownIsNotFound", testParticipantNotFound},
	{"DuplicateID", testParticipantDuplicateID},
}

func testParticipantRoundTrip(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	want := newParticipant(c, "p1", store.RoleCustomer)
	invited := newParticipant(c, "p2", store.RoleAgent)
	invited.State, invited.ConnectedAt, invited.LastActiveAt = store.ParticipantInvited, time.Time{}, time.Time{}
	write(t, s, func(tx store.Tx) error {
		if err := tx.InsertParticipant(want); err != nil {
			return err
		}
		return tx.InsertParticipant(invited)
	})

	for _, w := range []store.Participant{want, invited} {
		got, err := s.GetParticipant(t.Context(), w.ID)
		if err != nil {
			t.Fatalf("GetParticipant(%s): %v", w.ID, err)
		}
		same(t, "participant "+w.ID, got, w)
		write(t, s, func(tx store.Tx) error {
			got, err := tx.GetParticipant(w.ID)
			if err != nil {
				return err
			}
			same(t, "participant "+w.ID+" in Tx", got, w)
			return nil
		})
	}
}

func testParticipantListOrder(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	other := seedContact(t, s, newContact("i1", "c2"))
	// Neither alphabetical nor by role, and interleaved with another contact.
	order := []string{"p-c", "p-a", "p-b"}
	for _, id := range order {
		write(t, s, func(tx store.Tx) error {
			if err := tx.InsertParticipant(newParticipant(c, id, store.RoleAgent)); err != nil {
				return err
			}
			return tx.InsertParticipant(newParticipant(other, id+"-other", store.RoleAgent))
		})
	}
	ids := func(ps []store.Participant) []string {
		var out []string
		for _, p := range ps {
			out = append(out, p.ID)
		}
		return out
	}

	got, err := s.ListParticipants(t.Context(), "c1")
	if err != nil || !slices.Equal(ids(got), order) {
		t.Errorf("ListParticipants: got %v, %v; want %v", ids(got), err, order)
	}
	write(t, s, func(tx store.Tx) error {
		got, err := tx.ListParticipants("c1")
		if err != nil || !slices.Equal(ids(got), order) {
			t.Errorf("Tx.ListParticipants: got %v, %v; want %v", ids(got), err, order)
		}
		return nil
	})
	if len(got) > 0 {
		same(t, "listed participant", got[0], newParticipant(c, "p-c", store.RoleAgent))
	}

	got, err = s.ListParticipants(t.Context(), "nope")
	if err != nil || len(got) != 0 {
		t.Errorf("ListParticipants of an unknown contact: got %v, %v; want none and no error", ids(got), err)
	}
}

func testParticipantUpdate(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	p := newParticipant(c, "p1", store.RoleSupervisor)
	p.State, p.ConnectedAt, p.LastActiveAt, p.Hidden = store.ParticipantInvited, time.Time{}, time.Time{}, true
	write(t, s, func(tx store.Tx) error { return tx.InsertParticipant(p) })
	if got, err := s.GetParticipant(t.Context(), "p1"); err != nil || !got.Hidden {
		t.Fatalf("GetParticipant of a hidden participant: got %+v, %v", got, err)
	}

	steps := []struct {
		name   string
		change func(p *store.Participant)
	}{
		{"connect", func(p *store.Participant) {
			p.State, p.ConnectedAt, p.LastActiveAt = store.ParticipantConnected, t0.Add(time.Minute), t0.Add(time.Minute)
		}},
		{"send", func(p *store.Participant) { p.LastActiveAt = t0.Add(2 * time.Minute) }},
		{"barge", func(p *store.Participant) { p.Hidden = false }},
		{"leave", func(p *store.Participant) { p.State, p.LeftAt = store.ParticipantLeft, t0.Add(3*time.Minute) }},
	}
	for _, step := range steps {
		step.change(&p)
		changed := p
		changed.Role, changed.DisplayName, changed.CreatedAt = store.RoleAgent, "renamed", t0.Add(time.Hour) // immutable
		write(t, s, func(tx store.Tx) error { return tx.UpdateParticipant(changed) })
		got, err := s.GetParticipant(t.Context(), "p1")
		if err != nil {
			t.Fatalf("GetParticipant after %s: %v", step.name, err)
		}
		same(t, "participant after "+step.name, got, p)
	}
}

func testParticipantNotFound(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	_, err := s.GetParticipant(t.Context(), "nope")
	wantErr(t, "GetParticipant", err, store.ErrNotFound)
	write(t, s, func(tx store.Tx) error {
		_, err := tx.GetParticipant("nope")
		wantErr(t, "Tx.GetParticipant", err, store.ErrNotFound)
		wantErr(t, "UpdateParticipant", tx.UpdateParticipant(newParticipant(c, "nope", store.RoleAgent)), store.ErrNotFound)
		return nil
	})
}

func testParticipantDuplicateID(t *testing.T, s store.Store) {
	c := seedContact(t, s, newContact("i1", "c1"))
	write(t, s, func(tx store.Tx) error { return tx.InsertParticipant(newParticipant(c, "p1", store.RoleCustomer)) })
	err := s.Write(t.Context(), func(tx store.Tx) error {
		return tx.InsertParticipant(newParticipant(c, "p1", store.RoleAgent))
	})
	wantErr(t, "InsertParticipant of an existing ID", err, store.ErrDuplicate)
	got, err := s.GetParticipant(t.Context(), "p1")
	if err != nil || got.Role != store.RoleCustomer {
		t.Errorf("GetParticipant after duplicate insert: got role %q, %v; want CUSTOMER", got.Role, err)
	}
}
