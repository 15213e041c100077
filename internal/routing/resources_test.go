package routing_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/sqlite"
)

// resEnv is a routing service over a fresh SQLite store with one instance
// holding a flow, a user, hours of operation and a queue.
type resEnv struct {
	t        *testing.T
	ctx      context.Context
	st       store.Store
	r        *routing.Service
	instance string
	flow     string
	user     string
	hours    string
	queue    string
}

func newResEnv(t *testing.T) *resEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := local.New()
	chatSvc := chat.New(st, b, chat.Config{Now: clock, Logger: log})
	e := &resEnv{t: t, ctx: ctx, st: st, r: routing.New(st, b, chatSvc, routing.Config{Now: clock, Logger: log}),
		instance: "inst-1", flow: "flow-1", user: "user-1"}
	userBody, _ := json.Marshal(map[string]any{"Id": e.user, "Username": "ada", "RoutingProfileId": ""})
	err = st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: e.instance, Region: "us-east-1", CreatedAt: now},
			AccessKey: store.AccessKey{ID: "AK1", InstanceID: e.instance, Secret: "s", CreatedAt: now},
			Resources: []store.Resource{{InstanceID: e.instance, Kind: store.KindUser, ID: e.user, Name: "ada", Body: userBody, CreatedAt: now, UpdatedAt: now}},
			Flows:     []store.ContactFlow{{ID: e.flow, InstanceID: e.instance, Name: "transfer", Type: "QUEUE_TRANSFER", Content: "{}", CreatedAt: now}},
		})
	})
	if err != nil {
		t.Fatalf("create instance: %v", err)
	}
	h, err := e.r.CreateHoursOfOperation(ctx, e.instance, routing.HoursOfOperation{Name: "Always", TimeZone: "UTC", Config: allWeek})
	if err != nil {
		t.Fatalf("CreateHoursOfOperation: %v", err)
	}
	e.hours = h.ID
	e.queue = e.newQueue("Support")
	return e
}

func (e *resEnv) newQueue(name string) string {
	e.t.Helper()
	q, err := e.r.CreateQueue(e.ctx, e.instance, routing.Queue{Name: name, HoursOfOperationID: e.hours})
	if err != nil {
		e.t.Fatalf("CreateQueue %s: %v", name, err)
	}
	return q.ID
}

// profile returns a valid routing profile on the env's queue.
func (e *resEnv) profile(name string) routing.RoutingProfile {
	return routing.RoutingProfile{Name: name, Description: "d", DefaultOutboundQueueID: e.queue,
		MediaConcurrencies: []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 2}},
		Queues:             []routing.ProfileQueue{{QueueID: e.queue, Channel: routing.ChannelChat, Priority: 1}}}
}

// setUserProfile puts the env's user on a routing profile.
func (e *resEnv) setUserProfile(profileID string) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"Id": e.user, "Username": "ada", "RoutingProfileId": profileID})
	err := e.st.Write(e.ctx, func(tx store.Tx) error {
		return tx.PutResource(store.Resource{InstanceID: e.instance, Kind: store.KindUser, ID: e.user, Name: "ada", Body: body})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// codeOf returns the fault code of err, 0 for nil, -1 for another error.
func codeOf(err error) fault.Code {
	if err == nil {
		return 0
	}
	var fe *fault.Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return -1
}

func wantCode(t *testing.T, what string, err error, want fault.Code) {
	t.Helper()
	if got := codeOf(err); got != want {
		t.Fatalf("%s: got %v (code %d), want code %d", what, err, got, want)
	}
}

func TestCreateQueueRules(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	tags51 := map[string]string{}
	for i := range 51 {
		tags51[strings.Repeat("k", i+1)] = "v"
	}
	tests := []struct {
		name string
		q    routing.Queue
		want fault.Code
	}{
		{"valid", routing.Queue{Name: "Sales", Description: "sales", HoursOfOperationID: e.hours, MaxContacts: 10}, 0},
		{"no cap", routing.Queue{Name: "Billing", HoursOfOperationID: e.hours, MaxContacts: 0}, 0},
		{"empty name", routing.Queue{Name: "", HoursOfOperationID: e.hours}, fault.InvalidParameter},
		{"name of 127", routing.Queue{Name: strings.Repeat("n", 127), HoursOfOperationID: e.hours}, 0},
		{"name of 128", routing.Queue{Name: strings.Repeat("n", 128), HoursOfOperationID: e.hours}, fault.InvalidParameter},
		{"description of 251", routing.Queue{Name: "D", Description: strings.Repeat("d", 251), HoursOfOperationID: e.hours}, fault.InvalidParameter},
		{"negative max contacts", routing.Queue{Name: "M", HoursOfOperationID: e.hours, MaxContacts: -1}, fault.InvalidParameter},
		{"no hours", routing.Queue{Name: "H"}, fault.InvalidParameter},
		{"unknown hours", routing.Queue{Name: "H", HoursOfOperationID: "nope"}, fault.NotFound},
		{"unknown quick connect", routing.Queue{Name: "Q", HoursOfOperationID: e.hours, QuickConnectIDs: []string{"nope"}}, fault.NotFound},
		{"51 tags", routing.Queue{Name: "T", HoursOfOperationID: e.hours, Tags: tags51}, fault.InvalidParameter},
		{"duplicate name", routing.Queue{Name: "Support", HoursOfOperationID: e.hours}, fault.Duplicate},
	}
	for _, tt := range tests { // sequential: they share one store
		_, err := e.r.CreateQueue(e.ctx, e.instance, tt.q)
		wantCode(t, tt.name, err, tt.want)
	}
	q, err := e.r.Queue(e.ctx, e.instance, e.queue)
	if err != nil || q.Name != "Support" || q.Status != routing.QueueEnabled || q.HoursOfOperationID != e.hours || q.UpdatedAt.IsZero() {
		t.Fatalf("Queue: %+v, %v", q, err)
	}
}

func TestQueueUpdates(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	other := e.newQueue("Other")
	name, desc, long := "Renamed", "new description", strings.Repeat("x", 128)
	tests := []struct {
		name string
		do   func() error
		want fault.Code
	}{
		{"disable", func() error { return e.r.UpdateQueueStatus(e.ctx, e.instance, e.queue, routing.QueueDisabled) }, 0},
		{"bad status", func() error { return e.r.UpdateQueueStatus(e.ctx, e.instance, e.queue, "PAUSED") }, fault.InvalidParameter},
		{"status of unknown queue", func() error { return e.r.UpdateQueueStatus(e.ctx, e.instance, "nope", routing.QueueEnabled) }, fault.NotFound},
		{"agent queue", func() error {
			return e.r.UpdateQueueStatus(e.ctx, e.instance, routing.AgentQueueID(e.user), routing.QueueDisabled)
		}, fault.InvalidRequest},
		{"max contacts", func() error { return e.r.UpdateQueueMaxContacts(e.ctx, e.instance, e.queue, 5) }, 0},
		{"negative max contacts", func() error { return e.r.UpdateQueueMaxContacts(e.ctx, e.instance, e.queue, -1) }, fault.InvalidParameter},
		{"unknown hours", func() error { return e.r.UpdateQueueHoursOfOperation(e.ctx, e.instance, e.queue, "nope") }, fault.NotFound},
		{"hours", func() error { return e.r.UpdateQueueHoursOfOperation(e.ctx, e.instance, e.queue, e.hours) }, 0},
		{"rename", func() error { return e.r.UpdateQueueName(e.ctx, e.instance, e.queue, &name, &desc) }, 0},
		{"rename to a taken name", func() error { n := "Other"; return e.r.UpdateQueueName(e.ctx, e.instance, e.queue, &n, nil) }, fault.Duplicate},
		{"rename too long", func() error { return e.r.UpdateQueueName(e.ctx, e.instance, e.queue, &long, nil) }, fault.InvalidParameter},
		{"rename nothing", func() error { return e.r.UpdateQueueName(e.ctx, e.instance, e.queue, nil, nil) }, fault.InvalidParameter},
		{"rename other", func() error { n := "Other 2"; return e.r.UpdateQueueName(e.ctx, e.instance, other, &n, nil) }, 0},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.do(), tt.want)
	}
	q, err := e.r.Queue(e.ctx, e.instance, e.queue)
	if err != nil || q.Name != name || q.Description != desc || q.Status != routing.QueueDisabled || q.MaxContacts != 5 {
		t.Fatalf("after updates: %+v, %v", q, err)
	}
}

func TestListQueues(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	e.newQueue("Billing")
	tests := []struct {
		types []string
		want  []string // names
		code  fault.Code
	}{
		{nil, []string{"Billing", "Support", "ada"}, 0},
		{[]string{"STANDARD"}, []string{"Billing", "Support"}, 0},
		{[]string{"AGENT"}, []string{"ada"}, 0},
		{[]string{"STANDARD", "AGENT"}, []string{"Billing", "Support", "ada"}, 0},
		{[]string{"VIP"}, nil, fault.InvalidParameter},
	}
	for _, tt := range tests {
		qs, err := e.r.ListQueues(e.ctx, e.instance, tt.types)
		wantCode(t, strings.Join(tt.types, ","), err, tt.code)
		var names []string
		for _, q := range qs {
			names = append(names, q.Name)
		}
		if strings.Join(names, ",") != strings.Join(tt.want, ",") {
			t.Fatalf("ListQueues(%v): got %v, want %v", tt.types, names, tt.want)
		}
	}
	aq, err := e.r.Queue(e.ctx, e.instance, routing.AgentQueueID(e.user))
	if err != nil || aq.Name != "ada" || aq.ID != "agent/"+e.user {
		t.Fatalf("agent queue: %+v, %v", aq, err)
	}
	if _, err := e.r.Queue(e.ctx, e.instance, routing.AgentQueueID("nobody")); codeOf(err) != fault.NotFound {
		t.Fatalf("agent queue of nobody: %v", err)
	}
}

func TestRoutingProfileRules(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	with := func(f func(p *routing.RoutingProfile)) routing.RoutingProfile {
		p := e.profile("P")
		f(&p)
		return p
	}
	chat := func(n int) []routing.MediaConcurrency {
		return []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: n}}
	}
	manyQueues := func() []routing.ProfileQueue {
		var qs []routing.ProfileQueue
		for i := range 11 {
			qs = append(qs, routing.ProfileQueue{QueueID: e.queue, Channel: []string{"CHAT", "TASK", "VOICE", "EMAIL"}[i%4], Priority: i + 1})
		}
		return qs
	}
	tests := []struct {
		name string
		p    routing.RoutingProfile
		want fault.Code
	}{
		{"valid", with(func(p *routing.RoutingProfile) {}), 0},
		{"chat concurrency 0", with(func(p *routing.RoutingProfile) { p.MediaConcurrencies = chat(0) }), fault.InvalidParameter},
		{"chat concurrency 1", with(func(p *routing.RoutingProfile) { p.Name = "c1"; p.MediaConcurrencies = chat(1) }), 0},
		{"chat concurrency 10", with(func(p *routing.RoutingProfile) { p.Name = "c10"; p.MediaConcurrencies = chat(10) }), 0},
		{"chat concurrency 11", with(func(p *routing.RoutingProfile) { p.MediaConcurrencies = chat(11) }), fault.InvalidParameter},
		{"voice concurrency 2", with(func(p *routing.RoutingProfile) {
			p.MediaConcurrencies = []routing.MediaConcurrency{{Channel: routing.ChannelVoice, Concurrency: 2}}
		}), fault.InvalidParameter},
		{"task concurrency 10 any channel", with(func(p *routing.RoutingProfile) {
			p.Name = "t10"
			p.MediaConcurrencies = []routing.MediaConcurrency{{Channel: routing.ChannelTask, Concurrency: 10, CrossChannelBehavior: routing.RouteAnyChannel}}
		}), 0},
		{"channel twice", with(func(p *routing.RoutingProfile) { p.MediaConcurrencies = append(chat(1), chat(2)...) }), fault.InvalidParameter},
		{"unknown channel", with(func(p *routing.RoutingProfile) {
			p.MediaConcurrencies = []routing.MediaConcurrency{{Channel: "FAX", Concurrency: 1}}
		}), fault.InvalidParameter},
		{"bad cross-channel behavior", with(func(p *routing.RoutingProfile) {
			p.MediaConcurrencies = []routing.MediaConcurrency{{Channel: routing.ChannelChat, Concurrency: 1, CrossChannelBehavior: "SOMETIMES"}}
		}), fault.InvalidParameter},
		{"no media", with(func(p *routing.RoutingProfile) { p.MediaConcurrencies = nil }), fault.InvalidParameter},
		{"no description", with(func(p *routing.RoutingProfile) { p.Description = "" }), fault.InvalidParameter},
		{"no default outbound queue", with(func(p *routing.RoutingProfile) { p.DefaultOutboundQueueID = "" }), fault.InvalidParameter},
		{"unknown default outbound queue", with(func(p *routing.RoutingProfile) { p.DefaultOutboundQueueID = "nope" }), fault.NotFound},
		{"unknown queue", with(func(p *routing.RoutingProfile) { p.Queues[0].QueueID = "nope" }), fault.NotFound},
		{"priority 0", with(func(p *routing.RoutingProfile) { p.Queues[0].Priority = 0 }), fault.InvalidParameter},
		{"priority 100", with(func(p *routing.RoutingProfile) { p.Queues[0].Priority = 100 }), fault.InvalidParameter},
		{"delay -1", with(func(p *routing.RoutingProfile) { p.Queues[0].Delay = -1 }), fault.InvalidParameter},
		{"delay 10000", with(func(p *routing.RoutingProfile) { p.Queues[0].Delay = 10000 }), fault.InvalidParameter},
		{"delay 9999", with(func(p *routing.RoutingProfile) { p.Name = "d9999"; p.Queues[0].Delay = 9999 }), 0},
		{"queue twice", with(func(p *routing.RoutingProfile) { p.Queues = append(p.Queues, p.Queues[0]) }), fault.InvalidParameter},
		{"11 queue configs", with(func(p *routing.RoutingProfile) { p.Queues = manyQueues() }), fault.InvalidParameter},
		{"duplicate name", with(func(p *routing.RoutingProfile) {}), fault.Duplicate},
	}
	for _, tt := range tests {
		_, err := e.r.CreateRoutingProfile(e.ctx, e.instance, tt.p)
		wantCode(t, tt.name, err, tt.want)
	}
}

func TestRoutingProfileUpdates(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	p, err := e.r.CreateRoutingProfile(e.ctx, e.instance, e.profile("Agents"))
	if err != nil {
		t.Fatal(err)
	}
	second := e.newQueue("Second")
	// An agent on the profile, holding its current chat capacity.
	err = e.st.Write(e.ctx, func(tx store.Tx) error {
		return tx.PutAgent(store.Agent{InstanceID: e.instance, UserID: e.user, RoutingProfileID: p.ID, StatusID: routing.StatusOfflineID,
			StatusName: "Offline", ChatSlots: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	q2 := routing.ProfileQueue{QueueID: second, Channel: routing.ChannelChat, Priority: 2, Delay: 30}
	tests := []struct {
		name string
		do   func() error
		want fault.Code
	}{
		{"associate", func() error {
			return e.r.AssociateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueue{q2})
		}, 0},
		{"associate again", func() error {
			return e.r.AssociateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueue{q2})
		}, fault.InvalidParameter},
		{"associate unknown queue", func() error {
			return e.r.AssociateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueue{{QueueID: "nope", Channel: "CHAT", Priority: 1}})
		}, fault.NotFound},
		{"associate to unknown profile", func() error {
			return e.r.AssociateRoutingProfileQueues(e.ctx, e.instance, "nope", []routing.ProfileQueue{q2})
		}, fault.NotFound},
		{"update queue", func() error {
			return e.r.UpdateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueue{{QueueID: second, Channel: "CHAT", Priority: 3, Delay: 5}})
		}, 0},
		{"update unassociated queue", func() error {
			return e.r.UpdateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueue{{QueueID: second, Channel: "TASK", Priority: 3}})
		}, fault.InvalidParameter},
		{"concurrency 11", func() error {
			return e.r.UpdateRoutingProfileConcurrency(e.ctx, e.instance, p.ID, []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 11}})
		}, fault.InvalidParameter},
		{"concurrency 0", func() error {
			return e.r.UpdateRoutingProfileConcurrency(e.ctx, e.instance, p.ID, []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 0}})
		}, fault.InvalidParameter},
		{"concurrency 5", func() error {
			return e.r.UpdateRoutingProfileConcurrency(e.ctx, e.instance, p.ID, []routing.MediaConcurrency{{Channel: "CHAT", Concurrency: 5}})
		}, 0},
		{"add task", func() error {
			return e.r.UpdateRoutingProfileConcurrency(e.ctx, e.instance, p.ID, []routing.MediaConcurrency{{Channel: "TASK", Concurrency: 3}})
		}, 0},
		{"unknown default queue", func() error { return e.r.UpdateRoutingProfileDefaultOutboundQueue(e.ctx, e.instance, p.ID, "nope") }, fault.NotFound},
		{"default queue", func() error { return e.r.UpdateRoutingProfileDefaultOutboundQueue(e.ctx, e.instance, p.ID, second) }, 0},
		{"availability timer", func() error {
			return e.r.UpdateRoutingProfileAgentAvailabilityTimer(e.ctx, e.instance, p.ID, "TIME_SINCE_LAST_INBOUND")
		}, 0},
		{"bad availability timer", func() error { return e.r.UpdateRoutingProfileAgentAvailabilityTimer(e.ctx, e.instance, p.ID, "SOON") }, fault.InvalidParameter},
		{"disassociate", func() error {
			return e.r.DisassociateRoutingProfileQueues(e.ctx, e.instance, p.ID, []routing.ProfileQueueRef{{QueueID: e.queue, Channel: "CHAT"}})
		}, 0},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.do(), tt.want)
	}
	got, err := e.r.RoutingProfile(e.ctx, e.instance, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ChatConcurrency() != 5 || len(got.MediaConcurrencies) != 2 || got.DefaultOutboundQueueID != second ||
		len(got.Queues) != 1 || got.Queues[0] != (routing.ProfileQueue{QueueID: second, Channel: "CHAT", Priority: 3, Delay: 5}) {
		t.Fatalf("profile after updates: %+v", got)
	}
	a, err := e.st.GetAgent(e.ctx, e.instance, e.user)
	if err != nil || a.ChatSlots != 5 {
		t.Fatalf("agent after the concurrency change: %d slots (%v), want 5", a.ChatSlots, err)
	}
	qs, err := e.r.RoutingProfileQueues(e.ctx, e.instance, p.ID)
	if err != nil || len(qs) != 1 || qs[0].QueueName != "Second" {
		t.Fatalf("RoutingProfileQueues: %+v, %v", qs, err)
	}
}

// Deleting what something else uses is refused until the use is gone.
func TestDeleteInUse(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	p, err := e.r.CreateRoutingProfile(e.ctx, e.instance, e.profile("Agents"))
	if err != nil {
		t.Fatal(err)
	}
	target := e.newQueue("Target")
	qc, err := e.r.CreateQuickConnect(e.ctx, e.instance, routing.QuickConnect{Name: "To target",
		Config: routing.QuickConnectConfig{Type: routing.QuickConnectTypeQueue, QueueConfig: &routing.QueueQuickConnectConfig{QueueID: target, ContactFlowID: e.flow}}})
	if err != nil {
		t.Fatal(err)
	}
	waiting := e.newQueue("Waiting")
	err = e.st.Write(e.ctx, func(tx store.Tx) error {
		now := time.Now()
		return tx.PutContactRouting(store.ContactRouting{InstanceID: e.instance, ContactID: "c1", State: store.RoutingQueued, QueueID: waiting,
			Priority: 5, RankAt: now, EnqueuedAt: now, UpdatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.setUserProfile(p.ID)
	tests := []struct {
		name string
		do   func() error
		want fault.Code
	}{
		{"queue in a routing profile", func() error { return e.r.DeleteQueue(e.ctx, e.instance, e.queue) }, fault.InUse},
		{"queue a quick connect targets", func() error { return e.r.DeleteQueue(e.ctx, e.instance, target) }, fault.InUse},
		{"queue with a waiting contact", func() error { return e.r.DeleteQueue(e.ctx, e.instance, waiting) }, fault.InUse},
		{"hours a queue uses", func() error { return e.r.DeleteHoursOfOperation(e.ctx, e.instance, e.hours) }, fault.InUse},
		{"routing profile a user is on", func() error { return e.r.DeleteRoutingProfile(e.ctx, e.instance, p.ID) }, fault.InUse},
		{"unknown queue", func() error { return e.r.DeleteQueue(e.ctx, e.instance, "nope") }, fault.NotFound},
		{"agent queue", func() error { return e.r.DeleteQueue(e.ctx, e.instance, routing.AgentQueueID(e.user)) }, fault.InvalidRequest},
		// Take the uses away, in order.
		{"quick connect", func() error { return e.r.DeleteQuickConnect(e.ctx, e.instance, qc.ID) }, 0},
		{"queue no longer targeted", func() error { return e.r.DeleteQueue(e.ctx, e.instance, target) }, 0},
		{"user moves", func() error { e.setUserProfile(""); return nil }, 0},
		{"routing profile", func() error { return e.r.DeleteRoutingProfile(e.ctx, e.instance, p.ID) }, 0},
		{"queue no longer in a profile", func() error { return e.r.DeleteQueue(e.ctx, e.instance, e.queue) }, 0},
		{"routing profile again", func() error { return e.r.DeleteRoutingProfile(e.ctx, e.instance, p.ID) }, fault.NotFound},
	}
	for _, tt := range tests {
		wantCode(t, tt.name, tt.do(), tt.want)
	}
	// A profile's default outbound queue counts as a use too.
	p2 := e.profile("Outbound only")
	p2.DefaultOutboundQueueID, p2.Queues = waiting, nil
	if _, err := e.r.CreateRoutingProfile(e.ctx, e.instance, p2); err != nil {
		t.Fatal(err)
	}
	err = e.st.Write(e.ctx, func(tx store.Tx) error {
		return tx.PutContactRouting(store.ContactRouting{InstanceID: e.instance, ContactID: "c1", State: store.RoutingDone, QueueID: waiting})
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, "default outbound queue", e.r.DeleteQueue(e.ctx, e.instance, waiting), fault.InUse)
}

func TestHoursOfOperationRules(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	nine := routing.TimeOfDay{Hours: 9}
	tests := []struct {
		name string
		h    routing.HoursOfOperation
		want fault.Code
	}{
		{"valid", routing.HoursOfOperation{Name: "Office", TimeZone: "Europe/Paris", Config: weekdays9to5}, 0},
		{"no intervals", routing.HoursOfOperation{Name: "Closed", TimeZone: "UTC", Config: []routing.HoursConfig{}}, 0},
		{"no config", routing.HoursOfOperation{Name: "N", TimeZone: "UTC"}, fault.InvalidParameter},
		{"unknown zone", routing.HoursOfOperation{Name: "Z", TimeZone: "Europe/Atlantis", Config: weekdays9to5}, fault.InvalidParameter},
		{"no zone", routing.HoursOfOperation{Name: "Z", Config: weekdays9to5}, fault.InvalidParameter},
		{"bad day", routing.HoursOfOperation{Name: "B", TimeZone: "UTC", Config: []routing.HoursConfig{{Day: "Monday", StartTime: nine, EndTime: nine}}}, fault.InvalidParameter},
		{"hour 24", routing.HoursOfOperation{Name: "B", TimeZone: "UTC", Config: []routing.HoursConfig{{Day: "MONDAY", StartTime: nine, EndTime: routing.TimeOfDay{Hours: 24}}}}, fault.InvalidParameter},
		{"minute 60", routing.HoursOfOperation{Name: "B", TimeZone: "UTC", Config: []routing.HoursConfig{{Day: "MONDAY", StartTime: routing.TimeOfDay{Minutes: 60}, EndTime: nine}}}, fault.InvalidParameter},
		{"duplicate name", routing.HoursOfOperation{Name: "Always", TimeZone: "UTC", Config: allWeek}, fault.Duplicate},
	}
	for _, tt := range tests {
		_, err := e.r.CreateHoursOfOperation(e.ctx, e.instance, tt.h)
		wantCode(t, tt.name, err, tt.want)
	}

	tz, bad := "Asia/Tokyo", "Nowhere/Else"
	wantCode(t, "update zone", e.r.UpdateHoursOfOperation(e.ctx, e.instance, e.hours, routing.HoursUpdate{TimeZone: &tz}), 0)
	wantCode(t, "update bad zone", e.r.UpdateHoursOfOperation(e.ctx, e.instance, e.hours, routing.HoursUpdate{TimeZone: &bad}), fault.InvalidParameter)
	wantCode(t, "update unknown", e.r.UpdateHoursOfOperation(e.ctx, e.instance, "nope", routing.HoursUpdate{TimeZone: &tz}), fault.NotFound)

	o := routing.HoursOverride{Name: "Christmas", Type: routing.OverrideClosed, EffectiveFrom: "2026-12-25", EffectiveTill: "2026-12-26"}
	overrides := []struct {
		name string
		edit func(o *routing.HoursOverride)
		want fault.Code
	}{
		{"valid", func(*routing.HoursOverride) {}, 0},
		{"duplicate name", func(*routing.HoursOverride) {}, fault.Duplicate},
		{"open without intervals", func(o *routing.HoursOverride) { o.Name, o.Type = "Open", routing.OverrideOpen }, fault.InvalidParameter},
		{"open", func(o *routing.HoursOverride) {
			o.Name, o.Type = "Open", routing.OverrideOpen
			o.Config = []routing.HoursOverrideConfig{{Day: "FRIDAY", StartTime: nine, EndTime: routing.TimeOfDay{Hours: 12}}}
		}, 0},
		{"unknown type", func(o *routing.HoursOverride) { o.Name, o.Type = "T", "STANDARD" }, fault.InvalidParameter},
		{"bad date", func(o *routing.HoursOverride) { o.Name, o.EffectiveFrom = "D", "25/12/2026" }, fault.InvalidParameter},
		{"impossible date", func(o *routing.HoursOverride) { o.Name, o.EffectiveTill = "D", "2026-02-30" }, fault.InvalidParameter},
		{"till before from", func(o *routing.HoursOverride) { o.Name, o.EffectiveTill = "D", "2026-12-24" }, fault.InvalidParameter},
	}
	var firstID string
	for _, tt := range overrides {
		in := o
		tt.edit(&in)
		got, err := e.r.CreateHoursOverride(e.ctx, e.instance, e.hours, in)
		wantCode(t, "override "+tt.name, err, tt.want)
		if firstID == "" && err == nil {
			firstID = got.ID
		}
	}
	h, err := e.r.HoursOfOperation(e.ctx, e.instance, e.hours)
	if err != nil || len(h.Overrides) != 2 || h.TimeZone != "Asia/Tokyo" {
		t.Fatalf("hours after overrides: %+v, %v", h, err)
	}
	// Closed on 2026-12-25 in Tokyo: from 2026-12-24T15:00Z.
	if open, err := h.OpenAt(at("2026-12-24T16:00:00Z")); err != nil || open {
		t.Fatalf("OpenAt during the closed override: %v %v", open, err)
	}
	newName := "Open"
	wantCode(t, "rename override to a taken name", e.r.UpdateHoursOverride(e.ctx, e.instance, e.hours, firstID, routing.OverrideUpdate{Name: &newName}), fault.Duplicate)
	wantCode(t, "delete override", e.r.DeleteHoursOverride(e.ctx, e.instance, e.hours, firstID), 0)
	wantCode(t, "delete override again", e.r.DeleteHoursOverride(e.ctx, e.instance, e.hours, firstID), fault.NotFound)
	if _, err := e.r.HoursOverride(e.ctx, e.instance, e.hours, firstID); codeOf(err) != fault.NotFound {
		t.Fatalf("deleted override: %v", err)
	}
}

func TestQuickConnectRules(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	user := func(userID, flow string) routing.QuickConnectConfig {
		return routing.QuickConnectConfig{Type: routing.QuickConnectTypeUser, UserConfig: &routing.UserQuickConnectConfig{UserID: userID, ContactFlowID: flow}}
	}
	queue := func(queueID, flow string) routing.QuickConnectConfig {
		return routing.QuickConnectConfig{Type: routing.QuickConnectTypeQueue, QueueConfig: &routing.QueueQuickConnectConfig{QueueID: queueID, ContactFlowID: flow}}
	}
	phone := func(n string) routing.QuickConnectConfig {
		c := routing.QuickConnectConfig{Type: routing.QuickConnectTypePhone}
		c.PhoneConfig = &struct {
			PhoneNumber string `json:"PhoneNumber"`
		}{n}
		return c
	}
	tests := []struct {
		name string
		qc   routing.QuickConnect
		want fault.Code
	}{
		{"user", routing.QuickConnect{Name: "Ada", Config: user(e.user, e.flow)}, 0},
		{"queue", routing.QuickConnect{Name: "Support", Config: queue(e.queue, e.flow)}, 0},
		{"phone", routing.QuickConnect{Name: "Desk", Config: phone("+442071234567")}, 0},
		{"unknown user", routing.QuickConnect{Name: "U", Config: user("nobody", e.flow)}, fault.NotFound},
		{"unknown queue", routing.QuickConnect{Name: "Q", Config: queue("nope", e.flow)}, fault.NotFound},
		{"unknown flow", routing.QuickConnect{Name: "F", Config: queue(e.queue, "nope")}, fault.NotFound},
		{"no flow", routing.QuickConnect{Name: "F", Config: queue(e.queue, "")}, fault.InvalidParameter},
		{"user without config", routing.QuickConnect{Name: "N", Config: routing.QuickConnectConfig{Type: routing.QuickConnectTypeUser}}, fault.InvalidParameter},
		{"bad phone number", routing.QuickConnect{Name: "P", Config: phone("020 7123 4567")}, fault.InvalidParameter},
		{"unknown type", routing.QuickConnect{Name: "X", Config: routing.QuickConnectConfig{Type: "FLOW"}}, fault.InvalidParameter},
		{"duplicate name", routing.QuickConnect{Name: "Ada", Config: user(e.user, e.flow)}, fault.Duplicate},
	}
	ids := map[string]string{}
	for _, tt := range tests {
		qc, err := e.r.CreateQuickConnect(e.ctx, e.instance, tt.qc)
		wantCode(t, tt.name, err, tt.want)
		ids[tt.name] = qc.ID
	}
	for _, tt := range []struct {
		types []string
		want  int
	}{{nil, 3}, {[]string{"USER"}, 1}, {[]string{"QUEUE", "PHONE_NUMBER"}, 2}} {
		qcs, err := e.r.ListQuickConnects(e.ctx, e.instance, tt.types)
		if err != nil || len(qcs) != tt.want {
			t.Fatalf("ListQuickConnects(%v): %d, %v; want %d", tt.types, len(qcs), err, tt.want)
		}
	}
	// Queues list quick connects until they are deleted.
	wantCode(t, "associate", e.r.AssociateQueueQuickConnects(e.ctx, e.instance, e.queue, []string{ids["user"], ids["phone"], ids["user"]}), 0)
	wantCode(t, "associate unknown", e.r.AssociateQueueQuickConnects(e.ctx, e.instance, e.queue, []string{"nope"}), fault.NotFound)
	if qcs, err := e.r.QueueQuickConnects(e.ctx, e.instance, e.queue); err != nil || len(qcs) != 2 {
		t.Fatalf("QueueQuickConnects: %d, %v; want 2", len(qcs), err)
	}
	wantCode(t, "delete", e.r.DeleteQuickConnect(e.ctx, e.instance, ids["user"]), 0)
	q, err := e.r.Queue(e.ctx, e.instance, e.queue)
	if err != nil || len(q.QuickConnectIDs) != 1 || q.QuickConnectIDs[0] != ids["phone"] {
		t.Fatalf("queue quick connects after delete: %v, %v", q.QuickConnectIDs, err)
	}
	wantCode(t, "disassociate", e.r.DisassociateQueueQuickConnects(e.ctx, e.instance, e.queue, []string{ids["phone"]}), 0)
	wantCode(t, "update config", e.r.UpdateQuickConnectConfig(e.ctx, e.instance, ids["phone"], queue(e.queue, e.flow)), 0)
	if qc, err := e.r.QuickConnect(e.ctx, e.instance, ids["phone"]); err != nil || qc.Config.Type != routing.QuickConnectTypeQueue || qc.Config.PhoneConfig != nil {
		t.Fatalf("quick connect after UpdateQuickConnectConfig: %+v, %v", qc, err)
	}
}

func TestAgentStatusRules(t *testing.T) {
	t.Parallel()
	e := newResEnv(t)
	tests := []struct {
		name string
		st   routing.AgentStatus
		want fault.Code
	}{
		{"valid", routing.AgentStatus{Name: "Lunch", State: "ENABLED", DisplayOrder: 3}, 0},
		{"no display order", routing.AgentStatus{Name: "Training", State: "DISABLED"}, 0},
		{"type is ignored", routing.AgentStatus{Name: "Break", State: "ENABLED", Type: routing.StatusRoutable}, 0},
		{"no state", routing.AgentStatus{Name: "S"}, fault.InvalidParameter},
		{"display order 51", routing.AgentStatus{Name: "S", State: "ENABLED", DisplayOrder: 51}, fault.InvalidParameter},
		{"built-in name", routing.AgentStatus{Name: "Available", State: "ENABLED"}, fault.Duplicate},
		{"duplicate name", routing.AgentStatus{Name: "Lunch", State: "ENABLED"}, fault.Duplicate},
	}
	var lunch string
	for _, tt := range tests {
		st, err := e.r.CreateAgentStatus(e.ctx, e.instance, tt.st)
		wantCode(t, tt.name, err, tt.want)
		if tt.name == "valid" {
			lunch = st.ID
		}
	}
	all, err := e.r.ListAgentStatuses(e.ctx, e.instance, nil)
	if err != nil || len(all) != 5 || all[0].Name != "Available" || all[1].Name != "Offline" || all[2].Name != "Break" {
		t.Fatalf("ListAgentStatuses: %+v, %v", all, err)
	}
	for _, st := range all[2:] {
		if st.Type != routing.StatusCustom {
			t.Fatalf("created status %q has type %s, want CUSTOM", st.Name, st.Type)
		}
	}
	custom, err := e.r.ListAgentStatuses(e.ctx, e.instance, []string{"CUSTOM"})
	if err != nil || len(custom) != 3 {
		t.Fatalf("ListAgentStatuses(CUSTOM): %d, %v", len(custom), err)
	}
	if _, err := e.r.ListAgentStatuses(e.ctx, e.instance, []string{"BUSY"}); codeOf(err) != fault.InvalidParameter {
		t.Fatalf("ListAgentStatuses(BUSY): %v", err)
	}
	if st, err := e.r.AgentStatus(e.ctx, e.instance, routing.StatusAvailableID); err != nil || st.Type != routing.StatusRoutable {
		t.Fatalf("AgentStatus(Available): %+v, %v", st, err)
	}
	if _, err := e.r.AgentStatus(e.ctx, e.instance, "nope"); codeOf(err) != fault.NotFound {
		t.Fatalf("AgentStatus(nope): %v", err)
	}
	disabled, order := "DISABLED", 7
	wantCode(t, "update", e.r.UpdateAgentStatus(e.ctx, e.instance, lunch, routing.AgentStatusUpdate{State: &disabled, DisplayOrder: &order}), 0)
	wantCode(t, "update built-in", e.r.UpdateAgentStatus(e.ctx, e.instance, routing.StatusOfflineID, routing.AgentStatusUpdate{State: &disabled}), fault.InvalidRequest)
	wantCode(t, "reset order", e.r.UpdateAgentStatus(e.ctx, e.instance, lunch, routing.AgentStatusUpdate{ResetOrderNumber: true}), 0)
	if st, err := e.r.AgentStatus(e.ctx, e.instance, lunch); err != nil || st.State != "DISABLED" || st.DisplayOrder != 0 {
		t.Fatalf("after updates: %+v, %v", st, err)
	}
}
