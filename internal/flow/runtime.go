package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/routing"
	"github.com/parley-chat/parley/internal/store"
)

// TimerKind is the kind of the durable timer of a paused flow (a Wait, or
// the deadline of an external call).
const TimerKind = "flow"

// TimerKinds lists the timer kinds HandleTimer serves.
var TimerKinds = []string{TimerKind}

func flowTimerID(contactID string) string { return TimerKind + ":" + contactID }

// Whisper parties.
const (
	whisperAgent    = "agent"
	whisperCustomer = "customer"
)

// ContactEvent implements chat.Hooks: routing hears every event first,
// then the contact's flow runs where the event concerns it.
func (s *Service) ContactEvent(cx *chat.Tx, ev chat.Event) error {
	if err := s.routing.ContactEvent(cx, ev); err != nil {
		return err
	}
	switch ev.Kind {
	case chat.ContactStarted:
		return s.startInbound(cx, ev.Flow)
	case chat.CustomerMessage:
		return s.customerMessage(cx)
	case chat.ParticipantLeft:
		if ev.Participant.Role == store.RoleCustomBot {
			return s.botLeft(cx)
		}
	}
	return nil
}

// botLeft handles a custom bot leaving an active chat: a Wait for
// BotParticipantDisconnected completes; otherwise, with no agent or bot
// left and no flow running, the disconnect flow takes over if one is set
// (without one the chat goes on, as before the bot left).
func (s *Service) botLeft(cx *chat.Tx) error {
	if !cx.Active() {
		return nil
	}
	st, err := load(cx)
	if err != nil {
		return err
	}
	if p := st.Pause; p != nil && p.Kind == pauseWait && contains(p.Events, BotParticipantDisconnected) {
		return s.resume(cx, st, outcome{result: BotParticipantDisconnected, hasResult: true})
	}
	if served, err := cx.Served(); err != nil || served {
		return err
	}
	if st.Flow.ID != "" || st.Hooks["CustomerRemaining"] == "" {
		return nil
	}
	r, err := cx.GetContactRouting(cx.Contact.InstanceID, cx.Contact.ID)
	if err == nil && r.State != store.RoutingDone {
		return nil // waiting for an agent, or with one
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	_, err = s.CustomerRemaining(cx)
	return err
}

// startInbound runs a new contact's inbound flow until it first waits,
// queues the contact or ends, in the transaction that creates the contact.
func (s *Service) startInbound(cx *chat.Tx, f store.ContactFlow) error {
	if err := CanStartChats(f); err != nil {
		return err
	}
	flow, err := s.loadVersion(cx, f.InstanceID, f.ID, f.Version)
	if err != nil {
		return err
	}
	st := &runState{InitiationMethod: cx.Contact.InitiationMethod}
	return s.start(cx, st, flowRef{ID: f.ID, Version: f.Version, Type: f.Type, Name: f.Name}, flow, phaseInbound, 0)
}

// start begins a flow on the contact and runs it.
func (s *Service) start(cx *chat.Tx, st *runState, ref flowRef, f *Flow, phase string, steps int) error {
	// A new flow run starts its loops afresh (Connect runs each disconnect
	// or queue flow on a new segment).
	st.Flow, st.Phase, st.Action, st.Pause, st.External, st.Loops = ref, phase, "", nil, nil, nil
	x := s.newExec(cx, st, ref, f)
	x.steps = steps
	return s.drive(x, f.StartAction, nil)
}

func (s *Service) newExec(cx *chat.Tx, st *runState, ref flowRef, f *Flow) *exec {
	return &exec{s: s, cx: cx, st: st, now: s.clock(), ref: ref, flow: f}
}

// drive runs x's flow from an action (resuming it with res), settles what
// the flow's end means for the contact, and saves the state.
func (s *Service) drive(x *exec, from string, res *outcome) error {
	ended, err := x.runFrom(from, res)
	if err != nil {
		return err
	}
	if ended {
		if err := s.finished(x); err != nil {
			return err
		}
	}
	return s.save(x)
}

// finished settles a flow that ended: a contact it queued goes to the
// customer queue flow, a queue flow's contact keeps waiting, and any
// other contact ends (Connect ends a chat whose flow ends unqueued).
func (s *Service) finished(x *exec) error {
	st := x.st
	st.Action, st.Pause, st.Flow = "", nil, flowRef{}
	if x.enqueued {
		x.enqueued = false
		st.Phase = phaseQueue
		id := st.Hooks["CustomerQueue"]
		if id == "" || !x.cx.Active() {
			return nil
		}
		ref, f, err := s.latest(x.cx, id)
		if err != nil || f == nil {
			x.logError("", "UpdateContactEventHooks", "the customer queue flow "+id+" is gone; the contact waits without one")
			return err
		}
		st.Flow, st.External, st.Loops = ref, nil, nil
		x.ref, x.flow = ref, f
		ended, err := x.runFrom(f.StartAction, nil)
		if err != nil || !ended {
			return err
		}
		return s.finished(x)
	}
	if st.Phase == phaseQueue {
		return nil // the queue flow ended; the contact waits silently
	}
	st.Phase = ""
	if !x.cx.Active() {
		return nil
	}
	return x.cx.End(ReasonFlowDisconnect)
}

// latest returns the published version of a flow the contact's hooks
// name; f is nil if the flow no longer exists or was never published.
func (s *Service) latest(cx *chat.Tx, flowID string) (flowRef, *Flow, error) {
	fl, err := cx.GetContactFlow(cx.Contact.InstanceID, flowID)
	if errors.Is(err, store.ErrNotFound) || err == nil && fl.Version == 0 {
		return flowRef{}, nil, nil
	} else if err != nil {
		return flowRef{}, nil, err
	}
	f, err := s.loadVersion(cx, fl.InstanceID, fl.ID, fl.Version)
	if err != nil {
		return flowRef{}, nil, err
	}
	return flowRef{ID: fl.ID, Version: fl.Version, Type: fl.Type, Name: fl.Name}, f, nil
}

// load reads the contact's flow state (an empty one if it has none).
func load(cx *chat.Tx) (*runState, error) {
	r, err := cx.GetFlowRun(cx.Contact.ID)
	if errors.Is(err, store.ErrNotFound) {
		return &runState{}, nil
	} else if err != nil {
		return nil, err
	}
	st := &runState{}
	if err := json.Unmarshal(r.State, st); err != nil {
		return nil, fmt.Errorf("flow state of contact %s: %w", cx.Contact.ID, err)
	}
	return st, nil
}

// save stores the flow state, its log records and its timer, and makes
// the external call it waits for once the transaction commits.
func (s *Service) save(x *exec) error {
	cx, st := x.cx, x.st
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("flow state: %w", err)
	}
	c := cx.Contact
	if err := cx.PutFlowRun(store.FlowRun{ContactID: c.ID, InstanceID: c.InstanceID, State: raw, UpdatedAt: x.now}); err != nil {
		return err
	}
	if len(x.logs) > 0 {
		if err := cx.AppendFlowLogs(x.logs); err != nil {
			return err
		}
		x.logs = nil
	}
	if st.Pause == nil || !cx.Active() {
		return cx.DeleteTimer(flowTimerID(c.ID))
	}
	t := store.Timer{ID: flowTimerID(c.ID), Kind: TimerKind, InstanceID: c.InstanceID, ContactID: c.ID, Due: st.Pause.Due, Payload: strconv.Itoa(st.Gen)}
	if err := cx.PutTimer(t); err != nil {
		return err
	}
	cx.After(func(context.Context) { s.kick() })
	if inv := x.invoke; inv != nil {
		x.invoke = nil
		cx.After(func(context.Context) { go s.call(c.InstanceID, c.ID, st.Gen, inv) })
	}
	return nil
}

// resume wakes a paused flow with the paused block's outcome.
func (s *Service) resume(cx *chat.Tx, st *runState, res outcome) error {
	f, err := s.loadVersion(cx, cx.Contact.InstanceID, st.Flow.ID, st.Flow.Version)
	if err != nil {
		return err
	}
	action := st.Action
	st.Pause, st.Action = nil, ""
	x := s.newExec(cx, st, st.Flow, f)
	return s.drive(x, action, &res)
}

// customerMessage wakes a Wait that waits for the customer's return.
func (s *Service) customerMessage(cx *chat.Tx) error {
	st, err := load(cx)
	if err != nil || st.Pause == nil || st.Pause.Kind != pauseWait || !contains(st.Pause.Events, CustomerReturned) {
		return err
	}
	return s.resume(cx, st, outcome{result: CustomerReturned, hasResult: true})
}

// HandleTimer fires a paused flow's timer: a Wait completes, or an
// external call whose node never answered fails.
func (s *Service) HandleTimer(ctx context.Context, t store.Timer) error {
	gen, _ := strconv.Atoi(t.Payload)
	err := s.chat.InContact(ctx, t.InstanceID, t.ContactID, func(cx *chat.Tx) error {
		if err := cx.DeleteTimer(t.ID); err != nil {
			return err
		}
		if !cx.Active() {
			return nil
		}
		st, err := load(cx)
		if err != nil || st.Pause == nil || st.Gen != gen {
			return err // stale: the flow moved on
		}
		switch st.Pause.Kind {
		case pauseWait:
			return s.resume(cx, st, outcome{result: WaitCompleted, hasResult: true})
		case pauseInvoke:
			return s.resume(cx, st, failed(NoMatchingError, "the function call did not finish (the server handling it stopped)"))
		case pauseBot:
			return s.resume(cx, st, failed("InputTimeLimitExceeded", "the bot conversation timed out"))
		}
		return nil
	})
	if isNotFound(err) {
		return nil // the contact is gone
	}
	return err
}

// CustomerRemaining implements routing.FlowHooks: the disconnect flow
// (the CustomerRemaining hook) takes over a contact its agent left.
func (s *Service) CustomerRemaining(cx *chat.Tx) (bool, error) {
	st, err := load(cx)
	if err != nil {
		return false, err
	}
	if st.Flow.ID != "" {
		return true, nil // a flow (a transfer flow) already has the contact
	}
	id := st.Hooks["CustomerRemaining"]
	if id == "" {
		return false, nil
	}
	ref, f, err := s.latest(cx, id)
	if err != nil {
		return false, err
	}
	if f == nil {
		x := s.newExec(cx, st, st.Flow, nil)
		x.logError("", "UpdateContactEventHooks", "the disconnect flow "+id+" is gone; the chat ends")
		return false, s.save(x)
	}
	st.InitiationMethod = "DISCONNECT"
	return true, s.start(cx, st, ref, f, phaseDisconnect, 0)
}

// AgentAccepted implements routing.FlowHooks: the customer queue flow
// stops, then the agent whisper and the customer whisper run.
func (s *Service) AgentAccepted(cx *chat.Tx, userID string) error {
	st, err := load(cx)
	if err != nil {
		return err
	}
	st.Flow, st.Phase, st.Action, st.Pause = flowRef{}, "", "", nil
	x := s.newExec(cx, st, flowRef{}, nil)
	for _, w := range []struct{ hook, party string }{{"AgentWhisper", whisperAgent}, {"CustomerWhisper", whisperCustomer}} {
		id := st.Hooks[w.hook]
		if id == "" {
			continue
		}
		ref, f, err := s.latest(cx, id)
		if err != nil {
			return err
		}
		if f == nil {
			x.logError("", "UpdateContactEventHooks", "the "+w.party+" whisper flow "+id+" is gone")
			continue
		}
		agent, err := s.routing.AgentInfo(cx, cx.Contact.InstanceID, userID)
		if err != nil {
			return err
		}
		x.ref, x.flow, x.whisper, x.agent = ref, f, w.party, &agent
		if _, err := x.runFrom(f.StartAction, nil); err != nil {
			return err
		}
	}
	x.ref, x.whisper = flowRef{}, ""
	return s.save(x)
}

// TransferFlow implements routing.FlowHooks: a transfer flow (type
// QUEUE_TRANSFER or AGENT_TRANSFER) takes the contact, with the
// transfer's target as its working queue. Another flow type is not run:
// the contact moves straight to the target.
func (s *Service) TransferFlow(cx *chat.Tx, flowID, queueID, userID string) (bool, error) {
	st, err := load(cx)
	if err != nil {
		return false, err
	}
	ref, f, err := s.latest(cx, flowID)
	if err != nil || f == nil || ref.Type != QueueTransfer && ref.Type != AgentTransfer {
		return false, err // not a transfer flow: the contact moves straight to its target
	}
	st.Target = target{QueueID: queueID, UserID: userID}
	st.InitiationMethod = "TRANSFER"
	return true, s.start(cx, st, ref, f, phaseInbound, 0)
}

var _ routing.FlowHooks = (*Service)(nil)
var _ chat.Hooks = (*Service)(nil)
