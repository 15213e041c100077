package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

var flowTests = []test{
	{"FlowPutGetRoundTrip", testFlowRoundTrip},
	{"FlowPutReplaces", testFlowPutReplaces},
	{"FlowDuplicateNameKeepsTxUsable", testFlowDuplicateName},
	{"FlowInstanceScoping", testFlowInstanceScoping},
	{"ListContactFlowsByName", testListContactFlows},
	{"FlowDeleteKeepsVersions", testFlowDeleteKeepsVersions},
	{"FlowVersionPutGet", testFlowVersionPutGet},
	{"FlowVersionDuplicate", testFlowVersionDuplicate},
	{"CreateInstanceWritesVersions", testCreateInstanceFlowVersions},
	{"FlowRunPutGetReplaceDelete", testFlowRun},
	{"FlowLogsAppendList", testFlowLogs},
	{"FlowLogsInstanceScoping", testFlowLogsScoping},
	{"FlowTxReadsItsOwnWrites", testFlowTxReadsOwnWrites},
}

// newFlow is a flow of instanceID with every field set.
func newFlow(instanceID, id, name string) store.ContactFlow {
	return store.ContactFlow{
		ID:          id,
		InstanceID:  instanceID,
		Name:        name,
		Type:        "CONTACT_FLOW",
		Description: "Flow «" + name + "» ✓",
		Status:      store.FlowSaved,
		State:       store.FlowArchived,
		Content:     `{"Version":"2019-10-30","StartAction":"` + id + `","Actions":[]}`,
		Version:     3,
		Tags:        map[string]string{"team": "support", "ünï": "cödé", "": "empty key"},
		CreatedAt:   t0,
		UpdatedAt:   t0.Add(time.Minute),
	}
}

// newFlowVersion is a version of a flow with every field set.
func newFlowVersion(instanceID, flowID string, version int) store.FlowVersion {
	return store.FlowVersion{
		InstanceID: instanceID,
		FlowID:     flowID,
		Version:    version,
		Content:    fmt.Sprintf(`{"Version":"2019-10-30","Metadata":{"v":%d,"name":"日本語"}}`, version),
		CreatedAt:  t0.Add(time.Duration(version) * time.Hour),
	}
}

// putFlow puts a flow in a Write that must succeed.
func putFlow(t *testing.T, s store.Store, f store.ContactFlow) {
	t.Helper()
	write(t, s, func(tx store.Tx) error { return tx.PutContactFlow(f) })
}

// flowNames lists the names of flows.
func flowNames(fs []store.ContactFlow) []string {
	out := make([]string, 0, len(fs))
	for _, f := range fs {
		out = append(out, f.Name)
	}
	return out
}

func testFlowRoundTrip(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	want := newFlow("i1", "f-new", "Support")
	putFlow(t, s, want)

	got, err := s.GetContactFlow(t.Context(), "i1", "f-new")
	if err != nil {
		t.Fatalf("GetContactFlow: %v", err)
	}
	same(t, "flow", got, want)

	write(t, s, func(tx store.Tx) error {
		got, err := tx.GetContactFlow("i1", "f-new")
		if err != nil {
			return err
		}
		same(t, "flow in tx", got, want)
		return nil
	})

	// A flow with nothing optional set comes back with nothing set.
	bare := store.ContactFlow{ID: "f-bare", InstanceID: "i1", Name: "Bare", Type: "CONTACT_FLOW"}
	putFlow(t, s, bare)
	got, err = s.GetContactFlow(t.Context(), "i1", "f-bare")
	if err != nil {
		t.Fatalf("GetContactFlow(bare): %v", err)
	}
	same(t, "bare flow", got, bare)
}

func testFlowPutReplaces(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	putFlow(t, s, newFlow("i1", "f-new", "Support"))

	changed := newFlow("i1", "f-new", "Support renamed")
	changed.Type = "CUSTOMER_QUEUE"
	changed.Description = ""
	changed.Status = store.FlowPublished
	changed.State = store.FlowActive
	changed.Content = `{"Version":"2019-10-30","Actions":[{"Identifier":"x"}]}`
	changed.Version = 4
	changed.Tags = map[string]string{"only": "this"}
	changed.UpdatedAt = t0.Add(time.Hour)
	putFlow(t, s, changed)

	got, err := s.GetContactFlow(t.Context(), "i1", "f-new")
	if err != nil {
		t.Fatalf("GetContactFlow: %v", err)
	}
	same(t, "replaced flow", got, changed)

	// Putting it again under its own name is no clash.
	putFlow(t, s, changed)

	fs, err := s.ListContactFlows(t.Context(), "i1")
	if err != nil {
		t.Fatalf("ListContactFlows: %v", err)
	}
	if n := len(fs); n != len(newInstance("i1").Flows)+1 {
		t.Errorf("ListContactFlows after two puts of one flow: got %d flows %q", n, flowNames(fs))
	}
}

func testFlowDuplicateName(t *testing.T, s store.Store) {
	ni := seedInstance(t, s, "i1")
	taken := ni.Flows[0].Name

	err := s.Write(t.Context(), func(tx store.Tx) error {
		err := tx.PutContactFlow(newFlow("i1", "f-clash", taken))
		wantErr(t, "PutContactFlow(new flow, taken name)", err, store.ErrDuplicate)
		// The transaction is still usable.
		return tx.PutContactFlow(newFlow("i1", "f-other", "Other"))
	})
	if err != nil {
		t.Fatalf("Write after a duplicate name: %v", err)
	}
	if _, err := s.GetContactFlow(t.Context(), "i1", "f-clash"); !isNotFound(err) {
		t.Errorf("GetContactFlow(f-clash): got %v, want ErrNotFound", err)
	}
	if _, err := s.GetContactFlow(t.Context(), "i1", "f-other"); err != nil {
		t.Errorf("GetContactFlow(f-other), put after the duplicate: %v", err)
	}

	// Renaming an existing flow to a taken name clashes too, and leaves it.
	err = s.Write(t.Context(), func(tx store.Tx) error {
		return tx.PutContactFlow(newFlow("i1", "f-other", taken))
	})
	wantErr(t, "PutContactFlow(rename to a taken name)", err, store.ErrDuplicate)
	if f, err := s.GetContactFlow(t.Context(), "i1", "f-other"); err != nil || f.Name != "Other" {
		t.Errorf("GetContactFlow(f-other) after the failed rename: got %q, %v; want Other", f.Name, err)
	}

	// Names are unique per instance only, and case-sensitive.
	seedInstance(t, s, "i2")
	putFlow(t, s, newFlow("i2", "i2-f-other", "Other"))
	putFlow(t, s, newFlow("i1", "f-lower", "other"))
}

func testFlowInstanceScoping(t *testing.T, s store.Store) {
	ctx := t.Context()
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")

	if _, err := s.GetContactFlow(ctx, "i2", "i1-f1"); !isNotFound(err) {
		t.Errorf("GetContactFlow(i2, flow of i1): got %v, want ErrNotFound", err)
	}
	if _, err := s.GetFlowVersion(ctx, "i2", "i1-f1", 1); !isNotFound(err) {
		t.Errorf("GetFlowVersion(i2, flow of i1): got %v, want ErrNotFound", err)
	}
	fs, err := s.ListContactFlows(ctx, "i2")
	if err != nil {
		t.Fatalf("ListContactFlows(i2): %v", err)
	}
	for _, f := range fs {
		if f.InstanceID != "i2" {
			t.Errorf("ListContactFlows(i2) returned flow %s of %s", f.ID, f.InstanceID)
		}
	}

	// Another instance can neither take over nor delete the flow.
	err = s.Write(ctx, func(tx store.Tx) error {
		return tx.PutContactFlow(newFlow("i2", "i1-f1", "Hijack"))
	})
	wantErr(t, "PutContactFlow(i2, ID of a flow of i1)", err, store.ErrDuplicate)
	err = s.Write(ctx, func(tx store.Tx) error { return tx.DeleteContactFlow("i2", "i1-f1") })
	wantErr(t, "DeleteContactFlow(i2, flow of i1)", err, store.ErrNotFound)
	write(t, s, func(tx store.Tx) error {
		if _, err := tx.GetContactFlow("i2", "i1-f1"); !isNotFound(err) {
			t.Errorf("Tx.GetContactFlow(i2, flow of i1): got %v, want ErrNotFound", err)
		}
		if _, err := tx.GetFlowVersion("i2", "i1-f1", 1); !isNotFound(err) {
			t.Errorf("Tx.GetFlowVersion(i2, flow of i1): got %v, want ErrNotFound", err)
		}
		return nil
	})
	got, err := s.GetContactFlow(ctx, "i1", "i1-f1")
	if err != nil {
		t.Fatalf("GetContactFlow(i1-f1): %v", err)
	}
	same(t, "flow of i1", got, newInstance("i1").Flows[0])
}

func testListContactFlows(t *testing.T, s store.Store) {
	ctx := t.Context()
	if fs, err := s.ListContactFlows(ctx, "nope"); err != nil || len(fs) != 0 {
		t.Errorf("ListContactFlows(unknown instance): got %d flows, %v; want none", len(fs), err)
	}
	ni := seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	for i, name := range []string{"b", "Z", "a", "B"} {
		putFlow(t, s, newFlow("i1", fmt.Sprintf("f%d", i), name))
	}
	// Byte order: upper case before lower case.
	want := []string{"B", ni.Flows[0].Name, ni.Flows[1].Name, "Z", "a", "b"}
	fs, err := s.ListContactFlows(ctx, "i1")
	if err != nil {
		t.Fatalf("ListContactFlows: %v", err)
	}
	if got := flowNames(fs); !slices.Equal(got, want) {
		t.Errorf("ListContactFlows: got %q, want %q", got, want)
	}
	for _, f := range fs {
		if f.Name == "Z" {
			same(t, "listed flow", f, newFlow("i1", "f1", "Z"))
		}
	}
	write(t, s, func(tx store.Tx) error {
		fs, err := tx.ListContactFlows("i1")
		if err != nil {
			return err
		}
		if got := flowNames(fs); !slices.Equal(got, want) {
			t.Errorf("Tx.ListContactFlows: got %q, want %q", got, want)
		}
		return nil
	})
}

func testFlowDeleteKeepsVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ni := seedInstance(t, s, "i1")
	v2 := newFlowVersion("i1", "i1-f1", 2)
	write(t, s, func(tx store.Tx) error { return tx.PutFlowVersion(v2) })

	write(t, s, func(tx store.Tx) error { return tx.DeleteContactFlow("i1", "i1-f1") })
	if _, err := s.GetContactFlow(ctx, "i1", "i1-f1"); !isNotFound(err) {
		t.Errorf("GetContactFlow after delete: got %v, want ErrNotFound", err)
	}
	if _, err := s.GetContactFlow(ctx, "i1", "i1-f2"); err != nil {
		t.Errorf("GetContactFlow of the other flow after delete: %v", err)
	}
	got, err := s.GetFlowVersion(ctx, "i1", "i1-f1", 1)
	if err != nil {
		t.Fatalf("GetFlowVersion(1) of a deleted flow: %v", err)
	}
	f1 := ni.Flows[0]
	same(t, "version 1 of a deleted flow", got,
		store.FlowVersion{InstanceID: "i1", FlowID: f1.ID, Version: 1, Content: f1.Content, CreatedAt: f1.UpdatedAt})
	got, err = s.GetFlowVersion(ctx, "i1", "i1-f1", 2)
	if err != nil {
		t.Fatalf("GetFlowVersion(2) of a deleted flow: %v", err)
	}
	same(t, "version 2 of a deleted flow", got, v2)

	err = s.Write(ctx, func(tx store.Tx) error { return tx.DeleteContactFlow("i1", "i1-f1") })
	wantErr(t, "DeleteContactFlow twice", err, store.ErrNotFound)

	// The name is free again.
	putFlow(t, s, newFlow("i1", "f-new", f1.Name))
}

func testFlowVersionPutGet(t *testing.T, s store.Store) {
	ctx := t.Context()
	seedInstance(t, s, "i1")
	v := newFlowVersion("i1", "i1-f1", 2)
	write(t, s, func(tx store.Tx) error { return tx.PutFlowVersion(v) })
	got, err := s.GetFlowVersion(ctx, "i1", "i1-f1", 2)
	if err != nil {
		t.Fatalf("GetFlowVersion: %v", err)
	}
	same(t, "version", got, v)
	write(t, s, func(tx store.Tx) error {
		got, err := tx.GetFlowVersion("i1", "i1-f1", 2)
		if err != nil {
			return err
		}
		same(t, "version in tx", got, v)
		if _, err := tx.GetFlowVersion("i1", "i1-f1", 3); !isNotFound(err) {
			t.Errorf("Tx.GetFlowVersion(missing): got %v, want ErrNotFound", err)
		}
		return nil
	})
	for _, tc := range []struct {
		flow    string
		version int
	}{{"i1-f1", 3}, {"i1-f1", 0}, {"nope", 1}} {
		if _, err := s.GetFlowVersion(ctx, "i1", tc.flow, tc.version); !isNotFound(err) {
			t.Errorf("GetFlowVersion(%s, %d): got %v, want ErrNotFound", tc.flow, tc.version, err)
		}
	}
	// A version needs no flow: versions outlive theirs.
	orphan := newFlowVersion("i1", "gone", 7)
	write(t, s, func(tx store.Tx) error { return tx.PutFlowVersion(orphan) })
	if got, err := s.GetFlowVersion(ctx, "i1", "gone", 7); err != nil {
		t.Errorf("GetFlowVersion of a version without a flow: %v", err)
	} else {
		same(t, "version without a flow", got, orphan)
	}
}

func testFlowVersionDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	ni := seedInstance(t, s, "i1")
	err := s.Write(ctx, func(tx store.Tx) error {
		err := tx.PutFlowVersion(newFlowVersion("i1", "i1-f1", 1))
		wantErr(t, "PutFlowVersion(existing version)", err, store.ErrDuplicate)
		// The transaction is still usable.
		return tx.PutFlowVersion(newFlowVersion("i1", "i1-f1", 2))
	})
	if err != nil {
		t.Fatalf("Write after a duplicate version: %v", err)
	}
	got, err := s.GetFlowVersion(ctx, "i1", "i1-f1", 1)
	if err != nil || got.Content != ni.Flows[0].Content {
		t.Errorf("version 1 after a duplicate put: got %q, %v; want the original content", got.Content, err)
	}
	if _, err := s.GetFlowVersion(ctx, "i1", "i1-f1", 2); err != nil {
		t.Errorf("version 2, put after the duplicate: %v", err)
	}
	// The same flow ID and version in another instance is another version.
	seedInstance(t, s, "i2")
	write(t, s, func(tx store.Tx) error { return tx.PutFlowVersion(newFlowVersion("i2", "i1-f1", 2)) })
}

func testCreateInstanceFlowVersions(t *testing.T, s store.Store) {
	ctx := t.Context()
	ni := seedInstance(t, s, "i1")
	for _, f := range ni.Flows {
		got, err := s.GetFlowVersion(ctx, "i1", f.ID, 1)
		if err != nil {
			t.Fatalf("GetFlowVersion(%s, 1): %v", f.ID, err)
		}
		same(t, "version 1 of "+f.ID, got,
			store.FlowVersion{InstanceID: "i1", FlowID: f.ID, Version: 1, Content: f.Content, CreatedAt: f.UpdatedAt})
	}

	// A flow never published has no version; one at version 3 has that
	// one only. Both are tied to the new instance.
	ni2 := newInstance("i2")
	ni2.Flows[0].Status, ni2.Flows[0].Version = store.FlowSaved, 0
	ni2.Flows[1].InstanceID, ni2.Flows[1].Version = "elsewhere", 3
	write(t, s, func(tx store.Tx) error { return tx.CreateInstance(ni2) })
	for _, v := range []int{0, 1} {
		if _, err := s.GetFlowVersion(ctx, "i2", "i2-f1", v); !isNotFound(err) {
			t.Errorf("GetFlowVersion(unpublished flow, %d): got %v, want ErrNotFound", v, err)
		}
	}
	if _, err := s.GetFlowVersion(ctx, "i2", "i2-f2", 1); !isNotFound(err) {
		t.Errorf("GetFlowVersion(flow at version 3, 1): got %v, want ErrNotFound", err)
	}
	f2 := ni2.Flows[1]
	got, err := s.GetFlowVersion(ctx, "i2", "i2-f2", 3)
	if err != nil {
		t.Fatalf("GetFlowVersion(i2-f2, 3): %v", err)
	}
	same(t, "version 3", got,
		store.FlowVersion{InstanceID: "i2", FlowID: f2.ID, Version: 3, Content: f2.Content, CreatedAt: f2.UpdatedAt})
	gotFlow, err := s.GetContactFlow(ctx, "i2", "i2-f2")
	if err != nil {
		t.Fatalf("GetContactFlow(i2-f2): %v", err)
	}
	f2.InstanceID = "i2"
	same(t, "flow created at version 3", gotFlow, f2)
	gotFlow, err = s.GetContactFlow(ctx, "i2", "i2-f1")
	if err != nil {
		t.Fatalf("GetContactFlow(i2-f1): %v", err)
	}
	same(t, "unpublished flow", gotFlow, ni2.Flows[0])
}

func testFlowRun(t *testing.T, s store.Store) {
	ctx := t.Context()
	seedInstance(t, s, "i1")
	if _, err := s.GetFlowRun(ctx, "c1"); !isNotFound(err) {
		t.Errorf("GetFlowRun(missing): got %v, want ErrNotFound", err)
	}
	run := store.FlowRun{ContactID: "c1", InstanceID: "i1",
		State: []byte(`{"FlowId":"i1-f1","Version":1,"Block":"a","Data":{"ünï":"cödé"}}`), UpdatedAt: t0}
	write(t, s, func(tx store.Tx) error { return tx.PutFlowRun(run) })
	got, err := s.GetFlowRun(ctx, "c1")
	if err != nil {
		t.Fatalf("GetFlowRun: %v", err)
	}
	same(t, "flow run", got, run)

	replaced := run
	replaced.State = []byte(`{"FlowId":"i1-f2","Version":1,"Block":"b"}`)
	replaced.UpdatedAt = t0.Add(time.Second)
	write(t, s, func(tx store.Tx) error {
		got, err := tx.GetFlowRun("c1")
		if err != nil {
			return err
		}
		same(t, "flow run in tx", got, run)
		if err := tx.PutFlowRun(replaced); err != nil {
			return err
		}
		got, err = tx.GetFlowRun("c1")
		if err != nil {
			return err
		}
		same(t, "replaced flow run in tx", got, replaced)
		return nil
	})
	got, err = s.GetFlowRun(ctx, "c1")
	if err != nil {
		t.Fatalf("GetFlowRun after replace: %v", err)
	}
	same(t, "replaced flow run", got, replaced)

	// Another instance cannot take over the contact's flow state.
	hijack := replaced
	hijack.InstanceID, hijack.State = "i2", []byte(`{}`)
	err = s.Write(ctx, func(tx store.Tx) error { return tx.PutFlowRun(hijack) })
	wantErr(t, "PutFlowRun(contact of another instance)", err, store.ErrDuplicate)
	if got, err := s.GetFlowRun(ctx, "c1"); err != nil || string(got.State) != string(replaced.State) {
		t.Errorf("flow run after a put by another instance: got %s, %v", got.State, err)
	}

	write(t, s, func(tx store.Tx) error { return tx.DeleteFlowRun("c1") })
	if _, err := s.GetFlowRun(ctx, "c1"); !isNotFound(err) {
		t.Errorf("GetFlowRun after delete: got %v, want ErrNotFound", err)
	}
	write(t, s, func(tx store.Tx) error {
		if _, err := tx.GetFlowRun("c1"); !isNotFound(err) {
			t.Errorf("Tx.GetFlowRun after delete: got %v, want ErrNotFound", err)
		}
		return tx.DeleteFlowRun("c1") // missing: no error
	})
}

// newFlowLog is a flow-log record of a contact.
func newFlowLog(instanceID, contactID string, n int) store.FlowLog {
	return store.FlowLog{
		InstanceID: instanceID,
		ContactID:  contactID,
		At:         t0.Add(time.Duration(n) * time.Millisecond),
		Record:     []byte(fmt.Sprintf(`{"ContactFlowModuleType":"MessageParticipant","Parameters":{"Text":"n°%d"}}`, n)),
	}
}

func testFlowLogs(t *testing.T, s store.Store) {
	ctx := t.Context()
	seedInstance(t, s, "i1")
	if ls, err := s.ListFlowLogs(ctx, "i1", "c1", 0, 0); err != nil || len(ls) != 0 {
		t.Errorf("ListFlowLogs(no records): got %d, %v; want none", len(ls), err)
	}
	var want []store.FlowLog
	for _, batch := range [][]int{{1, 2, 3}, {}, {4}, {5, 6}} {
		var logs []store.FlowLog
		for _, n := range batch {
			logs = append(logs, newFlowLog("i1", "c1", n))
		}
		// Another contact's records interleave with c1's.
		other := []store.FlowLog{newFlowLog("i1", "c2", 100)}
		write(t, s, func(tx store.Tx) error {
			if err := tx.AppendFlowLogs(logs); err != nil {
				return err
			}
			return tx.AppendFlowLogs(other)
		})
		want = append(want, logs...)
	}

	all, err := s.ListFlowLogs(ctx, "i1", "c1", 0, 0)
	if err != nil {
		t.Fatalf("ListFlowLogs: %v", err)
	}
	if len(all) != len(want) {
		t.Fatalf("ListFlowLogs: got %d records, want %d", len(all), len(want))
	}
	for i, got := range all {
		if i > 0 && got.ID <= all[i-1].ID {
			t.Errorf("record %d: ID %d not after %d", i, got.ID, all[i-1].ID)
		}
		w := want[i]
		w.ID = got.ID
		same(t, fmt.Sprintf("record %d", i), got, w)
	}

	// afterID and limit page through them.
	var paged []store.FlowLog
	for after := int64(0); ; {
		page, err := s.ListFlowLogs(ctx, "i1", "c1", after, 4)
		if err != nil {
			t.Fatalf("ListFlowLogs(after %d, 4): %v", after, err)
		}
		if len(page) > 4 {
			t.Fatalf("ListFlowLogs(after %d, 4): got %d records", after, len(page))
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].ID
	}
	if len(paged) != len(all) {
		t.Errorf("paging by 4: got %d records, want %d", len(paged), len(all))
	}
	for i := range min(len(paged), len(all)) {
		if paged[i].ID != all[i].ID {
			t.Errorf("paging by 4: record %d has ID %d, want %d", i, paged[i].ID, all[i].ID)
		}
	}
	last, err := s.ListFlowLogs(ctx, "i1", "c1", all[len(all)-2].ID, 10)
	if err != nil || len(last) != 1 || last[0].ID != all[len(all)-1].ID {
		t.Errorf("ListFlowLogs(after the last but one): got %d records, %v; want the last", len(last), err)
	}
	if ls, err := s.ListFlowLogs(ctx, "i1", "c1", all[len(all)-1].ID, 0); err != nil || len(ls) != 0 {
		t.Errorf("ListFlowLogs(after the last): got %d, %v; want none", len(ls), err)
	}

	others, err := s.ListFlowLogs(ctx, "i1", "c2", 0, -1)
	if err != nil || len(others) != 4 {
		t.Errorf("ListFlowLogs(c2): got %d, %v; want 4", len(others), err)
	}
	write(t, s, func(tx store.Tx) error { return tx.AppendFlowLogs(nil) })
}

func testFlowLogsScoping(t *testing.T, s store.Store) {
	ctx := t.Context()
	seedInstance(t, s, "i1")
	seedInstance(t, s, "i2")
	write(t, s, func(tx store.Tx) error {
		return tx.AppendFlowLogs([]store.FlowLog{newFlowLog("i1", "c1", 1), newFlowLog("i1", "c1", 2)})
	})
	if ls, err := s.ListFlowLogs(ctx, "i2", "c1", 0, 0); err != nil || len(ls) != 0 {
		t.Errorf("ListFlowLogs(i2, contact of i1): got %d, %v; want none", len(ls), err)
	}
	// Records that name another instance are not the contact's either.
	write(t, s, func(tx store.Tx) error {
		return tx.AppendFlowLogs([]store.FlowLog{newFlowLog("i2", "c1", 3)})
	})
	ls, err := s.ListFlowLogs(ctx, "i1", "c1", 0, 0)
	if err != nil || len(ls) != 2 {
		t.Fatalf("ListFlowLogs(i1, c1): got %d, %v; want 2", len(ls), err)
	}
	for _, l := range ls {
		if l.InstanceID != "i1" {
			t.Errorf("ListFlowLogs(i1, c1) returned a record of %s", l.InstanceID)
		}
	}
}

func testFlowTxReadsOwnWrites(t *testing.T, s store.Store) {
	seedInstance(t, s, "i1")
	f := newFlow("i1", "f-new", "Support")
	v := newFlowVersion("i1", "f-new", 3)
	write(t, s, func(tx store.Tx) error {
		if err := tx.PutContactFlow(f); err != nil {
			return err
		}
		got, err := tx.GetContactFlow("i1", "f-new")
		if err != nil {
			return err
		}
		same(t, "flow in its tx", got, f)
		fs, err := tx.ListContactFlows("i1")
		if err != nil {
			return err
		}
		if !slices.Contains(flowNames(fs), "Support") {
			t.Errorf("Tx.ListContactFlows: got %q, want Support among them", flowNames(fs))
		}
		if err := tx.PutFlowVersion(v); err != nil {
			return err
		}
		gotV, err := tx.GetFlowVersion("i1", "f-new", 3)
		if err != nil {
			return err
		}
		same(t, "version in its tx", gotV, v)
		if err := tx.DeleteContactFlow("i1", "f-new"); err != nil {
			return err
		}
		if _, err := tx.GetContactFlow("i1", "f-new"); !isNotFound(err) {
			t.Errorf("Tx.GetContactFlow after its delete: got %v, want ErrNotFound", err)
		}
		return nil
	})
	if _, err := s.GetFlowVersion(t.Context(), "i1", "f-new", 3); err != nil {
		t.Errorf("GetFlowVersion after the Write: %v", err)
	}
}
