package flow_test

import (
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
)

// supportFlows publishes the support scenario's flows (testdata/run) and
// returns the inbound flow's ID.
func (e *env) supportFlows() string {
	e.t.Helper()
	read := func(name string) string {
		raw, err := os.ReadFile("testdata/run/" + name)
		if err != nil {
			e.t.Fatal(err)
		}
		return string(raw)
	}
	var cfg []routing.HoursConfig
	for _, d := range []string{"MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY"} {
		cfg = append(cfg, routing.HoursConfig{Day: d, StartTime: routing.TimeOfDay{Hours: 8}, EndTime: routing.TimeOfDay{Hours: 18}})
	}
	hours, err := e.r.CreateHoursOfOperation(e.ctx, e.boot.InstanceID, routing.HoursOfOperation{Name: "Office", TimeZone: "Europe/Berlin", Config: cfg})
	if err != nil {
		e.t.Fatalf("create hours: %v", err)
	}
	ids := map[string]string{"instance": e.boot.InstanceID, "hours": hours.ID}
	ids["disconnect"] = e.createFlow("Support disconnect", flow.ContactFlow, read("disconnect.json"), ids)
	ids["whisper"] = e.createFlow("Support agent whisper", flow.AgentWhisper, read("whisper.json"), ids)
	ids["queueFlow"] = e.createFlow("Support queue", flow.CustomerQueue, read("queue.json"), ids)
	return e.createFlow("Support inbound", flow.ContactFlow, read("inbound.json"), ids)
}

func countOf(list []string, s string) int {
	n := 0
	for _, x := range list {
		if strings.Contains(x, s) {
			n++
		}
	}
	return n
}

// TestProductPageScenario drives the product page's story: the inbound
// flow greets and queues the customer, the agent whisper remembers the
// agent, the agent leaves, the disconnect flow waits; the customer comes
// back and is routed to the same agent; the agent leaves again and the
// customer stays quiet: the Timeout branch ends the chat.
func TestProductPageScenario(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		inbound := e.supportFlows()
		c := e.startChat(inbound, map[string]string{"firstName": "Ana", "tier": "gold"})
		msgs := e.messages(c.contactID)
		want := []string{"Hi Ana, thanks for contacting Parley Support.", "No agent of BasicQueue is on right now; you'll wait in line.", "You're in line for BasicQueue."}
		if !slices.Equal(msgs, want) {
			t.Fatalf("messages after start: %q, want %q", msgs, want)
		}
		r := e.routingOf(c.contactID)
		if r.State != store.RoutingQueued || r.QueueID != e.boot.BasicQueueID || r.Priority != 1 {
			t.Fatalf("routing after the inbound flow: %+v, want queued in BasicQueue at priority 1", r)
		}
		attrs := e.contact(c.contactID).Attributes
		if attrs["greetedAs"] != "Ana" || attrs["channel"] != "CHAT" || attrs["entryFlow"] != "support-inbound" {
			t.Fatalf("attributes after the inbound flow: %v", attrs)
		}
		if got := e.lastLog(c.contactID, "Set working queue"); got["ContactFlowModuleType"] != "SetQueue" {
			t.Fatalf("flow log of Set working queue: %v", got)
		}

		// The queue flow reminds the customer while they wait.
		e.fire(121 * time.Second)
		if n := countOf(e.messages(c.contactID), "Still waiting"); n != 1 {
			t.Fatalf("after 2 minutes in line: %d reminders, want 1", n)
		}
		ann := e.agent("ann", "Ann") // logs in now

		e.accept(ann, c.contactID)
		attrs = e.contact(c.contactID).Attributes
		wantARN := "arn:aws:connect:eu-west-1:000000000000:instance/" + e.boot.InstanceID + "/agent/" + ann
		if attrs["lastAgentArn"] != wantARN || attrs["lastAgentName"] != "Ann" {
			t.Fatalf("attributes after the agent whisper: %v, want lastAgentArn %s", attrs, wantARN)
		}
		// The queue flow stopped when Ann accepted: no more reminders.
		e.fire(10 * time.Minute)
		if n := countOf(e.messages(c.contactID), "Still waiting"); n != 1 {
			t.Fatalf("reminders after the agent accepted: %d, want still 1", n)
		}

		// Ann leaves: the disconnect flow takes over and waits.
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if got := e.contact(c.contactID); got.State != store.ContactActive {
			t.Fatalf("contact after the agent left: %s, want ACTIVE in its disconnect flow", got.State)
		}
		if msgs := e.messages(c.contactID); msgs[len(msgs)-1] != "The agent has left. Reply within 1 hour to continue." {
			t.Fatalf("last message after the agent left: %q", msgs[len(msgs)-1])
		}

		// 40 minutes later the customer is back: Customer-return branch,
		// back to Ann's own queue.
		e.fire(40 * time.Minute)
		c.send("Hey, I'm back")
		msgs = e.messages(c.contactID)
		if want := []string{"Hey, I'm back", "Welcome back! Connecting you to ann.", "You're in line for ann."}; !slices.Equal(msgs[len(msgs)-3:], want) {
			t.Fatalf("messages after the customer returned: %q, want them to end with %q", msgs, want)
		}
		r = e.routingOf(c.contactID)
		if r.State != store.RoutingQueued && r.State != store.RoutingOffered || r.TargetUserID != ann {
			t.Fatalf("routing after the customer returned: %+v, want queued for ann", r)
		}
		if got := e.lastLog(c.contactID, "Wait for customer"); got["Results"] != flow.CustomerReturned || got["NextAction"] != "Back to agent" {
			t.Fatalf("flow log of the Wait: %v", got)
		}
		e.accept(ann, c.contactID)

		// Ann leaves again and the customer stays quiet: Timeout branch.
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		e.fire(59 * time.Minute)
		if got := e.contact(c.contactID); got.State != store.ContactActive {
			t.Fatalf("contact 59 minutes into the wait: %s, want ACTIVE", got.State)
		}
		e.fire(2 * time.Minute)
		got := e.contact(c.contactID)
		if got.State != store.ContactEnded || got.DisconnectReason != flow.ReasonFlowDisconnect {
			t.Fatalf("contact after the wait timed out: %s %s, want ENDED by the flow", got.State, got.DisconnectReason)
		}
		msgs = e.messages(c.contactID)
		if msgs[len(msgs)-1] != "We have closed this chat. Start a new one any time." {
			t.Fatalf("last message after the timeout: %q", msgs[len(msgs)-1])
		}
		if got := e.lastLog(c.contactID, "Wait for customer"); got["Results"] != flow.WaitCompleted {
			t.Fatalf("flow log of the timed-out Wait: %v", got)
		}
	})
}

// TestChatDurationCap: however often the customer leaves and returns, the
// chat ends when its duration (25 hours by default) runs out, even in the
// middle of a Wait.
func TestChatDurationCap(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		inbound := e.supportFlows()
		ann := e.agent("ann", "Ann")
		c := e.startChat(inbound, map[string]string{"firstName": "Ana"})
		start := e.clock.Now()
		returns := 0
		for e.clock.Now().Sub(start) < 24*time.Hour {
			e.accept(ann, c.contactID)
			if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
				t.Fatal(err)
			}
			if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
				t.Fatal(err)
			}
			e.fire(55 * time.Minute)
			if got := e.contact(c.contactID); got.State != store.ContactActive {
				t.Fatalf("contact ended after %s: %s", e.clock.Now().Sub(start), got.DisconnectReason)
			}
			c.send("still there?")
			returns++
		}
		e.accept(ann, c.contactID)
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		// Now in a 1-hour Wait that would end after the 25-hour mark.
		e.fire(start.Add(25*time.Hour).Sub(e.clock.Now()) + time.Second)
		got := e.contact(c.contactID)
		if got.State != store.ContactEnded || got.DisconnectReason != chat.ReasonExpired {
			t.Fatalf("contact at 25 hours: %s %q, want ENDED %s", got.State, got.DisconnectReason, chat.ReasonExpired)
		}
		if n := countOf(e.messages(c.contactID), "Welcome back"); n != returns {
			t.Fatalf("%d returns routed, want %d", n, returns)
		}
		before := len(e.logs(c.contactID))
		e.fire(2 * time.Hour)
		if after := len(e.logs(c.contactID)); after != before {
			t.Fatalf("the flow ran after the chat ended: %d new log records", after-before)
		}
	})
}

// TestDefaultFlows runs the flows bootstrap installs: greeting, queue,
// the agent whisper, and the sample disconnect flow routing a returning
// customer back to their agent.
func TestDefaultFlows(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		ann := e.agent("ann", "Ann")
		c := e.startChat(e.boot.InboundFlowID, map[string]string{"customerName": "Ana"})
		if msgs := e.messages(c.contactID); len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Hi Ana, thanks for contacting us.") {
			t.Fatalf("messages after start: %q", msgs)
		}
		e.accept(ann, c.contactID)
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		c.send("one more thing")
		r := e.routingOf(c.contactID)
		if r.State != store.RoutingQueued && r.State != store.RoutingOffered || r.TargetUserID != ann {
			t.Fatalf("routing after the customer returned: %+v, want queued for ann (online)", r)
		}
		e.accept(ann, c.contactID)
		// Ann goes offline after leaving: a returning customer goes to BasicQueue.
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.r.SetStatus(e.ctx, e.boot.InstanceID, ann, routing.StatusOfflineID); err != nil {
			t.Fatal(err)
		}
		c.send("hello again")
		r = e.routingOf(c.contactID)
		if r.State != store.RoutingQueued || r.QueueID != e.boot.BasicQueueID || r.TargetUserID != "" {
			t.Fatalf("routing after returning to an offline agent: %+v, want BasicQueue", r)
		}
		// Nobody answers for 15 minutes of the customer queue flow: the
		// customer gets reminders, the chat stays.
		e.fire(181 * time.Second)
		e.fire(181 * time.Second)
		if n := countOf(e.messages(c.contactID), "still in line"); n != 2 {
			t.Fatalf("reminders after 6 minutes: %d, want 2", n)
		}
		if !slices.ContainsFunc(e.logs(c.contactID), func(m map[string]any) bool { return m["ContactFlowName"] == "Default customer queue" }) {
			t.Fatal("no flow log from the default customer queue flow")
		}
	})
}

// TestLoopRestartsWithEachRun: a flow that runs again on the same contact
// (a disconnect flow after each agent) counts its loops afresh.
func TestLoopRestartsWithEachRun(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		disconnect := e.createFlow("Loop disconnect", flow.ContactFlow, `{"Version":"2019-10-30","StartAction":"Count","Actions":[
 {"Identifier":"Count","Type":"Loop","Parameters":{"LoopCount":"1"},"Transitions":{"NextAction":"Done","Conditions":[
   {"NextAction":"Remind","Condition":{"Operator":"Equals","Operands":["ContinueLooping"]}},
   {"NextAction":"Done","Condition":{"Operator":"Equals","Operands":["DoneLooping"]}}]}},
 {"Identifier":"Remind","Type":"MessageParticipant","Parameters":{"Text":"reminder"},"Transitions":{"NextAction":"Wait","Errors":[{"NextAction":"Wait","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Wait","Type":"Wait","Parameters":{"TimeLimitSeconds":"600","Events":["CustomerReturned"]},"Transitions":{"NextAction":"Done","Conditions":[
   {"NextAction":"Queue","Condition":{"Operator":"Equals","Operands":["CustomerReturned"]}},
   {"NextAction":"Count","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}],"Errors":[{"NextAction":"Done","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Queue","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"{{basicQueue}}"},"Transitions":{"NextAction":"Transfer","Errors":[{"NextAction":"Done","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"Done","Errors":[{"NextAction":"Done","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Done","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`, nil)
		inbound := e.createFlow("Loop inbound", flow.ContactFlow, `{"Version":"2019-10-30","StartAction":"Hook","Actions":[
 {"Identifier":"Hook","Type":"UpdateContactEventHooks","Parameters":{"EventHooks":{"CustomerRemaining":"{{disconnect}}"}},"Transitions":{"NextAction":"Queue","Errors":[{"NextAction":"Queue","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Queue","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"{{basicQueue}}"},"Transitions":{"NextAction":"Transfer","Errors":[{"NextAction":"Done","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Transfer","Type":"TransferContactToQueue","Parameters":{},"Transitions":{"NextAction":"Done","Errors":[{"NextAction":"Done","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Done","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`, map[string]string{"disconnect": disconnect})
		ann := e.agent("ann", "Ann")
		c := e.startChat(inbound, nil)
		for round := 1; round <= 3; round++ {
			e.accept(ann, c.contactID)
			if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
				t.Fatal(err)
			}
			if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
				t.Fatal(err)
			}
			if n := countOf(e.messages(c.contactID), "reminder"); n != round {
				t.Fatalf("round %d: %d reminders, want %d (the loop must restart with each run)", round, n, round)
			}
			c.send("back again")
		}
	})
}
