package flow

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

const adminInstance = "inst-1"

// adminEnv is a flow service over a fresh SQLite store holding one
// instance with a queue, hours of operation and a user.
func adminEnv(t *testing.T) (*Service, store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	t0 := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	res := func(kind, id, name string) store.Resource {
		return store.Resource{InstanceID: adminInstance, Kind: kind, ID: id, Name: name, Body: []byte(`{}`), CreatedAt: t0, UpdatedAt: t0}
	}
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: adminInstance, Alias: "a", Region: "eu-west-2", CreatedAt: t0},
			AccessKey: store.AccessKey{ID: "AKPA1", InstanceID: adminInstance, Secret: "s", CreatedAt: t0},
			Resources: []store.Resource{
				res(store.KindQueue, "q-support", "Support"),
				res(store.KindHours, "office", "Office"),
				res(store.KindUser, "agent-1", "agent"),
			},
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return New(st, nil, nil, Config{Region: "eu-west-2", AccountID: "000000000000"}), st
}

// simpleFlow greets the customer and queues them in queueRef.
func simpleFlow(greeting, queueRef string) string {
	return `{"Version":"2019-10-30","StartAction":"hi","Actions":[
 {"Identifier":"hi","Type":"MessageParticipant","Parameters":{"Text":"` + greeting + `"},
  "Transitions":{"NextAction":"q","Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"` + queueRef + `"},
  "Transitions":{"NextAction":"x","Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"x","Type":"TransferContactToQueue","Parameters":{},
  "Transitions":{"NextAction":"bye","Errors":[{"NextAction":"bye","ErrorType":"QueueAtCapacity"},{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`
}

const danglingFlow = `{"Version":"2019-10-30","StartAction":"hi","Actions":[
 {"Identifier":"hi","Type":"MessageParticipant","Parameters":{"Text":"x"},"Transitions":{"NextAction":"nowhere","Errors":[{"NextAction":"bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"bye","Type":"Bogus","Parameters":{},"Transitions":{}}]}`

func faultCode(err error) fault.Code {
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return 0
}

func TestCreateFlow(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       NewFlow
		wantCode fault.Code // 0: success unless wantPaths
		// wantPaths are the problem paths of an *InvalidFlowError.
		wantPaths   []string
		wantVersion int
	}{
		{name: "published", in: NewFlow{Name: "a", Type: ContactFlow, Content: simpleFlow("hi", "q-support")}, wantVersion: 1},
		{name: "agent queue by ARN", in: NewFlow{Name: "a", Type: ContactFlow,
			Content: simpleFlow("hi", "arn:aws:connect:eu-west-2:000000000000:instance/inst-1/queue/agent/agent-1")}, wantVersion: 1},
		{name: "saved skips validation", in: NewFlow{Name: "a", Type: ContactFlow, Status: store.FlowSaved, Content: danglingFlow}},
		{name: "saved content still sized", in: NewFlow{Name: "a", Type: ContactFlow, Status: store.FlowSaved, Content: ""}, wantCode: fault.InvalidParameter},
		{name: "invalid content", in: NewFlow{Name: "a", Type: ContactFlow, Content: danglingFlow},
			wantPaths: []string{"Actions[0].Transitions.NextAction", "Actions[1].Type"}},
		{name: "missing queue", in: NewFlow{Name: "a", Type: ContactFlow, Content: simpleFlow("hi", "q-gone")},
			wantPaths: []string{"Actions[1].Parameters.QueueId"}},
		{name: "not JSON", in: NewFlow{Name: "a", Type: ContactFlow, Content: "{"}, wantPaths: []string{""}},
		{name: "unknown type", in: NewFlow{Name: "a", Type: "NOPE", Content: simpleFlow("hi", "q-support")}, wantCode: fault.InvalidParameter},
		{name: "bad status", in: NewFlow{Name: "a", Type: ContactFlow, Status: "DRAFT", Content: simpleFlow("hi", "q-support")}, wantCode: fault.InvalidParameter},
		{name: "empty name", in: NewFlow{Type: ContactFlow, Content: simpleFlow("hi", "q-support")}, wantCode: fault.InvalidParameter},
		{name: "long description", in: NewFlow{Name: "a", Type: ContactFlow, Description: strings.Repeat("d", 501), Content: simpleFlow("hi", "q-support")},
			wantCode: fault.InvalidParameter},
		{name: "aws tag", in: NewFlow{Name: "a", Type: ContactFlow, Tags: map[string]string{"aws:x": "y"}, Content: simpleFlow("hi", "q-support")},
			wantCode: fault.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, st := adminEnv(t)
			ctx := context.Background()
			f, err := s.CreateFlow(ctx, adminInstance, tt.in)
			if tt.wantPaths != nil {
				var ie *InvalidFlowError
				if !errors.As(err, &ie) {
					t.Fatalf("err %v, want *InvalidFlowError", err)
				}
				var paths []string
				for _, p := range ie.Problems {
					paths = append(paths, p.Path)
				}
				if strings.Join(paths, "|") != strings.Join(tt.wantPaths, "|") {
					t.Fatalf("problem paths %q, want %q (%v)", paths, tt.wantPaths, ie.Problems)
				}
				return
			}
			if tt.wantCode != 0 {
				if faultCode(err) != tt.wantCode {
					t.Fatalf("err %v, want fault code %d", err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Version != tt.wantVersion || f.State != store.FlowActive {
				t.Fatalf("flow %+v, want version %d", f, tt.wantVersion)
			}
			got, err := st.GetContactFlow(ctx, adminInstance, f.ID)
			if err != nil || got.Content != tt.in.Content || got.Version != tt.wantVersion {
				t.Fatalf("stored %+v, %v", got, err)
			}
			_, err = st.GetFlowVersion(ctx, adminInstance, f.ID, 1)
			if (tt.wantVersion == 1) != (err == nil) {
				t.Fatalf("version 1: %v (want it: %v)", err, tt.wantVersion == 1)
			}
		})
	}
}

func TestCreateFlowDuplicateName(t *testing.T) {
	t.Parallel()
	s, _ := adminEnv(t)
	ctx := context.Background()
	in := NewFlow{Name: "Main", Type: ContactFlow, Content: simpleFlow("hi", "q-support")}
	if _, err := s.CreateFlow(ctx, adminInstance, in); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFlow(ctx, adminInstance, in); faultCode(err) != fault.Duplicate {
		t.Fatalf("second create: %v, want Duplicate", err)
	}
	other, err := s.CreateFlow(ctx, adminInstance, NewFlow{Name: "Other", Type: ContactFlow, Status: store.FlowSaved, Content: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateFlowName(ctx, adminInstance, other.ID, &in.Name, nil); faultCode(err) != fault.Duplicate {
		t.Fatalf("rename: %v, want Duplicate", err)
	}
}

func TestDescribeAndUpdateFlow(t *testing.T) {
	t.Parallel()
	s, st := adminEnv(t)
	ctx := context.Background()
	v1, v2, draft := simpleFlow("one", "q-support"), simpleFlow("two", "q-support"), danglingFlow
	f, err := s.CreateFlow(ctx, adminInstance, NewFlow{Name: "Main", Type: ContactFlow, Content: v1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFlowContent(ctx, adminInstance, f.ID, draft); !errors.As(err, new(*InvalidFlowError)) {
		t.Fatalf("update with invalid content: %v", err)
	}
	up, err := s.UpdateFlowContent(ctx, adminInstance, f.ID, v2)
	if err != nil || up.Version != 2 || up.Status != store.FlowPublished {
		t.Fatalf("update: %+v, %v", up, err)
	}
	saved, err := s.CreateFlow(ctx, adminInstance, NewFlow{Name: "Draft", Type: ContactFlow, Status: store.FlowSaved, Content: draft})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:connect:eu-west-2:000000000000:instance/inst-1/contact-flow/" + f.ID
	tests := []struct {
		name        string
		id          string
		wantContent string
		wantVersion int
		wantStatus  string
		wantErr     func(error) bool
	}{
		{name: "latest", id: f.ID, wantContent: v2, wantVersion: 2, wantStatus: store.FlowPublished},
		{name: "ARN", id: arn, wantContent: v2, wantVersion: 2, wantStatus: store.FlowPublished},
		{name: "version 1", id: f.ID + ":1", wantContent: v1, wantVersion: 1, wantStatus: store.FlowPublished},
		{name: "ARN version 1", id: arn + ":1", wantContent: v1, wantVersion: 1, wantStatus: store.FlowPublished},
		{name: "saved", id: f.ID + ":$SAVED", wantContent: v2, wantVersion: 2, wantStatus: store.FlowPublished},
		{name: "draft saved", id: saved.ID + ":$SAVED", wantContent: draft, wantStatus: store.FlowSaved},
		{name: "draft not published", id: saved.ID, wantErr: func(err error) bool { return errors.As(err, new(*NotPublishedError)) }},
		{name: "no version 3", id: f.ID + ":3", wantErr: func(err error) bool { return faultCode(err) == fault.NotFound }},
		{name: "bad version", id: f.ID + ":x", wantErr: func(err error) bool { return faultCode(err) == fault.InvalidParameter }},
		{name: "missing", id: "nope", wantErr: func(err error) bool { return faultCode(err) == fault.NotFound }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.DescribeFlow(ctx, adminInstance, tt.id)
			if tt.wantErr != nil {
				if !tt.wantErr(err) {
					t.Fatalf("err %v", err)
				}
				return
			}
			if err != nil || got.Content != tt.wantContent || got.Version != tt.wantVersion || got.Status != tt.wantStatus || got.Name == "" {
				t.Fatalf("got %+v, %v", got, err)
			}
		})
	}
	t.Run("metadata", func(t *testing.T) {
		t.Parallel()
		name, desc := "Renamed", "about"
		if err := s.UpdateFlowMetadata(ctx, adminInstance, saved.ID, &name, &desc, store.FlowArchived); err != nil {
			t.Fatal(err)
		}
		got, err := st.GetContactFlow(ctx, adminInstance, saved.ID)
		if err != nil || got.Name != name || got.Description != desc || got.State != store.FlowArchived || got.Content != draft {
			t.Fatalf("got %+v, %v", got, err)
		}
		if err := s.UpdateFlowMetadata(ctx, adminInstance, saved.ID, nil, nil, "GONE"); faultCode(err) != fault.InvalidParameter {
			t.Fatalf("bad state: %v", err)
		}
		if err := s.UpdateFlowName(ctx, adminInstance, "nope", &name, nil); faultCode(err) != fault.NotFound {
			t.Fatalf("missing flow: %v", err)
		}
	})
}

func TestDeleteFlow(t *testing.T) {
	t.Parallel()
	s, st := adminEnv(t)
	ctx := context.Background()
	used, err := s.CreateFlow(ctx, adminInstance, NewFlow{Name: "Transfer", Type: QueueTransfer, Content: simpleFlow("moving you", "q-support")})
	if err != nil {
		t.Fatal(err)
	}
	free, err := s.CreateFlow(ctx, adminInstance, NewFlow{Name: "Free", Type: ContactFlow, Content: simpleFlow("hi", "q-support")})
	if err != nil {
		t.Fatal(err)
	}
	qc, _ := json.Marshal(routing.QuickConnect{ID: "qc-1", Name: "To support", Config: routing.QuickConnectConfig{
		Type: routing.QuickConnectTypeQueue, QueueConfig: &routing.QueueQuickConnectConfig{QueueID: "q-support", ContactFlowID: used.ID}}})
	err = st.Write(ctx, func(tx store.Tx) error {
		now := time.Now().UTC().Truncate(time.Millisecond)
		return tx.PutResource(store.Resource{InstanceID: adminInstance, Kind: store.KindQuickConnect, ID: "qc-1", Name: "To support", Body: qc, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		id   string
		want fault.Code // 0: deleted
	}{
		{"used by a quick connect", used.ID, fault.InUse},
		{"missing", "nope", fault.NotFound},
		{"free", free.ID, 0},
		{"twice", free.ID, fault.NotFound},
	}
	for _, tt := range tests { // in order: "twice" follows "free"
		err := s.DeleteFlow(ctx, adminInstance, tt.id)
		if faultCode(err) != tt.want || (tt.want == 0 && err != nil) {
			t.Fatalf("%s: %v, want code %d", tt.name, err, tt.want)
		}
	}
	if _, err := s.DescribeFlow(ctx, adminInstance, free.ID); faultCode(err) != fault.NotFound {
		t.Fatalf("describe deleted: %v", err)
	}
	if v, err := st.GetFlowVersion(ctx, adminInstance, free.ID, 1); err != nil || v.Content == "" {
		t.Fatalf("version of the deleted flow: %+v, %v", v, err)
	}
}

func TestListFlows(t *testing.T) {
	t.Parallel()
	s, _ := adminEnv(t)
	ctx := context.Background()
	for _, in := range []NewFlow{
		{Name: "b-inbound", Type: ContactFlow, Content: simpleFlow("hi", "q-support")},
		{Name: "a-transfer", Type: QueueTransfer, Content: simpleFlow("hi", "q-support")},
		{Name: "c-queue", Type: CustomerQueue, Status: store.FlowSaved, Content: "draft"},
	} {
		if _, err := s.CreateFlow(ctx, adminInstance, in); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		types []string
		want  string
		code  fault.Code
	}{
		{"all", nil, "a-transfer,b-inbound,c-queue", 0},
		{"one type", []string{ContactFlow}, "b-inbound", 0},
		{"two types", []string{CustomerQueue, QueueTransfer}, "a-transfer,c-queue", 0},
		{"none of a type", []string{AgentWhisper}, "", 0},
		{"bad type", []string{"NOPE"}, "", fault.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fs, err := s.ListFlows(ctx, adminInstance, tt.types)
			if tt.code != 0 {
				if faultCode(err) != tt.code {
					t.Fatalf("err %v", err)
				}
				return
			}
			var names []string
			for _, f := range fs {
				names = append(names, f.Name)
			}
			if err != nil || strings.Join(names, ",") != tt.want {
				t.Fatalf("got %q, %v; want %q", names, err, tt.want)
			}
		})
	}
}

func TestFunctions(t *testing.T) {
	t.Parallel()
	s, st := adminEnv(t)
	ctx := context.Background()
	const arn = "arn:aws:lambda:eu-west-2:111122223333:function:lookup-order"
	first, err := s.RegisterFunction(ctx, adminInstance, arn, "https://hooks.example.com/order", false)
	if err != nil || !strings.HasPrefix(first.Secret, "whsec_") || first.URL != "https://hooks.example.com/order" {
		t.Fatalf("register: %+v, %v", first, err)
	}
	again, err := s.RegisterFunction(ctx, adminInstance, arn, "http://127.0.0.1:9000/order", false)
	if err != nil || again.Secret != first.Secret || again.URL != "http://127.0.0.1:9000/order" || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("re-register: %+v, %v", again, err)
	}
	rotated, err := s.RegisterFunction(ctx, adminInstance, arn, "http://localhost:9000/order", true)
	if err != nil || rotated.Secret == first.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotate: %+v, %v", rotated, err)
	}
	if _, err := s.RegisterFunction(ctx, adminInstance, "plain-name", "https://hooks.example.com/plain", false); err != nil {
		t.Fatal(err)
	}

	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct{ name, arn, url string }{
			{"http to a remote host", "f", "http://hooks.example.com/x"},
			{"user info", "f", "https://u:p@hooks.example.com/x"},
			{"relative", "f", "/x"},
			{"ftp", "f", "ftp://hooks.example.com/x"},
			{"empty name", "", "https://hooks.example.com/x"},
			{"space in name", "my fn", "https://hooks.example.com/x"},
			{"long name", strings.Repeat("f", 141), "https://hooks.example.com/x"},
		} {
			if _, err := s.RegisterFunction(ctx, adminInstance, tt.arn, tt.url, false); faultCode(err) != fault.InvalidParameter {
				t.Errorf("%s: %v, want InvalidParameter", tt.name, err)
			}
		}
	})

	t.Run("lookup", func(t *testing.T) {
		t.Parallel()
		for _, tt := range []struct {
			name, ref, want string // want: the registered ARN, "" for no match
		}{
			{"exact ARN", arn, arn},
			{"ARN with alias", arn + ":live", arn},
			{"same name, other account", "arn:aws:lambda:us-east-1:999999999999:function:lookup-order", arn},
			{"bare name", "lookup-order", arn},
			{"registered bare name", "plain-name", "plain-name"},
			{"ARN of a registered bare name", "arn:aws:lambda:eu-west-2:111122223333:function:plain-name", "plain-name"},
			{"unknown", "arn:aws:lambda:eu-west-2:111122223333:function:other", ""},
			{"empty", "", ""},
		} {
			var got Function
			var ok bool
			err := st.Write(ctx, func(tx store.Tx) error {
				var err error
				got, ok, err = s.LookupFunction(tx, adminInstance, tt.ref)
				return err
			})
			if err != nil || ok != (tt.want != "") || got.ARN != tt.want {
				t.Errorf("%s: got %+v ok=%v err=%v, want %q", tt.name, got, ok, err, tt.want)
			}
			if ok && got.Secret == "" {
				t.Errorf("%s: the runtime needs the secret", tt.name)
			}
		}
	})

	t.Run("list and delete", func(t *testing.T) {
		t.Parallel()
		s, _ := adminEnv(t)
		for _, name := range []string{"b", "a"} {
			if _, err := s.RegisterFunction(ctx, adminInstance, name, "https://hooks.example.com/"+name, false); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.DeleteFunction(ctx, adminInstance, "b"); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteFunction(ctx, adminInstance, "b"); faultCode(err) != fault.NotFound {
			t.Fatalf("delete twice: %v", err)
		}
		fs, err := s.ListFunctions(ctx, adminInstance)
		if err != nil || len(fs) != 1 || fs[0].ARN != "a" || fs[0].Secret != "" || fs[0].URL != "https://hooks.example.com/a" {
			t.Fatalf("list: %+v, %v", fs, err)
		}
	})
}

func TestFlowLogs(t *testing.T) {
	t.Parallel()
	s, st := adminEnv(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	err := st.Write(ctx, func(tx store.Tx) error {
		c := store.Contact{ID: "c-1", InstanceID: adminInstance, InitialContactID: "c-1", Channel: "CHAT", InitiationMethod: "API",
			State: store.ContactActive, Attributes: map[string]string{}, InitiatedAt: now, LastUpdatedAt: now, ChatDuration: time.Hour}
		if err := tx.InsertContact(c); err != nil {
			return err
		}
		var logs []store.FlowLog
		for i := range 3 {
			logs = append(logs, store.FlowLog{InstanceID: adminInstance, ContactID: "c-1", At: now, Record: []byte(`{"n":` + string(rune('0'+i)) + `}`)})
		}
		return tx.AppendFlowLogs(logs)
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.FlowLogs(ctx, adminInstance, "c-1", 0, 0)
	if err != nil || len(all) != 3 {
		t.Fatalf("all: %d, %v", len(all), err)
	}
	tests := []struct {
		name    string
		contact string
		after   int64
		limit   int
		want    int
		code    fault.Code
	}{
		{"page", "c-1", 0, 2, 2, 0},
		{"after the first", "c-1", all[0].ID, 0, 2, 0},
		{"after the last", "c-1", all[2].ID, 0, 0, 0},
		{"unknown contact", "c-2", 0, 0, 0, fault.NotFound},
		{"limit too large", "c-1", 0, 1001, 0, fault.InvalidParameter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.FlowLogs(ctx, adminInstance, tt.contact, tt.after, tt.limit)
			if faultCode(err) != tt.code || (tt.code == 0 && (err != nil || len(got) != tt.want)) {
				t.Fatalf("got %d records, %v", len(got), err)
			}
		})
	}
}
