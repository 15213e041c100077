package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var instanceTests = []test{
	{"CreateThenGet", testInstanceCreateThenGet},
	{"ListOldestFirst", testInstanceListOldestFirst},
	{"UnknownIsNotFound", testInstanceUnknownIsNotFound},
	{"FlowOfOtherInstanceIsNotFound", testInstanceFlowOfOtherInstance},
	{"DuplicateID", testInstanceDuplicateID},
	{"CreateIsAtomic", testInstanceCreateIsAtomic},
	{"ActiveChatsCount", testInstanceActiveChats},
}

func testInstanceActiveChats(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	add := func(instanceID string, delta int) (int, error) {
		var n int
		err := s.Write(t.Context(), func(tx store.Tx) error {
			var err error
			n, err = tx.AddActiveChats(instanceID, delta)
			return err
		})
		return n, err
	}
	for i, step := range []struct {
		instance string
		delta    int
		want     int
	}{{"i1", 1, 1}, {"i1", 1, 2}, {"i2", 1, 1}, {"i1", -1, 1}, {"i1", 0, 1}} {
		if n, err := add(step.instance, step.delta); err != nil || n != step.want {
			t.Fatalf("step %d: AddActiveChats(%s, %d) = %d, %v; want %d", i, step.instance, step.delta, n, err, step.want)
		}
	}
	if _, err := add("nope", 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AddActiveChats on an unknown instance: %v, want ErrNotFound", err)
	}
	// A rolled-back change does not count.
	boom := errors.New("boom")
	err := s.Write(t.Context(), func(tx store.Tx) error {
		if _, err := tx.AddActiveChats("i1", 5); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write: %v", err)
	}
	if n, _ := add("i1", 0); n != 1 {
		t.Fatalf("after a rollback the count is %d, want 1", n)
	}
}

func testInstanceCreateThenGet(t *testing.T, s store.Store) {
	ni := seedInstance(t, s, "i1")
	ctx := t.Context()

	in, err := s.GetInstance(ctx, "i1")
	if err != nil {
		t.Fatalf("GetInstance: %v", err)
	}
	same(t, "instance", in, ni.Instance)

	k, err := s.GetAccessKey(ctx, ni.AccessKey.ID)
	if err != nil {
		t.Fatalf("GetAccessKey: %v", err)
	}
	same(t, "access key", k, ni.AccessKey)

	for _, want := range ni.Flows {
		f, err := s.GetContactFlow(ctx, "i1", want.ID)
		if err != nil {
			t.Fatalf("GetContactFlow(%s): %v", want.ID, err)
		}
		same(t, "flow "+want.ID, f, want)
	}

	// Every resource belongs to the new instance, whatever it said.
	for _, want := range ni.Resources {
		want.InstanceID = "i1"
		r, err := s.GetResource(ctx, "i1", want.Kind, want.ID)
		if err != nil {
			t.Fatalf("GetResource(%s %s): %v", want.Kind, want.ID, err)
		}
		same(t, "resource "+want.ID, r, want)
	}
	_, err = s.GetResource(ctx, "elsewhere", store.KindRoutingProfile, "i1-rp")
	wantErr(t, "GetResource from the instance the resource named", err, store.ErrNotFound)
}

func testInstanceListOldestFirst(t *testing.T, s store.Store) {
	ctx := t.Context()
	if got, err := s.ListInstances(ctx); err != nil || len(got) != 0 {
		t.Fatalf("ListInstances on an empty store: got %v, %v; want none", got, err)
	}
	// Inserted in an order that is neither creation order nor ID order.
	created := map[string]time.Time{"b": t0, "c": t0.Add(-time.Hour), "a": t0.Add(time.Hour)}
	for _, id := range []string{"b", "a", "c"} {
		ni := newInstance(id)
		ni.Instance.CreatedAt = created[id]
		write(t, s, func(tx store.Tx) error { return tx.CreateInstance(ni) })
	}
	got, err := s.ListInstances(ctx)
	if err != nil {
		t.Fatalf("ListInstances: %v", err)
	}
	var ids []string
	for _, in := range got {
		ids = append(ids, in.ID)
	}
	if want := []string{"c", "b", "a"}; !slices.Equal(ids, want) {
		t.Fatalf("ListInstances: got %v, want %v", ids, want)
	}
	for _, in := range got {
		checkTime(t, "instance "+in.ID+" CreatedAt", in.CreatedAt, created[in.ID])
	}
}

func testInstanceUnknownIsNotFound(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	cases := []struct {
		name string
		call func() error
	}{
		{"GetInstance", func() error { _, err := s.GetInstance(ctx, "nope"); return err }},
		{"GetAccessKey", func() error { _, err := s.GetAccessKey(ctx, "AKPAnope"); return err }},
		{"GetContactFlow", func() error { _, err := s.GetContactFlow(ctx, "i1", "nope"); return err }},
		{"GetContactFlow of unknown instance", func() error { _, err := s.GetContactFlow(ctx, "nope", "i1-f1"); return err }},
	}
	for _, c := range cases {
		wantErr(t, c.name, c.call(), store.ErrNotFound)
	}
}

func testInstanceFlowOfOtherInstance(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	_, err := s.GetContactFlow(t.Context(), "i2", "i1-f1")
	wantErr(t, "GetContactFlow(i2, flow of i1)", err, store.ErrNotFound)
}

func testInstanceDuplicateID(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	again := newInstance("i1")
	again.Instance.Alias = "other"
	again.AccessKey.ID = "AKPAother"
	err := s.Write(t.Context(), func(tx store.Tx) error { return tx.CreateInstance(again) })
	wantErr(t, "CreateInstance of an existing ID", err, store.ErrDuplicate)

	in, err := s.GetInstance(t.Context(), "i1")
	if err != nil || in.Alias != "alias-i1" {
		t.Errorf("GetInstance after duplicate create: got %+v, %v; want the first instance", in, err)
	}
	_, err = s.GetAccessKey(t.Context(), "AKPAother")
	wantErr(t, "GetAccessKey of the failed create", err, store.ErrNotFound)
}

func testInstanceCreateIsAtomic(t *testing.T, s store.Store) {
	cases := []struct {
		name  string
		spoil func(ni *store.NewInstance)
	}{
		{"two flows of one ID", func(ni *store.NewInstance) { ni.Flows[1].ID = ni.Flows[0].ID }},
		{"two queues of one name", func(ni *store.NewInstance) { ni.Resources[2].Name = ni.Resources[1].Name }},
		{"two queues of one ID", func(ni *store.NewInstance) { ni.Resources[2].ID = ni.Resources[1].ID }},
	}
	for _, tc := range cases {
		ni := newInstance("i1")
		tc.spoil(&ni) // fails after the instance row went in
		err := s.Write(t.Context(), func(tx store.Tx) error { return tx.CreateInstance(ni) })
		if !errors.Is(err, store.ErrDuplicate) {
			t.Errorf("CreateInstance with %s: got %v, want ErrDuplicate", tc.name, err)
		}
		_, err = s.GetInstance(t.Context(), "i1")
		wantErr(t, tc.name+": GetInstance after failed create", err, store.ErrNotFound)
		_, err = s.GetAccessKey(t.Context(), ni.AccessKey.ID)
		wantErr(t, tc.name+": GetAccessKey after failed create", err, store.ErrNotFound)
		_, err = s.GetResource(t.Context(), "i1", store.KindUser, "i1-admin")
		wantErr(t, tc.name+": GetResource after failed create", err, store.ErrNotFound)
	}
}
