package flow_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/bootstrap"
	"github.com/parley-chat/parley/internal/bus/local"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
	"github.com/parley-chat/parley/internal/store/testdb"
	"github.com/parley-chat/parley/internal/timer"
)

// env is a bootstrapped instance with chat, routing and flows over a real
// store, on a settable clock. Timers fire when the test says (env.fire);
// routing passes run in the background.
type env struct {
	t     testing.TB
	ctx   context.Context
	st    store.Store
	clock *testdb.Clock
	chat  *chat.Service
	r     *routing.Service
	flows *flow.Service
	dir   *auth.Directory
	sched *timer.Scheduler
	boot  bootstrap.Result
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
	ctx, cancel := context.WithCancel(context.Background())
	clk := testdb.NewClock(time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	if _, err := bootstrap.Ensure(ctx, st, dir, "eu-west-1", clk.Now(), log); err != nil {
		t.Fatalf("bootstrap: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, bootstrap.File))
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, st: st, clock: clk}
	if err := json.Unmarshal(raw, &e.boot); err != nil {
		t.Fatal(err)
	}
	b := local.New()
	e.chat = chat.New(st, b, chat.Config{Now: clk.Now, Logger: log})
	e.sched = timer.New(st, "test", clk.Now, log)
	for _, k := range chat.TimerKinds {
		e.sched.Handle(k, e.chat.HandleTimer)
	}
	e.r = routing.New(st, b, e.chat, routing.Config{Now: clk.Now, Logger: log})
	for _, k := range routing.TimerKinds {
		e.sched.Handle(k, e.r.HandleTimer)
	}
	e.flows = flow.New(st, e.chat, e.r, flow.Config{Now: clk.Now, Logger: log, Region: "eu-west-1", AccountID: "000000000000"})
	for _, k := range flow.TimerKinds {
		e.sched.Handle(k, e.flows.HandleTimer)
	}
	e.chat.SetHooks(e.flows)
	e.r.SetFlowHooks(e.flows)
	e.dir = auth.NewDirectory(st, clk.Now, log)
	e.dir.OnUserChanged = func(tx store.Tx, instanceID string, u auth.User, deleted bool) error {
		return e.r.UserChanged(tx, instanceID, u.ID, u.RoutingProfileID, deleted)
	}
	done := make(chan struct{})
	go func() { defer close(done); e.r.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return e
}

// createFlow publishes a flow; "{{basicQueue}}" and the names of flows
// in ids are replaced by their IDs first.
func (e *env) createFlow(name, flowType, content string, ids map[string]string) string {
	e.t.Helper()
	pairs := []string{"{{basicQueue}}", e.boot.BasicQueueID}
	for k, v := range ids {
		pairs = append(pairs, "{{"+k+"}}", v)
	}
	content = strings.NewReplacer(pairs...).Replace(content)
	f, err := e.flows.CreateFlow(e.ctx, e.boot.InstanceID, flow.NewFlow{Name: name, Type: flowType, Content: content})
	if err != nil {
		e.t.Fatalf("create flow %s: %v", name, err)
	}
	return f.ID
}

// agent creates an agent on the bootstrap routing profile and makes them
// Available.
func (e *env) agent(username, firstName string) string {
	e.t.Helper()
	u, err := e.dir.CreateUser(e.ctx, e.boot.InstanceID, auth.NewUser{
		Username: username, Password: "Password-123456", IdentityInfo: auth.IdentityInfo{FirstName: firstName},
		SecurityProfileIDs: []string{auth.AgentProfileID}, RoutingProfileID: e.boot.RoutingProfileID,
	})
	if err != nil {
		e.t.Fatalf("create user %s: %v", username, err)
	}
	if _, err := e.r.SetStatus(e.ctx, e.boot.InstanceID, u.ID, routing.StatusAvailableID); err != nil {
		e.t.Fatalf("set %s available: %v", username, err)
	}
	return u.ID
}

// customer is one chat's customer side.
type customer struct {
	e         *env
	contactID string
	sess      chat.Session
}

func (e *env) startChat(flowID string, attrs map[string]string) *customer {
	e.t.Helper()
	out, err := e.chat.StartChat(e.ctx, e.boot.InstanceID, chat.StartInput{ContactFlowID: flowID, DisplayName: "Ana", Attributes: attrs})
	if err != nil {
		e.t.Fatalf("start chat: %v", err)
	}
	conn, err := e.chat.CreateConnection(e.ctx, out.ParticipantToken, []string{chat.ConnCredentials})
	if err != nil {
		e.t.Fatalf("connect customer: %v", err)
	}
	sess, err := e.chat.Authenticate(e.ctx, conn.ConnectionToken, store.TokenConnection)
	if err != nil {
		e.t.Fatalf("authenticate customer: %v", err)
	}
	return &customer{e: e, contactID: out.ContactID, sess: sess}
}

func (c *customer) send(text string) {
	c.e.t.Helper()
	if _, err := c.e.chat.SendMessage(c.e.ctx, c.sess, "text/plain", text, ""); err != nil {
		c.e.t.Fatalf("send %q: %v", text, err)
	}
}

// messages returns the contents of the contact's messages, in order.
func (e *env) messages(contactID string) []string {
	e.t.Helper()
	items, err := e.st.ListItems(e.ctx, store.ItemQuery{ContactID: contactID})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		if it.Type == store.ItemMessage {
			out = append(out, it.Content)
		}
	}
	return out
}

// waitOffer waits for the routing dispatcher to offer a contact to a user.
func (e *env) waitOffer(userID, contactID string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		as, err := e.st.ListAssignments(e.ctx, store.AssignmentQuery{InstanceID: e.boot.InstanceID, UserID: userID, Active: true})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range as {
			if a.ContactID == contactID && a.State == store.AssignmentOffered {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	a, _ := e.st.GetAgent(e.ctx, e.boot.InstanceID, userID)
	r, _ := e.st.GetContactRouting(e.ctx, e.boot.InstanceID, contactID)
	e.t.Fatalf("contact %s was not offered to %s\nagent: %+v\nrouting: %+v", contactID, userID, a, r)
}

// accept waits for the offer and accepts it.
func (e *env) accept(userID, contactID string) {
	e.t.Helper()
	e.waitOffer(userID, contactID)
	acc, err := e.r.Accept(e.ctx, e.boot.InstanceID, userID, contactID)
	if err != nil {
		e.t.Fatalf("accept: %v", err)
	}
	if _, err := e.chat.CreateConnection(e.ctx, acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
		e.t.Fatalf("connect agent: %v", err)
	}
}

// fire advances the clock and fires every timer then due.
func (e *env) fire(d time.Duration) {
	e.t.Helper()
	e.clock.Advance(d)
	for e.sched.RunDue(e.ctx) > 0 {
	}
}

func (e *env) contact(id string) store.Contact {
	e.t.Helper()
	c, err := e.st.GetContact(e.ctx, e.boot.InstanceID, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *env) routingOf(id string) store.ContactRouting {
	e.t.Helper()
	r, err := e.st.GetContactRouting(e.ctx, e.boot.InstanceID, id)
	if err != nil {
		e.t.Fatalf("routing of %s: %v", id, err)
	}
	return r
}

// logs returns the flow-log records of a contact.
func (e *env) logs(contactID string) []map[string]any {
	e.t.Helper()
	ls, err := e.st.ListFlowLogs(e.ctx, e.boot.InstanceID, contactID, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []map[string]any
	for _, l := range ls {
		var m map[string]any
		if err := json.Unmarshal(l.Record, &m); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, m)
	}
	return out
}

// lastLog returns the last flow-log record of an action.
func (e *env) lastLog(contactID, identifier string) map[string]any {
	e.t.Helper()
	var found map[string]any
	for _, m := range e.logs(contactID) {
		if m["Identifier"] == identifier {
			found = m
		}
	}
	if found == nil {
		e.t.Fatalf("no flow log of %s for contact %s", identifier, contactID)
	}
	return found
}

// waitOfferAny waits until the contact is offered to someone.
func (e *env) waitOfferAny(contactID string) {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if r, err := e.st.GetContactRouting(e.ctx, e.boot.InstanceID, contactID); err == nil && r.State == store.RoutingOffered {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatalf("contact %s was never offered", contactID)
}
