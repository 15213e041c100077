package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var routingTests = []test{
	{"ResourcePutGetList", testResourcePutGetList},
	{"ResourcePutReplaces", testResourcePutReplaces},
	{"ResourceDuplicateNameKeepsTxUsable", testResourceDuplicateName},
	{"ResourceDelete", testResourceDelete},
	{"InstanceScoping", testRoutingInstanceScoping},
	{"AgentPutGetList", testAgentPutGetList},
	{"ContactRoutingPutGet", testContactRoutingPutGet},
	{"ListQueuedServiceOrder", testListQueuedOrder},
	{"CountQueued", testCountQueued},
	{"ListContactRoutingsByState", testListContactRoutings},
	{"AssignmentPutGet", testAssignmentPutGet},
	{"ListAssignmentsFilters", testListAssignments},
	{"SessionInsertLookupDelete", testSessionInsertLookupDelete},
	{"DeleteExpiredSessions", testSessionDeleteExpired},
	{"TimesKeepMicroseconds", testRoutingMicroseconds},
	{"TxReadsItsOwnWrites", testRoutingTxReadsOwnWrites},
	{"LockRoutingSerialises", testLockRoutingSerialises},
}

// newResource is a resource with every field set and a JSON body that
// names it.
func newResource(instanceID, kind, id, name string) store.Resource {
	body, err := json.Marshal(map[string]any{"Id": id, "Name": name, "Tags": map[string]string{"ünï": "cödé"}})
	if err != nil {
		panic(err)
	}
	return store.Resource{
		InstanceID: instanceID, Kind: kind, ID: id, Name: name, Body: body,
		CreatedAt: t0, UpdatedAt: t0.Add(time.Second),
	}
}

// newAgent is the routing state of a user with every field set.
func newAgent(instanceID, userID string) store.Agent {
	return store.Agent{
		InstanceID:       instanceID,
		UserID:           userID,
		RoutingProfileID: instanceID + "-rp",
		StatusID:         "status-available",
		StatusName:       "Available",
		Routable:         true,
		StatusSince:      t0,
		LastRoutedAt:     t0.Add(time.Second),
		ChatSlots:        3,
		ChatsUsed:        1,
		UpdatedAt:        t0.Add(2 * time.Second),
	}
}

// newContactRouting is a contact queued in queueID with every field set
// but DequeuedAt.
func newContactRouting(instanceID, contactID, queueID string) store.ContactRouting {
	return store.ContactRouting{
		InstanceID:      instanceID,
		ContactID:       contactID,
		State:           store.RoutingQueued,
		QueueID:         queueID,
		TargetUserID:    "",
		Priority:        5,
		RankAt:          t0,
		EnqueuedAt:      t0,
		AgentID:         "",
		PreviousAgentID: "u-before",
		Transfers:       `[{"QueueId":"q0","At":"2026-03-04T00:00:00Z"}]`,
		UpdatedAt:       t0.Add(time.Second),
	}
}

// newAssignment is an offer of contactID to userID with every field set.
func newAssignment(instanceID, id, contactID, userID, state string, offered time.Time) store.Assignment {
	return store.Assignment{
		ID:            id,
		InstanceID:    instanceID,
		ContactID:     contactID,
		UserID:        userID,
		QueueID:       instanceID + "-q1",
		State:         state,
		ParticipantID: "p-" + id,
		OfferedAt:     offered,
		ExpiresAt:     offered.Add(30 * time.Second),
		AcceptedAt:    offered.Add(time.Second),
		ConnectedAt:   offered.Add(2 * time.Second),
		ACWStartedAt:  offered.Add(time.Minute),
		EndedAt:       offered.Add(2 * time.Minute),
		UpdatedAt:     offered.Add(2 * time.Minute),
	}
}

// newSession is the session of cookie value with every field set.
func newSession(value, instanceID, userID string, expires time.Time) store.Session {
	return store.Session{
		Hash: hash(value), InstanceID: instanceID, UserID: userID,
		CSRF: "csrf-" + value, CreatedAt: t0, ExpiresAt: expires,
	}
}

// put runs one Write of routing records that must succeed.
func put(t *testing.T, s store.Store, records ...any) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for _, r := range records {
			var err error
			switch r := r.(type) {
			case store.Resource:
				err = tx.PutResource(r)
			case store.Agent:
				err = tx.PutAgent(r)
			case store.ContactRouting:
				err = tx.PutContactRouting(r)
			case store.Assignment:
				err = tx.PutAssignment(r)
			case store.Session:
				err = tx.InsertSession(r)
			default:
				err = fmt.Errorf("put: unknown record %T", r)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func resourceIDs(rs []store.Resource) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func contactIDs(rs []store.ContactRouting) []string {
	out := []string{}
	for _, r := range rs {
		out = append(out, r.ContactID)
	}
	return out
}

func assignmentIDs(as []store.Assignment) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func testResourcePutGetList(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1") // has queues BasicQueue (i1-q1) and Sales (i1-q2)
	ctx := t.Context()
	added := []store.Resource{
		newResource("i1", store.KindQueue, "q-z", "Zeta"),
		newResource("i1", store.KindQueue, "q-a", "alpha"),
		newResource("i1", store.KindQueue, "q-b", "Beta"),
		// Names are unique per kind only.
		newResource("i1", store.KindRoutingProfile, "rp-sales", "Sales"),
	}
	added[1].Body = []byte("{\n  \"Name\": \"alpha\",  \"Raw\": \"\\u00e9\" }") // kept byte for byte
	put(t, s, added[0], added[1], added[2], added[3])

	for _, want := range added {
		got, err := s.GetResource(ctx, "i1", want.Kind, want.ID)
		if err != nil {
			t.Fatalf("GetResource(%s): %v", want.ID, err)
		}
		same(t, "resource "+want.ID, got, want)
		got, err = s.GetResourceByName(ctx, "i1", want.Kind, want.Name)
		if err != nil {
			t.Fatalf("GetResourceByName(%s): %v", want.Name, err)
		}
		same(t, "resource named "+want.Name, got, want)
	}

	// By name, byte by byte: upper case before lower case.
	got, err := s.ListResources(ctx, "i1", store.KindQueue)
	if err != nil {
		t.Fatalf("ListResources: %v", err)
	}
	if ids, want := resourceIDs(got), []string{"i1-q1", "q-b", "i1-q2", "q-z", "q-a"}; !slices.Equal(ids, want) {
		t.Errorf("ListResources(queue): got %v, want %v", ids, want)
	}
	if got, err := s.ListResources(ctx, "i1", store.KindHours); err != nil || len(got) != 0 {
		t.Errorf("ListResources of a kind with none: got %v, %v; want none", resourceIDs(got), err)
	}

	cases := []struct {
		name string
		call func() error
	}{
		{"GetResource of an unknown ID", func() error {
			_, err := s.GetResource(ctx, "i1", store.KindQueue, "nope")
			return err
		}},
		{"GetResource of the wrong kind", func() error {
			_, err := s.GetResource(ctx, "i1", store.KindUser, "q-z")
			return err
		}},
		{"GetResourceByName of an unknown name", func() error {
			_, err := s.GetResourceByName(ctx, "i1", store.KindQueue, "nope")
			return err
		}},
		{"GetResourceByName is case-sensitive", func() error {
			_, err := s.GetResourceByName(ctx, "i1", store.KindQueue, "zeta")
			return err
		}},
	}
	for _, c := range cases {
		wantErr(t, c.name, c.call(), store.ErrNotFound)
	}
}

func testResourcePutReplaces(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	first := newResource("i1", store.KindQueue, "q", "Support")
	put(t, s, first)

	second := newResource("i1", store.KindQueue, "q", "Help desk")
	second.Body = []byte(`{"Id":"q","Name":"Help desk","Status":"DISABLED"}`)
	second.CreatedAt = t0.Add(-time.Hour)
	second.UpdatedAt = t0.Add(time.Hour)
	put(t, s, second)

	got, err := s.GetResource(ctx, "i1", store.KindQueue, "q")
	if err != nil {
		t.Fatalf("GetResource: %v", err)
	}
	same(t, "replaced resource", got, second)
	_, err = s.GetResourceByName(ctx, "i1", store.KindQueue, "Support")
	wantErr(t, "GetResourceByName of the old name", err, store.ErrNotFound)
	if _, err := s.GetResourceByName(ctx, "i1", store.KindQueue, "Help desk"); err != nil {
		t.Errorf("GetResourceByName of the new name: %v", err)
	}
	all, err := s.ListResources(ctx, "i1", store.KindQueue)
	if err != nil || len(all) != 3 { // BasicQueue, Sales and this one
		t.Errorf("ListResources after a replace: got %v, %v; want 3 queues", resourceIDs(all), err)
	}

	// The old name is free again.
	put(t, s, newResource("i1", store.KindQueue, "q-new", "Support"))
}

func testResourceDuplicateName(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	write(t, s, func(tx store.Tx) error {
		err := tx.PutResource(newResource("i1", store.KindQueue, "q-other", "Sales")) // i1-q2's name
		wantErr(t, "PutResource with another queue's name", err, store.ErrDuplicate)
		// The transaction carries on.
		if err := tx.PutResource(newResource("i1", store.KindQueue, "q-other", "Sales 2")); err != nil {
			return fmt.Errorf("PutResource after the duplicate: %w", err)
		}
		if _, err := tx.GetResource("i1", store.KindQueue, "q-other"); err != nil {
			return fmt.Errorf("GetResource after the duplicate: %w", err)
		}
		return nil
	})

	got, err := s.GetResourceByName(ctx, "i1", store.KindQueue, "Sales")
	if err != nil || got.ID != "i1-q2" {
		t.Errorf("GetResourceByName(Sales): got %q, %v; want i1-q2 untouched", got.ID, err)
	}
	if _, err := s.GetResource(ctx, "i1", store.KindQueue, "q-other"); err != nil {
		t.Errorf("GetResource of the resource put after the duplicate: %v", err)
	}

	// Renaming onto a taken name fails too, and leaves both as they were.
	err = s.Write(ctx, func(tx store.Tx) error {
		return tx.PutResource(newResource("i1", store.KindQueue, "i1-q1", "Sales"))
	})
	wantErr(t, "PutResource renaming onto a taken name", err, store.ErrDuplicate)
	if got, err := s.GetResource(ctx, "i1", store.KindQueue, "i1-q1"); err != nil || got.Name != "BasicQueue" {
		t.Errorf("GetResource(i1-q1) after the failed rename: got %q, %v; want BasicQueue", got.Name, err)
	}
}

func testResourceDelete(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	deleteRes := func(instanceID, kind, id string) error {
		return s.Write(ctx, func(tx store.Tx) error { return tx.DeleteResource(instanceID, kind, id) })
	}
	wantErr(t, "DeleteResource of another kind", deleteRes("i1", store.KindUser, "i1-q2"), store.ErrNotFound)
	wantErr(t, "DeleteResource", deleteRes("i1", store.KindQueue, "i1-q2"), nil)
	_, err := s.GetResource(ctx, "i1", store.KindQueue, "i1-q2")
	wantErr(t, "GetResource after DeleteResource", err, store.ErrNotFound)
	_, err = s.GetResourceByName(ctx, "i1", store.KindQueue, "Sales")
	wantErr(t, "GetResourceByName after DeleteResource", err, store.ErrNotFound)
	wantErr(t, "DeleteResource again", deleteRes("i1", store.KindQueue, "i1-q2"), store.ErrNotFound)
	if _, err := s.GetResource(ctx, "i1", store.KindQueue, "i1-q1"); err != nil {
		t.Errorf("GetResource of the other queue: %v", err)
	}
}

func testRoutingInstanceScoping(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	ctx := t.Context()
	cr := newContactRouting("i1", "c1", "q1")
	as := newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, t0)
	put(t, s, newAgent("i1", "u1"), cr, as, newResource("i1", store.KindQueue, "q1", "Only in i1"))

	reads := []struct {
		name string
		err  func() error
	}{
		{"GetResource", func() error { _, err := s.GetResource(ctx, "i2", store.KindQueue, "q1"); return err }},
		{"GetResourceByName", func() error {
			_, err := s.GetResourceByName(ctx, "i2", store.KindQueue, "Only in i1")
			return err
		}},
		{"GetAgent", func() error { _, err := s.GetAgent(ctx, "i2", "u1"); return err }},
		{"GetContactRouting", func() error { _, err := s.GetContactRouting(ctx, "i2", "c1"); return err }},
	}
	for _, r := range reads {
		wantErr(t, r.name+" from another instance", r.err(), store.ErrNotFound)
	}
	if rs, err := s.ListResources(ctx, "i2", store.KindQueue); err != nil || slices.Contains(resourceIDs(rs), "q1") {
		t.Errorf("ListResources(i2): got %v, %v; want i2's queues only", resourceIDs(rs), err)
	}
	if got, err := s.ListAgents(ctx, "i2"); err != nil || len(got) != 0 {
		t.Errorf("ListAgents(i2): got %d agents, %v; want none", len(got), err)
	}
	all := []string{store.RoutingQueued, store.RoutingOffered, store.RoutingConnected, store.RoutingDone}
	if got, err := s.ListContactRoutings(ctx, "i2", all); err != nil || len(got) != 0 {
		t.Errorf("ListContactRoutings(i2): got %v, %v; want none", contactIDs(got), err)
	}
	for _, q := range []store.AssignmentQuery{
		{InstanceID: "i2", UserID: "u1"}, {InstanceID: "i2", ContactID: "c1"}, {InstanceID: "i2"},
	} {
		if got, err := s.ListAssignments(ctx, q); err != nil || len(got) != 0 {
			t.Errorf("ListAssignments(%+v): got %v, %v; want none", q, assignmentIDs(got), err)
		}
	}

	write(t, s, func(tx store.Tx) error {
		_, err := tx.GetAssignment("i2", "a1")
		wantErr(t, "Tx.GetAssignment from another instance", err, store.ErrNotFound)
		_, err = tx.GetAgent("i2", "u1")
		wantErr(t, "Tx.GetAgent from another instance", err, store.ErrNotFound)
		_, err = tx.GetContactRouting("i2", "c1")
		wantErr(t, "Tx.GetContactRouting from another instance", err, store.ErrNotFound)
		_, err = tx.GetResource("i2", store.KindQueue, "q1")
		wantErr(t, "Tx.GetResource from another instance", err, store.ErrNotFound)
		if got, err := tx.ListQueued("i2", map[string]int{"q1": 10}); err != nil || len(got["q1"]) != 0 {
			t.Errorf("Tx.ListQueued(i2): got %v, %v; want none", contactIDs(got["q1"]), err)
		}
		if n, err := tx.CountQueued("i2", "q1"); err != nil || n != 0 {
			t.Errorf("Tx.CountQueued(i2): got %d, %v; want 0", n, err)
		}
		err = tx.DeleteResource("i2", store.KindQueue, "q1")
		wantErr(t, "Tx.DeleteResource from another instance", err, store.ErrNotFound)

		// Contact and assignment IDs are unique across instances: another
		// instance's record of the same ID is not replaced.
		hijack := cr
		hijack.InstanceID, hijack.State = "i2", store.RoutingDone
		wantErr(t, "PutContactRouting of another instance's contact", tx.PutContactRouting(hijack), store.ErrDuplicate)
		other := as
		other.InstanceID, other.State = "i2", store.AssignmentCancelled
		wantErr(t, "PutAssignment of another instance's ID", tx.PutAssignment(other), store.ErrDuplicate)
		return nil
	})
	if got, err := s.GetContactRouting(ctx, "i1", "c1"); err != nil {
		t.Errorf("GetContactRouting(i1) after the attempt from i2: %v", err)
	} else {
		same(t, "contact routing after the attempt from i2", got, cr)
	}
	got, err := s.ListAssignments(ctx, store.AssignmentQuery{InstanceID: "i1", ContactID: "c1"})
	if err != nil || len(got) != 1 {
		t.Fatalf("ListAssignments(i1, c1): got %v, %v; want a1", assignmentIDs(got), err)
	}
	same(t, "assignment after the attempt from i2", got[0], as)
	if _, err := s.GetResource(ctx, "i1", store.KindQueue, "q1"); err != nil {
		t.Errorf("GetResource(i1) after the delete from i2: %v", err)
	}
}

func testAgentPutGetList(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	agents := []store.Agent{newAgent("i1", "u2"), newAgent("i1", "u1"), newAgent("i1", "u3")}
	// A user who never routed: zero times, not routable.
	agents[2].Routable, agents[2].StatusID, agents[2].StatusName = false, "", "Offline"
	agents[2].StatusSince, agents[2].LastRoutedAt = time.Time{}, time.Time{}
	put(t, s, agents[0], agents[1], agents[2])

	for _, want := range agents {
		got, err := s.GetAgent(ctx, "i1", want.UserID)
		if err != nil {
			t.Fatalf("GetAgent(%s): %v", want.UserID, err)
		}
		same(t, "agent "+want.UserID, got, want)
	}
	_, err := s.GetAgent(ctx, "i1", "nobody")
	wantErr(t, "GetAgent of an unknown user", err, store.ErrNotFound)

	changed := agents[0]
	changed.Routable, changed.StatusName, changed.ChatsUsed, changed.ChatSlots = false, "Missed", 0, 2
	changed.StatusSince = t0.Add(time.Hour)
	put(t, s, changed)

	got, err := s.ListAgents(ctx, "i1")
	if err != nil {
		t.Fatalf("ListAgents: %v", err)
	}
	if len(got) != 3 {
		t.Fatalf("ListAgents: got %d agents, want 3", len(got))
	}
	byUser := map[string]store.Agent{changed.UserID: changed, agents[1].UserID: agents[1], agents[2].UserID: agents[2]}
	for _, a := range got {
		same(t, "listed agent "+a.UserID, a, byUser[a.UserID])
	}
}

func testContactRoutingPutGet(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	want := newContactRouting("i1", "c1", "i1-q1")
	put(t, s, want)
	got, err := s.GetContactRouting(ctx, "i1", "c1")
	if err != nil {
		t.Fatalf("GetContactRouting: %v", err)
	}
	same(t, "queued contact", got, want)

	// Offered to an agent, then back in another queue: each put replaces.
	steps := []func(r *store.ContactRouting){
		func(r *store.ContactRouting) {
			r.State, r.AgentID, r.DequeuedAt = store.RoutingOffered, "u1", t0.Add(time.Minute)
		},
		func(r *store.ContactRouting) {
			r.State, r.QueueID, r.TargetUserID, r.Priority = store.RoutingQueued, "i1-q2", "u2", 1
			r.AgentID, r.PreviousAgentID, r.DequeuedAt = "", "u1", time.Time{}
			r.RankAt, r.EnqueuedAt = t0.Add(-time.Hour), t0.Add(2*time.Minute)
			r.Transfers = `[]`
		},
	}
	for i, step := range steps {
		step(&want)
		want.UpdatedAt = want.UpdatedAt.Add(time.Second)
		put(t, s, want)
		got, err := s.GetContactRouting(ctx, "i1", "c1")
		if err != nil {
			t.Fatalf("step %d: GetContactRouting: %v", i, err)
		}
		same(t, fmt.Sprintf("step %d: contact routing", i), got, want)
	}
	_, err = s.GetContactRouting(ctx, "i1", "c-unknown")
	wantErr(t, "GetContactRouting of an unknown contact", err, store.ErrNotFound)
}

// queueFixture queues contacts of i1 so that service order differs from
// every single-column order: priority first, then RankAt (to the
// microsecond), then contact ID. Each is enqueued at its RankAt.
func queueFixture(t *testing.T, s store.Store) (queued []string) {
	t.Helper()
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	mk := func(instanceID, id, queueID, state string, prio int, rank time.Time) store.ContactRouting {
		r := newContactRouting(instanceID, id, queueID)
		r.State, r.Priority, r.RankAt, r.EnqueuedAt = state, prio, rank, rank
		return r
	}
	put(t, s,
		mk("i1", "c-a", "q1", store.RoutingQueued, 5, t0),
		mk("i1", "c-b", "q1", store.RoutingQueued, 1, t0.Add(time.Hour)),
		mk("i1", "c-c", "q1", store.RoutingQueued, 5, t0.Add(-time.Second)),
		mk("i1", "c-d", "q1", store.RoutingQueued, 5, t0),
		mk("i1", "c-e", "q1", store.RoutingQueued, 5, t0.Add(time.Microsecond)),
		mk("i1", "c-z", "q1", store.RoutingQueued, 5, t0.Add(-time.Microsecond)),
		mk("i1", "c-0", "q1", store.RoutingOffered, 1, t0.Add(-time.Hour)),
		mk("i1", "c-1", "q1", store.RoutingDone, 1, t0.Add(-time.Hour)),
		mk("i1", "c-2", "q2", store.RoutingQueued, 1, t0.Add(-time.Hour)),
		mk("i2", "c-3", "q1", store.RoutingQueued, 1, t0.Add(-time.Hour)),
	)
	return []string{"c-b", "c-c", "c-z", "c-a", "c-d", "c-e"}
}

func testListQueuedOrder(t *testing.T, s store.Store) {
	order := queueFixture(t, s)
	cases := []struct {
		name  string
		queue string
		limit int
		want  []string
	}{
		{"all", "q1", 100, order},
		{"limit", "q1", 3, order[:3]},
		{"limit 1", "q1", 1, order[:1]},
		{"no limit", "q1", 0, order},
		{"other queue", "q2", 10, []string{"c-2"}},
		{"unknown queue", "nope", 10, []string{}},
	}
	write(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			got, err := tx.ListQueued("i1", map[string]int{tc.queue: tc.limit})
			if err != nil {
				return fmt.Errorf("%s: ListQueued: %w", tc.name, err)
			}
			if ids := contactIDs(got[tc.queue]); !slices.Equal(ids, tc.want) {
				t.Errorf("%s: ListQueued(i1, %s, %d): got %v, want %v", tc.name, tc.queue, tc.limit, ids, tc.want)
			}
		}
		// Several queues at once, each with its own limit.
		got, err := tx.ListQueued("i1", map[string]int{"q1": 2, "q2": 10, "empty": 5})
		if err != nil {
			return fmt.Errorf("several queues: ListQueued: %w", err)
		}
		if ids := contactIDs(got["q1"]); !slices.Equal(ids, order[:2]) {
			t.Errorf("several queues: q1 got %v, want %v", ids, order[:2])
		}
		if ids := contactIDs(got["q2"]); !slices.Equal(ids, []string{"c-2"}) {
			t.Errorf("several queues: q2 got %v, want [c-2]", ids)
		}
		if len(got["empty"]) != 0 || len(got) != 3 {
			t.Errorf("several queues: got %d queues, empty has %d; want 3 and 0", len(got), len(got["empty"]))
		}
		return nil
	})

	// Leaving the queue takes a contact out of it.
	write(t, s, func(tx store.Tx) error {
		r, err := tx.GetContactRouting("i1", "c-b")
		if err != nil {
			return err
		}
		r.State, r.AgentID = store.RoutingOffered, "u1"
		if err := tx.PutContactRouting(r); err != nil {
			return err
		}
		got, err := tx.ListQueued("i1", map[string]int{"q1": 2})
		if err != nil {
			return err
		}
		if ids, want := contactIDs(got["q1"]), order[1:3]; !slices.Equal(ids, want) {
			t.Errorf("ListQueued after c-b was offered: got %v, want %v", ids, want)
		}
		return nil
	})
}

func testCountQueued(t *testing.T, s store.Store) {
	order := queueFixture(t, s)
	cases := []struct {
		instance, queue string
		want            int
	}{
		{"i1", "q1", len(order)},
		{"i1", "q2", 1},
		{"i2", "q1", 1},
		{"i1", "nope", 0},
		{"nope", "q1", 0},
	}
	write(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			n, err := tx.CountQueued(tc.instance, tc.queue)
			if err != nil {
				return fmt.Errorf("CountQueued(%s, %s): %w", tc.instance, tc.queue, err)
			}
			if n != tc.want {
				t.Errorf("CountQueued(%s, %s): got %d, want %d", tc.instance, tc.queue, n, tc.want)
			}
		}
		return nil
	})
}

func testListContactRoutings(t *testing.T, s store.Store) {
	queueFixture(t, s)
	// Oldest enqueue first, whatever the priority and queue; equal times
	// tie on contact ID.
	cases := []struct {
		name   string
		states []string
		want   []string
	}{
		{"queued", []string{store.RoutingQueued}, []string{"c-2", "c-c", "c-z", "c-a", "c-d", "c-e", "c-b"}},
		{"offered or done", []string{store.RoutingOffered, store.RoutingDone}, []string{"c-0", "c-1"}},
		{"connected", []string{store.RoutingConnected}, []string{}},
		{"unknown state", []string{"NOPE"}, []string{}},
		{"no states", nil, []string{}},
	}
	for _, tc := range cases {
		got, err := s.ListContactRoutings(t.Context(), "i1", tc.states)
		if err != nil {
			t.Fatalf("%s: ListContactRoutings: %v", tc.name, err)
		}
		if ids := contactIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("%s: ListContactRoutings(i1, %v): got %v, want %v", tc.name, tc.states, ids, tc.want)
		}
	}

	// Enqueue time orders, whatever the IDs.
	late := newContactRouting("i1", "c-a", "q1")
	late.EnqueuedAt = t0.Add(2 * time.Hour)
	put(t, s, late)
	got, err := s.ListContactRoutings(t.Context(), "i1", []string{store.RoutingQueued})
	if ids := contactIDs(got); err != nil || ids[len(ids)-1] != "c-a" {
		t.Errorf("ListContactRoutings after c-a was enqueued last: got %v, %v; want c-a last", ids, err)
	}
}

func testAssignmentPutGet(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	want := newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, t0)
	want.AcceptedAt, want.ConnectedAt, want.ACWStartedAt, want.EndedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	put(t, s, want)

	steps := []func(a *store.Assignment){
		func(*store.Assignment) {},
		func(a *store.Assignment) {
			a.State, a.AcceptedAt, a.ConnectedAt = store.AssignmentConnected, t0.Add(time.Second), t0.Add(2*time.Second)
		},
		func(a *store.Assignment) { a.State, a.ACWStartedAt = store.AssignmentACW, t0.Add(time.Minute) },
		func(a *store.Assignment) { a.State, a.EndedAt = store.AssignmentDone, t0.Add(2*time.Minute) },
	}
	for i, step := range steps {
		step(&want)
		want.UpdatedAt = t0.Add(time.Duration(i) * time.Minute)
		write(t, s, func(tx store.Tx) error {
			if err := tx.PutAssignment(want); err != nil {
				return err
			}
			got, err := tx.GetAssignment("i1", "a1")
			if err != nil {
				return fmt.Errorf("step %d: GetAssignment: %w", i, err)
			}
			same(t, fmt.Sprintf("step %d: assignment", i), got, want)
			return nil
		})
	}
	write(t, s, func(tx store.Tx) error {
		_, err := tx.GetAssignment("i1", "nope")
		wantErr(t, "GetAssignment of an unknown ID", err, store.ErrNotFound)
		return nil
	})
}

func testListAssignments(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	put(t, s,
		newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, t0.Add(2*time.Second)),
		newAssignment("i1", "a2", "c1", "u2", store.AssignmentMissed, t0),
		newAssignment("i1", "a3", "c2", "u1", store.AssignmentConnected, t0.Add(time.Second)),
		newAssignment("i1", "a4", "c3", "u1", store.AssignmentDone, t0.Add(-time.Second)),
		newAssignment("i1", "a5", "c2", "u2", store.AssignmentACW, t0.Add(3*time.Second)),
		newAssignment("i1", "a6", "c3", "u2", store.AssignmentRejected, t0.Add(4*time.Second)),
		newAssignment("i1", "a7", "c4", "u1", store.AssignmentCancelled, t0.Add(5*time.Second)),
		// Offered with a1: the ID breaks the tie.
		newAssignment("i1", "a0", "c4", "u1", store.AssignmentACW, t0.Add(2*time.Second)),
		newAssignment("i2", "b1", "c1", "u1", store.AssignmentOffered, t0),
	)
	cases := []struct {
		name string
		q    store.AssignmentQuery
		want []string
	}{
		{"user", store.AssignmentQuery{InstanceID: "i1", UserID: "u1"}, []string{"a4", "a3", "a0", "a1", "a7"}},
		{"user, active", store.AssignmentQuery{InstanceID: "i1", UserID: "u1", Active: true}, []string{"a3", "a0", "a1"}},
		{"contact", store.AssignmentQuery{InstanceID: "i1", ContactID: "c1"}, []string{"a2", "a1"}},
		{"contact, active", store.AssignmentQuery{InstanceID: "i1", ContactID: "c1", Active: true}, []string{"a1"}},
		{"user and contact", store.AssignmentQuery{InstanceID: "i1", UserID: "u1", ContactID: "c2"}, []string{"a3"}},
		{"user and contact, active", store.AssignmentQuery{InstanceID: "i1", UserID: "u2", ContactID: "c1", Active: true}, []string{}},
		{"instance", store.AssignmentQuery{InstanceID: "i1"}, []string{"a4", "a2", "a3", "a0", "a1", "a5", "a6", "a7"}},
		{"instance, active", store.AssignmentQuery{InstanceID: "i1", Active: true}, []string{"a3", "a0", "a1", "a5"}},
		{"other instance", store.AssignmentQuery{InstanceID: "i2", UserID: "u1"}, []string{"b1"}},
		{"unknown user", store.AssignmentQuery{InstanceID: "i1", UserID: "nobody"}, []string{}},
	}
	for _, tc := range cases {
		got, err := s.ListAssignments(t.Context(), tc.q)
		if err != nil {
			t.Fatalf("%s: ListAssignments: %v", tc.name, err)
		}
		if ids := assignmentIDs(got); !slices.Equal(ids, tc.want) {
			t.Errorf("%s: ListAssignments: got %v, want %v", tc.name, ids, tc.want)
		}
	}
	write(t, s, func(tx store.Tx) error {
		for _, tc := range cases {
			got, err := tx.ListAssignments(tc.q)
			if err != nil {
				return fmt.Errorf("%s: Tx.ListAssignments: %w", tc.name, err)
			}
			if ids := assignmentIDs(got); !slices.Equal(ids, tc.want) {
				t.Errorf("%s: Tx.ListAssignments: got %v, want %v", tc.name, ids, tc.want)
			}
		}
		return nil
	})
}

func testSessionInsertLookupDelete(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	sessions := []store.Session{
		newSession("s1", "i1", "u1", t0.Add(time.Hour)),
		newSession("s2", "i1", "u1", t0.Add(2*time.Hour)),
		newSession("s3", "i1", "u2", t0.Add(time.Hour)),
		newSession("s4", "i2", "u1", t0.Add(time.Hour)), // same user ID, other instance
		newSession("expired", "i1", "u3", t0.Add(-time.Hour)),
	}
	for _, ss := range sessions {
		put(t, s, ss)
	}
	for _, want := range sessions {
		got, err := s.LookupSession(ctx, want.Hash)
		if err != nil {
			t.Fatalf("LookupSession(%s): %v", want.CSRF, err)
		}
		same(t, "session "+want.CSRF, got, want)
	}
	_, err := s.LookupSession(ctx, hash("unknown"))
	wantErr(t, "LookupSession of an unknown hash", err, store.ErrNotFound)

	err = s.Write(ctx, func(tx store.Tx) error { return tx.InsertSession(newSession("s1", "i1", "u9", t0)) })
	wantErr(t, "InsertSession of an existing hash", err, store.ErrDuplicate)
	if got, err := s.LookupSession(ctx, hash("s1")); err != nil || got.UserID != "u1" {
		t.Errorf("LookupSession after the duplicate: got %q, %v; want u1", got.UserID, err)
	}

	write(t, s, func(tx store.Tx) error { return tx.DeleteSession(hash("s2")) })
	write(t, s, func(tx store.Tx) error { return tx.DeleteSession(hash("never there")) })
	write(t, s, func(tx store.Tx) error { return tx.DeleteUserSessions("i1", "u1") })
	cases := []struct {
		value string
		want  bool
	}{
		{"s1", false}, // DeleteUserSessions
		{"s2", false}, // DeleteSession
		{"s3", true},
		{"s4", true},
		{"expired", true},
	}
	for _, tc := range cases {
		_, err := s.LookupSession(ctx, hash(tc.value))
		if err != nil && !isNotFound(err) {
			t.Fatalf("LookupSession(%s): %v", tc.value, err)
		}
		if got := err == nil; got != tc.want {
			t.Errorf("session %s exists after the deletes: got %v, want %v", tc.value, got, tc.want)
		}
	}
}

func testSessionDeleteExpired(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	put(t, s,
		newSession("long-gone", "i1", "u1", ms0.Add(-time.Hour)),
		newSession("just-gone", "i1", "u1", ms0.Add(-time.Millisecond)),
		newSession("expires-now", "i1", "u1", ms0),
		newSession("alive", "i1", "u1", ms0.Add(time.Hour)),
	)
	var n int
	write(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteExpiredSessions(ms0)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteExpiredSessions: got %d deleted, want 2", n)
	}
	for value, want := range map[string]bool{"long-gone": false, "just-gone": false, "expires-now": true, "alive": true} {
		_, err := s.LookupSession(t.Context(), hash(value))
		if got := err == nil; got != want {
			t.Errorf("session %s exists after DeleteExpiredSessions: got %v (%v), want %v", value, got, err, want)
		}
	}
}

// checkMicros requires got to be want cut to the microsecond, in UTC: the
// precision both drivers keep, and that queue order depends on.
func checkMicros(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if w := want.Truncate(time.Microsecond).UTC(); !got.Equal(w) || got.Location() != time.UTC {
		t.Errorf("%s: got %v, want %v", what, got, w)
	}
}

func testRoutingMicroseconds(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	ctx := t.Context()
	at := t0.Add(time.Microsecond + 987*time.Nanosecond) // not in UTC, with nanoseconds
	r := newResource("i1", store.KindQueue, "q", "Q")
	r.CreatedAt, r.UpdatedAt = at, at
	a := newAgent("i1", "u1")
	a.StatusSince, a.LastRoutedAt = at, at
	cr := newContactRouting("i1", "c1", "q")
	cr.RankAt, cr.EnqueuedAt, cr.DequeuedAt = at, at, at
	as := newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, at)
	ss := newSession("s", "i1", "u1", at)
	ss.CreatedAt = at
	put(t, s, r, a, cr, as, ss)

	gr, err := s.GetResource(ctx, "i1", store.KindQueue, "q")
	if err != nil {
		t.Fatalf("GetResource: %v", err)
	}
	ga, err := s.GetAgent(ctx, "i1", "u1")
	if err != nil {
		t.Fatalf("GetAgent: %v", err)
	}
	gcr, err := s.GetContactRouting(ctx, "i1", "c1")
	if err != nil {
		t.Fatalf("GetContactRouting: %v", err)
	}
	gas, err := s.ListAssignments(ctx, store.AssignmentQuery{InstanceID: "i1", UserID: "u1"})
	if err != nil || len(gas) != 1 {
		t.Fatalf("ListAssignments: got %d, %v; want 1", len(gas), err)
	}
	gss, err := s.LookupSession(ctx, ss.Hash)
	if err != nil {
		t.Fatalf("LookupSession: %v", err)
	}
	for what, got := range map[string]time.Time{
		"Resource.CreatedAt": gr.CreatedAt, "Resource.UpdatedAt": gr.UpdatedAt,
		"Agent.StatusSince": ga.StatusSince, "Agent.LastRoutedAt": ga.LastRoutedAt,
		"ContactRouting.RankAt": gcr.RankAt, "ContactRouting.EnqueuedAt": gcr.EnqueuedAt,
		"ContactRouting.DequeuedAt": gcr.DequeuedAt,
		"Assignment.OfferedAt":      gas[0].OfferedAt, "Session.CreatedAt": gss.CreatedAt,
		"Session.ExpiresAt": gss.ExpiresAt,
	} {
		checkMicros(t, what, got, at)
	}
}

func testRoutingTxReadsOwnWrites(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	write(t, s, func(tx store.Tx) error {
		if err := tx.LockRouting("i1"); err != nil {
			return err
		}
		r := newResource("i1", store.KindAgentStatus, "st", "Available")
		a := newAgent("i1", "u1")
		cr := newContactRouting("i1", "c1", "q1")
		as := newAssignment("i1", "a1", "c1", "u1", store.AssignmentOffered, t0)
		for _, err := range []error{tx.PutResource(r), tx.PutAgent(a), tx.PutContactRouting(cr), tx.PutAssignment(as)} {
			if err != nil {
				return err
			}
		}

		checks := []struct {
			name string
			err  func() error
		}{
			{"GetResource", func() error { _, err := tx.GetResource("i1", r.Kind, r.ID); return err }},
			{"GetResourceByName", func() error { _, err := tx.GetResourceByName("i1", r.Kind, r.Name); return err }},
			{"ListResources", func() error { return one(tx.ListResources("i1", r.Kind)) }},
			{"GetAgent", func() error { _, err := tx.GetAgent("i1", "u1"); return err }},
			{"ListAgents", func() error { return one(tx.ListAgents("i1")) }},
			{"GetContactRouting", func() error { _, err := tx.GetContactRouting("i1", "c1"); return err }},
			{"ListQueued", func() error {
				heads, err := tx.ListQueued("i1", map[string]int{"q1": 10})
				if err != nil {
					return err
				}
				return one(heads["q1"], nil)
			}},
			{"CountQueued", func() error {
				n, err := tx.CountQueued("i1", "q1")
				if err == nil && n != 1 {
					err = fmt.Errorf("%d, want 1", n)
				}
				return err
			}},
			{"GetAssignment", func() error { _, err := tx.GetAssignment("i1", "a1"); return err }},
			{"ListAssignments", func() error {
				return one(tx.ListAssignments(store.AssignmentQuery{InstanceID: "i1", UserID: "u1", Active: true}))
			}},
			{"DeleteResource", func() error {
				if err := tx.DeleteResource("i1", r.Kind, r.ID); err != nil {
					return err
				}
				if _, err := tx.GetResource("i1", r.Kind, r.ID); !isNotFound(err) {
					return fmt.Errorf("GetResource after the delete: %v, want ErrNotFound", err)
				}
				return nil
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

// one checks that a list has exactly one element.
func one[T any](list []T, err error) error {
	if err == nil && len(list) != 1 {
		err = fmt.Errorf("%d results, want 1", len(list))
	}
	return err
}

func testLockRoutingSerialises(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	a := newAgent("i1", "u1")
	a.ChatsUsed = 0
	put(t, s, a)

	// Each Write reads the agent with ListAgents, which takes no row lock,
	// and writes it back one higher: only LockRouting keeps two of them
	// from reading the same count.
	const workers, perWorker = 20, 5
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				err := s.Write(t.Context(), func(tx store.Tx) error {
					if err := tx.LockRouting("i1"); err != nil {
						return err
					}
					agents, err := tx.ListAgents("i1")
					if err != nil {
						return err
					}
					if len(agents) != 1 {
						return fmt.Errorf("ListAgents: %d agents, want 1", len(agents))
					}
					a := agents[0]
					a.ChatsUsed++
					return tx.PutAgent(a)
				})
				if err != nil {
					t.Errorf("worker %d, write %d: %v", w, i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.GetAgent(t.Context(), "i1", "u1")
	if err != nil {
		t.Fatalf("GetAgent: %v", err)
	}
	if got.ChatsUsed != workers*perWorker {
		t.Errorf("ChatsUsed after %d locked increments: got %d (%d lost)",
			workers*perWorker, got.ChatsUsed, workers*perWorker-got.ChatsUsed)
	}
}
