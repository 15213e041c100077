package flow_test

import (
	"slices"
	"testing"

	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
)

// flowNamed returns the ID of the instance's flow with this name.
func (e *env) flowNamed(name string) string {
	e.t.Helper()
	flows, err := e.flows.ListFlows(e.ctx, e.boot.InstanceID, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, f := range flows {
		if f.Name == name {
			return f.ID
		}
	}
	e.t.Fatalf("no flow named %q", name)
	return ""
}

// TestTransferFlows: an agent's transfer through a quick connect runs the
// quick connect's transfer flow with the target as its working queue; the
// admin TransferContact API runs the flow it names.
func TestTransferFlows(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		closed, err := e.r.CreateHoursOfOperation(e.ctx, e.boot.InstanceID, routing.HoursOfOperation{Name: "Weekends", TimeZone: "UTC",
			Config: []routing.HoursConfig{{Day: "SATURDAY", StartTime: routing.TimeOfDay{Hours: 9}, EndTime: routing.TimeOfDay{Hours: 17}}}})
		if err != nil {
			t.Fatal(err)
		}
		billing, err := e.r.CreateQueue(e.ctx, e.boot.InstanceID, routing.Queue{Name: "Billing", HoursOfOperationID: closed.ID, Status: routing.QueueEnabled})
		if err != nil {
			t.Fatal(err)
		}
		toBilling, err := e.r.CreateQuickConnect(e.ctx, e.boot.InstanceID, routing.QuickConnect{Name: "Billing", Config: routing.QuickConnectConfig{
			Type: routing.QuickConnectTypeQueue, QueueConfig: &routing.QueueQuickConnectConfig{QueueID: billing.ID, ContactFlowID: e.flowNamed("Default queue transfer")}}})
		if err != nil {
			t.Fatal(err)
		}
		ann := e.agent("ann", "Ann")
		bob := e.agent("bob", "Bob")
		toBob, err := e.r.CreateQuickConnect(e.ctx, e.boot.InstanceID, routing.QuickConnect{Name: "Bob", Config: routing.QuickConnectConfig{
			Type: routing.QuickConnectTypeUser, UserConfig: &routing.UserQuickConnectConfig{UserID: bob, ContactFlowID: e.flowNamed("Default agent transfer")}}})
		if err != nil {
			t.Fatal(err)
		}

		c := e.startChat(e.boot.InboundFlowID, map[string]string{"customerName": "Ana"})
		first := ann
		e.waitOfferAny(c.contactID)
		r := e.routingOf(c.contactID)
		if r.AgentID == bob {
			first = bob
		}
		e.accept(first, c.contactID)

		// Through the queue quick connect: Billing is closed, the flow
		// says so and queues the contact there anyway.
		if err := e.r.Transfer(e.ctx, e.boot.InstanceID, first, c.contactID, routing.TransferTarget{QuickConnectID: toBilling.ID}); err != nil {
			t.Fatalf("transfer to Billing: %v", err)
		}
		msgs := e.messages(c.contactID)
		if !slices.Contains(msgs, "Billing is closed right now.") {
			t.Fatalf("messages after the queue transfer: %q", msgs)
		}
		r = e.routingOf(c.contactID)
		if r.State != store.RoutingQueued || r.QueueID != billing.ID || r.PreviousAgentID != first {
			t.Fatalf("routing after the queue transfer: %+v, want queued in Billing", r)
		}
		if got := e.contact(c.contactID); got.State != store.ContactActive {
			t.Fatalf("contact after the transfer: %s, want ACTIVE (no disconnect flow)", got.State)
		}

		// The admin API moves it on to Bob through the agent transfer flow.
		if err := e.r.TransferContact(e.ctx, e.boot.InstanceID, c.contactID, e.flowNamed("Default agent transfer"), routing.TransferTarget{UserID: bob}); err != nil {
			t.Fatalf("TransferContact to bob: %v", err)
		}
		if n := countOf(e.messages(c.contactID), "Transferring you now."); n != 1 {
			t.Fatalf("%d transfer messages, want 1", n)
		}
		if r = e.routingOf(c.contactID); r.TargetUserID != bob {
			t.Fatalf("routing after TransferContact: %+v, want queued for bob", r)
		}
		if first == bob {
			if err := e.r.CompleteACW(e.ctx, e.boot.InstanceID, bob, c.contactID); err != nil {
				t.Fatal(err)
			}
		}
		e.accept(bob, c.contactID)

		// A transfer to oneself is refused, flow or not.
		if err := e.r.Transfer(e.ctx, e.boot.InstanceID, bob, c.contactID, routing.TransferTarget{QuickConnectID: toBob.ID}); err == nil {
			t.Fatal("bob transferred a contact to himself")
		}
	})
}
