package routing

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/testdb"
	"github.com/parley-chat/parley/internal/timer"
)

// env is routing over a real store, with chat, timers and a recorder of
// agent events. Passes run when the test says (env.pass), not in the
// background, so every step is deterministic.
type env struct {
	t        testing.TB
	ctx      context.Context
	st       store.Store
	chat     *chat.Service
	r        *Service
	clock    *testdb.Clock
	sched    *timer.Scheduler
	instance string
	flow     string

	mu     sync.Mutex
	events map[string][]AgentEvent
}

// forEachDriver runs fn on a fresh env per store driver.
func forEachDriver(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, d := range testdb.Drivers {
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, d.Open(t)))
		})
	}
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	clk := testdb.NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	b := local.New()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	chatSvc := chat.New(st, b, chat.Config{Now: clk.Now, Logger: log})
	r := New(st, b, chatSvc, Config{Now: clk.Now, Logger: log})
	chatSvc.SetHooks(inboundHooks{r})
	e := &env{t: t, ctx: ctx, st: st, chat: chatSvc, r: r, clock: clk, instance: "inst-" + t.Name(), flow: "flow-in", events: map[string][]AgentEvent{}}
	e.instance = fmt.Sprintf("inst-%p", e)
	e.sched = timer.New(st, "test", clk.Now, log)
	for _, k := range chat.TimerKinds {
		e.sched.Handle(k, chatSvc.HandleTimer)
	}
	for _, k := range TimerKinds {
		e.sched.Handle(k, r.HandleTimer)
	}
	flow := `{"Version":"2019-10-30","StartAction":"q","Actions":[` +
		`{"Identifier":"q","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"basic"},"Transitions":{"NextAction":"t"}},` +
		`{"Identifier":"t","Type":"TransferContactToQueue","Parameters":{},"Transitions":{}}]}`
	err := st.Write(ctx, func(tx store.Tx) error {
		return tx.CreateInstance(store.NewInstance{
			Instance:  store.Instance{ID: e.instance, Region: "us-east-1", CreatedAt: clk.Now()},
			AccessKey: store.AccessKey{ID: "AK" + e.instance, InstanceID: e.instance, Secret: "s", CreatedAt: clk.Now()},
			Flows:     []store.ContactFlow{{ID: e.flow, InstanceID: e.instance, Name: "in", Type: "CONTACT_FLOW", Content: flow, CreatedAt: clk.Now()}},
		})
	})
	if err != nil {
		t.Fatalf("create instance: %v", err)
	}
	e.put(store.KindHours, "always", "Always", HoursOfOperation{ID: "always", Name: "Always", TimeZone: "UTC", Config: allWeek()})
	e.queue("basic", "always")
	return e
}

func allWeek() []HoursConfig {
	var out []HoursConfig
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"} {
		out = append(out, HoursConfig{Day: d})
	}
	return out
}

// put stores a resource as its JSON.
func (e *env) put(kind, id, name string, v any) {
	e.t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		e.t.Fatal(err)
	}
	now := e.clock.Now()
	err = e.st.Write(e.ctx, func(tx store.Tx) error {
		return tx.PutResource(store.Resource{InstanceID: e.instance, Kind: kind, ID: id, Name: name, Body: body, CreatedAt: now, UpdatedAt: now})
	})
	if err != nil {
		e.t.Fatalf("put %s %s: %v", kind, id, err)
	}
}

func (e *env) queue(id, hoursID string) {
	e.put(store.KindQueue, id, id, Queue{ID: id, Name: id, HoursOfOperationID: hoursID, Status: QueueEnabled})
}

// profile stores a routing profile with a chat concurrency and queues
// given as queueID → priority (delay 0).
func (e *env) profile(id string, chats int, queues ...ProfileQueue) {
	for i := range queues {
		queues[i].Channel = ChannelChat
	}
	e.put(store.KindRoutingProfile, id, id, RoutingProfile{ID: id, Name: id, DefaultOutboundQueueID: "basic",
		MediaConcurrencies: []MediaConcurrency{{Channel: ChannelChat, Concurrency: chats}}, Queues: queues})
}

// agent stores a user on a routing profile and subscribes to its events.
func (e *env) agent(id, profileID string, acwLimit int) {
	u := map[string]any{"Id": id, "Username": id, "RoutingProfileId": profileID, "IdentityInfo": map[string]any{"FirstName": "Agent " + id},
		"PhoneConfig": map[string]any{"PhoneType": "SOFT_PHONE", "AfterContactWorkTimeLimit": acwLimit}}
	e.put(store.KindUser, id, id, u)
	if _, err := e.r.Subscribe(e.instance, id, func(ev AgentEvent) {
		e.mu.Lock()
		e.events[id] = append(e.events[id], ev)
		e.mu.Unlock()
	}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) available(userID string) {
	e.t.Helper()
	if _, err := e.r.SetStatus(e.ctx, e.instance, userID, StatusAvailableID); err != nil {
		e.t.Fatalf("set %s available: %v", userID, err)
	}
}

// startChat starts a chat and connects its customer.
func (e *env) startChat() string {
	e.t.Helper()
	out, err := e.chat.StartChat(e.ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "Customer"})
	if err != nil {
		e.t.Fatalf("start chat: %v", err)
	}
	if _, err := e.chat.CreateConnection(e.ctx, out.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
		e.t.Fatalf("connect customer: %v", err)
	}
	return out.ContactID
}

// pass runs one routing pass and returns its offers.
func (e *env) pass() []store.Assignment {
	e.t.Helper()
	r, err := e.r.pass(e.ctx, e.instance)
	if err != nil {
		e.t.Fatalf("pass: %v", err)
	}
	return r.offers
}

// offers returns the open offers of a user.
func (e *env) offers(userID string) []store.Assignment {
	e.t.Helper()
	as, err := e.st.ListAssignments(e.ctx, store.AssignmentQuery{InstanceID: e.instance, UserID: userID, Active: true})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []store.Assignment
	for _, a := range as {
		if a.State == store.AssignmentOffered {
			out = append(out, a)
		}
	}
	return out
}

func (e *env) agentState(userID string) store.Agent {
	e.t.Helper()
	a, err := e.st.GetAgent(e.ctx, e.instance, userID)
	if err != nil {
		e.t.Fatalf("get agent %s: %v", userID, err)
	}
	return a
}

func (e *env) routingOf(contactID string) store.ContactRouting {
	e.t.Helper()
	r, err := e.st.GetContactRouting(e.ctx, e.instance, contactID)
	if err != nil {
		e.t.Fatalf("get contact routing %s: %v", contactID, err)
	}
	return r
}

// checkInvariants verifies what must hold after any event: every agent's
// used slots equal its slot-holding assignments and never exceed its
// capacity... unless the capacity shrank under it; a contact has at most
// one open offer or connected agent.
func (e *env) checkInvariants() {
	e.t.Helper()
	agents, err := e.st.ListAgents(e.ctx, e.instance)
	if err != nil {
		e.t.Fatal(err)
	}
	perContact := map[string]int{}
	for _, a := range agents {
		as, err := e.st.ListAssignments(e.ctx, store.AssignmentQuery{InstanceID: e.instance, UserID: a.UserID, Active: true})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(as) != a.ChatsUsed {
			e.t.Fatalf("agent %s: ChatsUsed %d but %d slot-holding assignments", a.UserID, a.ChatsUsed, len(as))
		}
		if a.ChatsUsed > a.ChatSlots {
			e.t.Fatalf("agent %s over capacity: %d of %d", a.UserID, a.ChatsUsed, a.ChatSlots)
		}
		for _, x := range as {
			if x.State == store.AssignmentOffered || x.State == store.AssignmentConnected {
				perContact[x.ContactID]++
			}
		}
	}
	for c, n := range perContact {
		if n > 1 {
			e.t.Fatalf("contact %s has %d open offers or connected agents at once", c, n)
		}
	}
}

// inboundHooks stands in for the flow service in routing tests: a new
// contact is queued where its flow's UpdateContactTargetQueue says, if
// the flow then transfers; everything else is routing's.
type inboundHooks struct{ r *Service }

func (h inboundHooks) ContactEvent(cx *chat.Tx, ev chat.Event) error {
	if ev.Kind != chat.ContactStarted {
		return h.r.ContactEvent(cx, ev)
	}
	var flow struct {
		Actions []struct {
			Type       string
			Parameters map[string]any
		}
	}
	if err := json.Unmarshal([]byte(ev.Flow.Content), &flow); err != nil {
		return err
	}
	queueID, transfers := "", false
	for _, a := range flow.Actions {
		switch a.Type {
		case "UpdateContactTargetQueue":
			if id, ok := a.Parameters["QueueId"].(string); ok && queueID == "" {
				queueID = resourceID(id)
			}
		case "TransferContactToQueue":
			transfers = true
		}
	}
	if !transfers || queueID == "" {
		return nil
	}
	return h.r.Enqueue(cx, queueID, "", 0, 0)
}
