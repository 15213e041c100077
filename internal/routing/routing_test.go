package routing

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

func isCode(err error, code fault.Code) bool {
	var fe *fault.Error
	return errors.As(err, &fe) && fe.Code == code
}

func TestOfferAcceptACW(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 2, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.available("ann")
		c := e.startChat()
		if r := e.routingOf(c); r.State != store.RoutingQueued || r.QueueID != "basic" {
			t.Fatalf("new chat routing: got %s in %q, want QUEUED in basic", r.State, r.QueueID)
		}
		offers := e.pass()
		if len(offers) != 1 || offers[0].UserID != "ann" || offers[0].ContactID != c {
			t.Fatalf("pass: got %+v, want one offer of %s to ann", offers, c)
		}
		if _, err := e.r.Accept(e.ctx, e.instance, "bob", c); !isCode(err, fault.NotFound) && !isCode(err, fault.Conflict) {
			t.Fatalf("accept by another agent: got %v, want a conflict", err)
		}
		acc, err := e.r.Accept(e.ctx, e.instance, "ann", c)
		if err != nil {
			t.Fatalf("accept: %v", err)
		}
		if _, err := e.r.Accept(e.ctx, e.instance, "ann", c); !isCode(err, fault.Conflict) {
			t.Fatalf("second accept: got %v, want Conflict", err)
		}
		if _, err := e.chat.CreateConnection(e.ctx, acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
			t.Fatalf("agent connects: %v", err)
		}
		ps, _ := e.st.ListParticipants(e.ctx, c)
		if len(ps) != 2 || ps[1].Role != store.RoleAgent || ps[1].DisplayName != "Agent ann" || ps[1].State != store.ParticipantConnected {
			t.Fatalf("participants after accept: %+v", ps)
		}
		info, _, err := e.r.Contact(e.ctx, e.instance, c)
		if err != nil || info.AgentID != "ann" || info.ConnectedToAgentAt.IsZero() || info.DequeuedAt.IsZero() {
			t.Fatalf("contact info after connect: %+v, %v", info, err)
		}
		e.clock.Advance(time.Minute)
		if err := e.r.EndContact(e.ctx, e.instance, "ann", c); err != nil {
			t.Fatalf("end contact: %v", err)
		}
		ct, _ := e.st.GetContact(e.ctx, e.instance, c)
		if ct.State != store.ContactEnded || ct.DisconnectReason != ReasonAgentDisconnect {
			t.Fatalf("contact after agent ended it: %s %s", ct.State, ct.DisconnectReason)
		}
		if a := e.agentState("ann"); a.ChatsUsed != 1 {
			t.Fatalf("ACW must hold the slot: ChatsUsed %d", a.ChatsUsed)
		}
		e.clock.Advance(30 * time.Second)
		if err := e.r.CompleteACW(e.ctx, e.instance, "ann", c); err != nil {
			t.Fatalf("complete ACW: %v", err)
		}
		if a := e.agentState("ann"); a.ChatsUsed != 0 {
			t.Fatalf("after ACW: ChatsUsed %d", a.ChatsUsed)
		}
		info, _, _ = e.r.Contact(e.ctx, e.instance, c)
		if info.AfterContactWorkSeconds != 30 || info.PreviousAgentID != "ann" {
			t.Fatalf("contact info after ACW: %+v", info)
		}
		e.checkInvariants()
	})
}

func TestOfferTimeoutMissedAndReoffered(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.agent("bob", "p", 0)
		e.available("ann")
		e.clock.Advance(time.Second)
		e.available("bob")
		c := e.startChat()
		if o := e.pass(); len(o) != 1 || o[0].UserID != "ann" {
			t.Fatalf("first offer: %+v, want to ann (idle longest)", o)
		}
		e.clock.Advance(DefaultOfferTimeout + time.Second)
		e.sched.RunDue(e.ctx)
		if a := e.agentState("ann"); a.StatusName != StateMissed || a.Routable || a.ChatsUsed != 0 {
			t.Fatalf("ann after timeout: %+v", a)
		}
		if _, err := e.r.Accept(e.ctx, e.instance, "ann", c); !isCode(err, fault.Conflict) {
			t.Fatalf("accepting an expired offer: got %v, want Conflict", err)
		}
		if o := e.pass(); len(o) != 1 || o[0].UserID != "bob" || o[0].ContactID != c {
			t.Fatalf("re-offer: %+v, want to bob", o)
		}
		e.checkInvariants()
	})
}

func TestRejectKeepsPlace(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.available("ann")
		first := e.startChat()
		e.clock.Advance(time.Second)
		second := e.startChat()
		e.pass()
		enq := e.routingOf(first).EnqueuedAt
		if err := e.r.Reject(e.ctx, e.instance, "ann", first); err != nil {
			t.Fatalf("reject: %v", err)
		}
		if a := e.agentState("ann"); a.StatusName != StateRejected || a.Routable {
			t.Fatalf("ann after reject: %+v", a)
		}
		if r := e.routingOf(first); r.State != store.RoutingQueued || !r.EnqueuedAt.Equal(enq) {
			t.Fatalf("rejected contact: %+v, want queued at its old place", r)
		}
		e.available("ann")
		if o := e.pass(); len(o) != 1 || o[0].ContactID != first {
			t.Fatalf("after available again: %+v, want the first contact (not %s)", o, second)
		}
		e.checkInvariants()
	})
}

func TestCapacityAndPriority(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.queue("vip", "always")
		e.profile("p", 2, ProfileQueue{QueueID: "basic", Priority: 2}, ProfileQueue{QueueID: "vip", Priority: 1})
		e.agent("ann", "p", 0)
		var basic []string
		for range 3 {
			basic = append(basic, e.startChat())
			e.clock.Advance(time.Second)
		}
		vip := e.startChat()
		if err := e.r.Transfer(e.ctx, e.instance, "nobody", vip, TransferTarget{QueueID: "vip"}); err == nil {
			t.Fatal("transfer by a stranger succeeded")
		}
		// Put the last chat in the vip queue directly.
		err := e.chat.InContact(e.ctx, e.instance, vip, func(cx *chat.Tx) error {
			if err := cx.LockRouting(e.instance); err != nil {
				return err
			}
			return e.r.enqueue(cx, cx.Contact, "vip", "")
		})
		if err != nil {
			t.Fatal(err)
		}
		e.available("ann")
		o := e.pass()
		if len(o) != 2 || o[0].ContactID != vip || o[1].ContactID != basic[0] {
			t.Fatalf("offers: %+v, want vip then the oldest basic", o)
		}
		if o := e.pass(); len(o) != 0 {
			t.Fatalf("over capacity: %+v", o)
		}
		e.checkInvariants()
	})
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.queue("billing", "always")
		e.profile("front", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.profile("back", 1, ProfileQueue{QueueID: "billing", Priority: 1})
		e.agent("ann", "front", 0)
		e.agent("bob", "back", 0)
		e.agent("cat", "front", 0)
		e.available("ann")
		c := e.startChat()
		e.pass()
		acc, err := e.r.Accept(e.ctx, e.instance, "ann", c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.chat.CreateConnection(e.ctx, acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
			t.Fatal(err)
		}
		if err := e.r.Transfer(e.ctx, e.instance, "ann", c, TransferTarget{QueueID: "billing"}); err != nil {
			t.Fatalf("transfer to queue: %v", err)
		}
		r := e.routingOf(c)
		if r.State != store.RoutingQueued || r.QueueID != "billing" || r.PreviousAgentID != "ann" {
			t.Fatalf("after transfer: %+v", r)
		}
		if ct, _ := e.st.GetContact(e.ctx, e.instance, c); ct.State != store.ContactActive {
			t.Fatal("transfer ended the chat")
		}
		items, _ := e.st.ListItems(e.ctx, store.ItemQuery{ContactID: c})
		found := false
		for _, it := range items {
			found = found || it.ContentType == chat.EventTransferSucceeded
		}
		if !found {
			t.Fatal("no transfer.succeeded event in the transcript")
		}
		if a := e.agentState("ann"); a.ChatsUsed != 1 {
			t.Fatalf("ann should be in ACW: %+v", a)
		}
		e.available("bob")
		if o := e.pass(); len(o) != 1 || o[0].UserID != "bob" {
			t.Fatalf("after transfer offers: %+v, want bob", o)
		}
		acc, err = e.r.Accept(e.ctx, e.instance, "bob", c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.chat.CreateConnection(e.ctx, acc.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
			t.Fatal(err)
		}
		// To an agent: cat, who serves only basic, gets it from her own queue.
		if err := e.r.Transfer(e.ctx, e.instance, "bob", c, TransferTarget{UserID: "cat"}); err != nil {
			t.Fatalf("transfer to agent: %v", err)
		}
		e.available("cat")
		if o := e.pass(); len(o) != 1 || o[0].UserID != "cat" || o[0].QueueID != AgentQueueID("cat") {
			t.Fatalf("agent transfer offers: %+v", o)
		}
		// A full queue refuses and the chat says so.
		e.put(store.KindQueue, "full", "full", Queue{ID: "full", Name: "full", Status: QueueDisabled})
		if _, err := e.r.Accept(e.ctx, e.instance, "cat", c); err != nil {
			t.Fatal(err)
		}
		if err := e.r.Transfer(e.ctx, e.instance, "cat", c, TransferTarget{QueueID: "full"}); !isCode(err, fault.LimitExceeded) {
			t.Fatalf("transfer to a disabled queue: got %v", err)
		}
		e.checkInvariants()
	})
}

func TestCustomerLeavesWhileOffered(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.available("ann")
		c := e.startChat()
		e.pass()
		if err := e.chat.StopContact(e.ctx, e.instance, c, ""); err != nil {
			t.Fatal(err)
		}
		if a := e.agentState("ann"); a.ChatsUsed != 0 || !a.Routable {
			t.Fatalf("ann after the offered chat ended: %+v", a)
		}
		if r := e.routingOf(c); r.State != store.RoutingDone {
			t.Fatalf("routing after end: %s", r.State)
		}
		e.checkInvariants()
	})
}

func TestOfflineWithOpenChatsAndACWLimit(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 2, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 60)
		e.available("ann")
		c := e.startChat()
		e.pass()
		acc, err := e.r.Accept(e.ctx, e.instance, "ann", c)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.r.SetStatus(e.ctx, e.instance, "ann", StatusOfflineID); err != nil {
			t.Fatal(err)
		}
		e.startChat()
		if o := e.pass(); len(o) != 0 {
			t.Fatalf("offline agent offered: %+v", o)
		}
		// The open chat goes on.
		tok, err := e.r.ParticipantToken(e.ctx, e.instance, "ann", c)
		if err != nil || tok.ParticipantID != acc.ParticipantID {
			t.Fatalf("participant token while offline: %+v %v", tok, err)
		}
		if err := e.chat.StopContact(e.ctx, e.instance, c, ""); err != nil {
			t.Fatal(err)
		}
		if a := e.agentState("ann"); a.ChatsUsed != 1 {
			t.Fatalf("ACW after end: %+v", a)
		}
		e.clock.Advance(61 * time.Second)
		e.sched.RunDue(e.ctx)
		if a := e.agentState("ann"); a.ChatsUsed != 0 {
			t.Fatalf("ACW limit did not clear: %+v", a)
		}
		e.checkInvariants()
	})
}

func TestClosedQueueWaits(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		// Open 09:00-17:00 UTC every day; the clock starts at 03:04.
		var cfg []HoursConfig
		for _, h := range allWeek() {
			h.StartTime, h.EndTime = TimeOfDay{Hours: 9}, TimeOfDay{Hours: 17}
			cfg = append(cfg, h)
		}
		e.put(store.KindHours, "office", "office", HoursOfOperation{ID: "office", Name: "office", TimeZone: "UTC", Config: cfg})
		e.queue("basic", "office")
		e.profile("p", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.available("ann")
		c := e.startChat()
		if o := e.pass(); len(o) != 0 {
			t.Fatalf("offer from a closed queue: %+v", o)
		}
		e.clock.Advance(6 * time.Hour)
		if o := e.pass(); len(o) != 1 || o[0].ContactID != c {
			t.Fatalf("after opening: %+v", o)
		}
	})
}

// TestConcurrentPassesNeverDoubleAssign races passes (as several nodes
// would) over many agents and contacts.
func TestConcurrentPassesNeverDoubleAssign(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 3, ProfileQueue{QueueID: "basic", Priority: 1})
		for i := range 8 {
			e.agent(fmt.Sprintf("a%d", i), "p", 0)
			e.available(fmt.Sprintf("a%d", i))
		}
		for range 40 {
			e.startChat()
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := e.r.pass(e.ctx, e.instance); err != nil {
					t.Errorf("pass: %v", err)
				}
			})
		}
		wg.Wait()
		e.checkInvariants()
		total := 0
		for i := range 8 {
			total += e.agentState(fmt.Sprintf("a%d", i)).ChatsUsed
		}
		if total != 24 {
			t.Fatalf("offers after racing passes: %d, want 24 (8 agents x 3)", total)
		}
	})
}

// TestRandomEvents drives routing with thousands of random events and
// checks the invariants after each: no agent over capacity, slots equal
// to assignments, no contact offered or connected twice at once, and no
// contact left waiting after a pass while an agent who may take it has a
// free slot.
func TestRandomEvents(t *testing.T) {
	t.Parallel()
	steps := 1000
	if testing.Short() {
		steps = 300
	}
	forEachDriver(t, func(t *testing.T, e *env) {
		rng := rand.New(rand.NewPCG(7, 11))
		e.queue("q2", "always")
		e.profile("p1", 2, ProfileQueue{QueueID: "basic", Priority: 1})
		e.profile("p2", 3, ProfileQueue{QueueID: "basic", Priority: 2}, ProfileQueue{QueueID: "q2", Priority: 1})
		agents := []string{"a0", "a1", "a2", "a3"}
		for i, a := range agents {
			e.agent(a, []string{"p1", "p2"}[i%2], 0)
		}
		var contacts []string
		accepted, done := 0, 0
		for step := range steps {
			a := agents[rng.IntN(len(agents))]
			switch rng.IntN(10) {
			case 0, 1:
				contacts = append(contacts, e.startChat())
			case 2:
				e.available(a)
			case 3:
				if _, err := e.r.SetStatus(e.ctx, e.instance, a, StatusOfflineID); err != nil {
					t.Fatal(err)
				}
			case 4, 5:
				for _, o := range e.offers(a) {
					if _, err := e.r.Accept(e.ctx, e.instance, a, o.ContactID); err != nil {
						t.Fatalf("step %d: accept: %v", step, err)
					}
					accepted++
				}
			case 6:
				for _, o := range e.offers(a) {
					if err := e.r.Reject(e.ctx, e.instance, a, o.ContactID); err != nil {
						t.Fatalf("step %d: reject: %v", step, err)
					}
				}
			case 7:
				e.clock.Advance(time.Duration(rng.IntN(30)) * time.Second)
				e.sched.RunDue(e.ctx)
			case 8:
				if len(contacts) > 0 {
					c := contacts[rng.IntN(len(contacts))]
					if err := e.chat.StopContact(e.ctx, e.instance, c, ""); err != nil && !isCode(err, fault.ContactNotFound) {
						t.Fatalf("step %d: stop: %v", step, err)
					}
				}
			case 9:
				as, _ := e.st.ListAssignments(e.ctx, store.AssignmentQuery{InstanceID: e.instance, UserID: a, Active: true})
				for _, x := range as {
					var err error
					switch x.State {
					case store.AssignmentConnected:
						if rng.IntN(2) == 0 {
							err = e.r.EndContact(e.ctx, e.instance, a, x.ContactID)
						} else {
							err = e.r.Transfer(e.ctx, e.instance, a, x.ContactID, TransferTarget{QueueID: "q2"})
						}
					case store.AssignmentACW:
						err = e.r.CompleteACW(e.ctx, e.instance, a, x.ContactID)
						done++
					}
					if err != nil {
						t.Fatalf("step %d: %s on %s: %v", step, x.State, x.ContactID, err)
					}
				}
			}
			e.checkInvariants()
			e.pass()
			e.checkInvariants()
			e.checkNoStarvation(step)
		}
		if accepted < steps/20 || done < steps/40 {
			t.Fatalf("the random walk did too little: %d accepted, %d after-contact works completed in %d steps", accepted, done, steps)
		}
		t.Logf("%d steps: %d contacts, %d accepted, %d after-contact works completed", steps, len(contacts), accepted, done)
	})
}

// checkNoStarvation fails if a contact waits in a queue that a routable
// agent with a free slot serves (queues here are always open, no delays).
func (e *env) checkNoStarvation(step int) {
	e.t.Helper()
	agents, _ := e.st.ListAgents(e.ctx, e.instance)
	queued, _ := e.st.ListContactRoutings(e.ctx, e.instance, []string{store.RoutingQueued})
	for _, a := range agents {
		if !a.Routable || a.ChatsUsed >= a.ChatSlots {
			continue
		}
		res, err := e.st.GetResource(e.ctx, e.instance, store.KindRoutingProfile, a.RoutingProfileID)
		if err != nil {
			e.t.Fatal(err)
		}
		p, err := decodeProfile(res)
		if err != nil {
			e.t.Fatal(err)
		}
		for _, r := range queued {
			if r.TargetUserID == a.UserID || (r.TargetUserID == "" && servesAny(p, a.UserID, []string{r.QueueID})) {
				e.t.Fatalf("step %d: contact %s waits in %s while %s has a free slot", step, r.ContactID, r.QueueID, a.UserID)
			}
		}
	}
}

func TestAdminTransferAndRoutingData(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.queue("q2", "always")
		e.profile("p", 1, ProfileQueue{QueueID: "q2", Priority: 1})
		e.agent("ann", "p", 0)
		old := e.startChat()
		e.clock.Advance(time.Minute)
		urgent := e.startChat()
		for _, c := range []string{old, urgent} {
			if err := e.r.TransferContact(e.ctx, e.instance, c, e.flow, TransferTarget{QueueID: "q2"}); err != nil {
				t.Fatalf("transfer %s: %v", c, err)
			}
		}
		if err := e.r.TransferContact(e.ctx, e.instance, old, "no-such-flow", TransferTarget{QueueID: "q2"}); !isCode(err, fault.NotFound) {
			t.Fatalf("transfer with a missing flow: got %v", err)
		}
		one := 1
		if err := e.r.UpdateRoutingData(e.ctx, e.instance, urgent, &one, nil); err != nil {
			t.Fatal(err)
		}
		e.available("ann")
		if o := e.pass(); len(o) != 1 || o[0].ContactID != urgent {
			t.Fatalf("offers: %+v, want the priority-1 contact first", o)
		}
		// Moving an offered contact withdraws the offer.
		if err := e.r.TransferContact(e.ctx, e.instance, urgent, e.flow, TransferTarget{QueueID: "basic"}); err != nil {
			t.Fatal(err)
		}
		if a := e.agentState("ann"); a.ChatsUsed != 0 || !a.Routable {
			t.Fatalf("ann after the offered contact moved: %+v", a)
		}
		e.checkInvariants()
	})
}

func TestSilentMonitorAndBarge(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 1, ProfileQueue{QueueID: "basic", Priority: 1})
		e.agent("ann", "p", 0)
		e.agent("sue", "p", 0)
		e.available("ann")
		c := e.startChat()
		e.pass()
		if _, err := e.r.Accept(e.ctx, e.instance, "ann", c); err != nil {
			t.Fatal(err)
		}
		if _, err := e.r.Monitor(e.ctx, e.instance, "sue", c, "LISTEN"); !isCode(err, fault.InvalidParameter) {
			t.Fatalf("monitor with a bad mode: %v", err)
		}
		mon, err := e.r.Monitor(e.ctx, e.instance, "sue", c, MonitorSilent)
		if err != nil {
			t.Fatalf("monitor: %v", err)
		}
		if _, err := e.chat.CreateConnection(e.ctx, mon.ParticipantToken, []string{chat.ConnCredentials}); err != nil {
			t.Fatal(err)
		}
		sess, err := e.chat.Authenticate(e.ctx, mon.ParticipantToken, store.TokenParticipant)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.chat.SendMessage(e.ctx, sess, chat.TypeTextPlain, "psst", ""); !isCode(err, fault.AccessDenied) {
			t.Fatalf("a silent monitor sent a message: %v", err)
		}
		joinedBy := func() int {
			items, _ := e.st.ListItems(e.ctx, store.ItemQuery{ContactID: c})
			n := 0
			for _, it := range items {
				if it.ContentType == chat.EventParticipantJoined && it.ParticipantID == mon.ParticipantID {
					n++
				}
			}
			return n
		}
		if n := joinedBy(); n != 0 {
			t.Fatalf("the silent monitor's join is in the transcript %d times", n)
		}
		if err := e.r.Barge(e.ctx, e.instance, "ann", c, mon.ParticipantID); !isCode(err, fault.NotFound) {
			t.Fatalf("another user barged with sue's participant: %v", err)
		}
		if err := e.r.Barge(e.ctx, e.instance, "sue", c, mon.ParticipantID); err != nil {
			t.Fatalf("barge: %v", err)
		}
		if n := joinedBy(); n != 1 {
			t.Fatalf("after barging, the supervisor's join is in the transcript %d times, want 1", n)
		}
		if _, err := e.chat.SendMessage(e.ctx, sess, chat.TypeTextPlain, "Hi, I'm the supervisor", ""); err != nil {
			t.Fatalf("a barging supervisor cannot send: %v", err)
		}
	})
}

// TestStartsAndEndsDoNotDeadlock runs chat starts, agents ending chats and
// customers leaving at once: every path takes the contact, the routing
// lock and the instance's chat count in the same order, so PostgreSQL
// never aborts one as a deadlock.
func TestStartsAndEndsDoNotDeadlock(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		e.profile("p", 10, ProfileQueue{QueueID: "basic", Priority: 1})
		for i := range 3 {
			e.agent(fmt.Sprintf("a%d", i), "p", 0)
			e.available(fmt.Sprintf("a%d", i))
		}
		var wg sync.WaitGroup
		var ended atomic.Int64
		errs := make(chan error, 1000)
		for w := range 6 {
			wg.Go(func() {
				for range 10 {
					out, err := e.chat.StartChat(e.ctx, e.instance, chat.StartInput{ContactFlowID: e.flow, DisplayName: "c"})
					if err != nil {
						errs <- fmt.Errorf("start: %w", err)
						return
					}
					if _, err := e.r.pass(e.ctx, e.instance); err != nil {
						errs <- fmt.Errorf("pass: %w", err)
						return
					}
					r, err := e.st.GetContactRouting(e.ctx, e.instance, out.ContactID)
					if err != nil || r.State != store.RoutingOffered {
						continue // another worker's pass offered it, or every slot is taken
					}
					agent := r.AgentID
					if _, err := e.r.Accept(e.ctx, e.instance, agent, out.ContactID); err == nil {
						ended.Add(1)
						if w%2 == 0 {
							err = e.r.EndContact(e.ctx, e.instance, agent, out.ContactID)
						} else {
							err = e.chat.StopContact(e.ctx, e.instance, out.ContactID, "")
						}
						if err != nil {
							errs <- fmt.Errorf("end: %w", err)
							return
						}
						if err := e.r.CompleteACW(e.ctx, e.instance, agent, out.ContactID); err != nil {
							errs <- fmt.Errorf("complete ACW: %w", err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if ended.Load() < 20 {
			t.Errorf("only %d chats were accepted and ended; the test did not exercise the end paths", ended.Load())
		}
		e.checkInvariants()
	})
}
