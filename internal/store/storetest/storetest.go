package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called (subtests call it in parallel); Run closes the store
// when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Instance", instanceTests},
		{"Contact", contactTests},
		{"Participant", participantTests},
		{"Token", tokenTests},
		{"Item", itemTests},
		{"Receipt", receiptTests},
		{"Idempotency", idempotencyTests},
		{"Timer", timerTests},
		{"Routing", routingTests},
		{"Flow", flowTests},
		{"Write", writeTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range g.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close: %v", err)
						}
					})
					tc.run(t, s)
				})
			}
		})
	}
}

// test is one behaviour, checked on a fresh store.
type test struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// t0 is the suite's reference time. It is deliberately not in UTC and
// carries nanoseconds, so that drivers must normalise zone and precision.
var t0 = time.Date(2026, time.March, 4, 5, 6, 7, 123456789, time.FixedZone("UTC+5:30", 5*3600+1800))

// ms0 is t0 cut to the millisecond, for tests of exact boundaries that
// any driver with millisecond precision must get right.
var ms0 = t0.Truncate(time.Millisecond)

// write runs fn in a Write that must succeed.
func write(t *testing.T, s store.Store, fn func(tx store.Tx) error) {
	t.Helper()
	if err := s.Write(t.Context(), fn); err != nil {
		t.Fatalf("Write: %v", err)
	}
}

// wantErr fails unless err matches want (nil meaning "no error").
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

// same compares two records of the same flat struct type field by field:
// times with checkTime, empty maps and slices as equal whether nil or not,
// everything else exactly.
func same[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	gv, wv := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range gv.NumField() {
		name := what + "." + gv.Type().Field(i).Name
		g, w := gv.Field(i), wv.Field(i)
		if wt, ok := w.Interface().(time.Time); ok {
			checkTime(t, name, g.Interface().(time.Time), wt)
			continue
		}
		if isEmpty(g) && isEmpty(w) {
			continue
		}
		if !reflect.DeepEqual(g.Interface(), w.Interface()) {
			t.Errorf("%s: got %#v, want %#v", name, g.Interface(), w.Interface())
		}
	}
}

func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Map, reflect.Slice:
		return v.Len() == 0
	}
	return false
}

// checkTime requires got to be want, in UTC, to the millisecond at least.
func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if want.IsZero() {
		if !got.IsZero() {
			t.Errorf("%s: got %v, want the zero time", what, got)
		}
		return
	}
	if got.Location() != time.UTC {
		t.Errorf("%s: got location %v, want UTC", what, got.Location())
	}
	if d := got.Sub(want); d <= -time.Millisecond || d >= time.Millisecond {
		t.Errorf("%s: got %v, want %v (to the millisecond)", what, got, want.UTC())
	}
}

// newInstance is a complete instance with everything created with it.
// Some of its resources name no instance or another one: CreateInstance
// ties them all to the new instance.
func newInstance(id string) store.NewInstance {
	return store.NewInstance{
		Instance:  store.Instance{ID: id, Alias: "alias-" + id, Region: "eu-west-2", CreatedAt: t0},
		AccessKey: store.AccessKey{ID: "AKPA" + id, InstanceID: id, Secret: "secret-" + id, CreatedAt: t0},
		Resources: []store.Resource{
			newResource(id, store.KindUser, id+"-admin", "admin"),
			newResource(id, store.KindQueue, id+"-q1", "BasicQueue"),
			newResource("", store.KindQueue, id+"-q2", "Sales"),
			newResource("elsewhere", store.KindRoutingProfile, id+"-rp", "Basic Routing Profile"),
		},
		Flows: []store.ContactFlow{
			{ID: id + "-f1", InstanceID: id, Name: "Default inbound", Type: "CONTACT_FLOW",
				Status: store.FlowPublished, State: store.FlowActive, Version: 1,
				Content:   `{"Version":"2019-10-30","StartAction":"a","Actions":[{"Identifier":"a","Type":"DisconnectParticipant"}]}`,
				CreatedAt: t0, UpdatedAt: t0},
			{ID: id + "-f2", InstanceID: id, Name: "Queue ✓ «file d'attente»", Type: "CUSTOMER_QUEUE",
				Description: "Plays «music» ✓", Status: store.FlowPublished, State: store.FlowActive, Version: 1,
				Tags:    map[string]string{"team": "sales", "ünï": "cödé"},
				Content: "{\n  \"Text\": \"日本語 \\u00e9\"\n}", CreatedAt: t0.Add(time.Second), UpdatedAt: t0.Add(2 * time.Second)},
		},
	}
}

// seedInstance creates instance id.
func seedInstance(t *testing.T, s store.Store, id string) store.NewInstance {
	t.Helper()
	ni := newInstance(id)
	write(t, s, func(tx store.Tx) error { return tx.CreateInstance(ni) })
	return ni
}

// newContact is a contact of instanceID with every field set.
func newContact(instanceID, id string) store.Contact {
	return store.Contact{
		ID:                       id,
		InstanceID:               instanceID,
		InitialContactID:         id + "-initial",
		PreviousContactID:        id + "-previous",
		RelatedContactID:         id + "-related",
		ContinuedFromID:          "",
		Channel:                  "CHAT",
		InitiationMethod:         "API",
		FlowID:                   instanceID + "-f1",
		State:                    store.ContactActive,
		Attributes:               map[string]string{"customerName": "Jane", "empty": "", "ünï": "cödé"},
		SegmentAttributes:        `{"connect:Subtype":{"ValueString":"connect:Chat"}}`,
		CustomerID:               "cust-" + id,
		SupportedContentTypes:    []string{"text/plain", "text/markdown", "application/vnd.amazonaws.connect.event.typing"},
		DisconnectOnCustomerExit: []string{store.RoleAgent},
		ParticipantTimers:        `[{"ParticipantRole":"CUSTOMER","TimerType":"IDLE","TimerValue":{"ParticipantTimerDurationInMinutes":5}}]`,
		ChatDuration:             25 * time.Hour,
		InitiatedAt:              t0,
		LastUpdatedAt:            t0.Add(time.Second),
	}
}

// seedContact creates instance instanceID (if needed) and contact c.
func seedContact(t *testing.T, s store.Store, c store.Contact) store.Contact {
	t.Helper()
	if _, err := s.GetInstance(t.Context(), c.InstanceID); errors.Is(err, store.ErrNotFound) {
		seedInstance(t, s, c.InstanceID)
	}
	write(t, s, func(tx store.Tx) error { return tx.InsertContact(c) })
	return c
}

// newParticipant is a participant of contact c with every field set.
func newParticipant(c store.Contact, id, role string) store.Participant {
	return store.Participant{
		ID:           id,
		ContactID:    c.ID,
		InstanceID:   c.InstanceID,
		Role:         role,
		DisplayName:  "Name of " + id,
		State:        store.ParticipantConnected,
		CreatedAt:    t0,
		ConnectedAt:  t0.Add(time.Second),
		LastActiveAt: t0.Add(2 * time.Second),
	}
}

// newItem is an item of contactID with every field set but Seq.
func newItem(contactID, id string) store.Item {
	return store.Item{
		ContactID:     contactID,
		ID:            id,
		Type:          store.ItemMessage,
		ContentType:   "text/plain",
		Content:       "hello «" + id + "» ✓\n\ttab",
		ParticipantID: contactID + "-customer",
		DisplayName:   "Jane",
		Role:          store.RoleCustomer,
		CreatedAt:     t0,
		ClientToken:   "ct-" + id,
	}
}

// appendItems appends n items with IDs prefix-1..prefix-n to contactID.
func appendItems(t *testing.T, s store.Store, contactID, prefix string, n int) {
	t.Helper()
	write(t, s, func(tx store.Tx) error {
		for i := 1; i <= n; i++ {
			if _, err := tx.AppendItem(newItem(contactID, fmt.Sprintf("%s-%d", prefix, i))); err != nil {
				return err
			}
		}
		return nil
	})
}

// hash is the token hash of value, as the auth package computes it.
func hash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// seqs lists the sequences of items.
func seqs(items []store.Item) []int64 {
	out := make([]int64, 0, len(items))
	for _, it := range items {
		out = append(out, it.Seq)
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
