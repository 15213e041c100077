package routing

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// Disconnect reasons routing gives the chat service.
const ReasonAgentDisconnect = "AGENT_DISCONNECT"

func secondsDuration(n int) time.Duration { return time.Duration(n) * time.Second }

// ContactEvent implements chat.Hooks: it keeps routing in step with a
// contact's life, inside the transaction that changed the contact.
func (s *Service) ContactEvent(cx *chat.Tx, ev chat.Event) error {
	switch ev.Kind {
	case chat.ParticipantConnected:
		if ev.Participant.Role != store.RoleAgent {
			return nil
		}
		return s.agentConnected(cx, ev.Participant)
	case chat.ParticipantLeft:
		if ev.Participant.Role != store.RoleAgent {
			return nil
		}
		return s.agentLeft(cx, ev.Participant)
	case chat.ContactEnded:
		return s.contactEnded(cx)
	}
	return nil
}

// resourceID returns the last path element of an ARN, or the ID as is.
func resourceID(idOrARN string) string {
	if i := strings.LastIndexByte(idOrARN, '/'); i >= 0 && strings.HasPrefix(idOrARN, "arn:") {
		return idOrARN[i+1:]
	}
	return idOrARN
}

// enqueue puts a contact in a queue (or in an agent's own queue when
// targetUserID is set) at the back of its priority, and kicks a pass
// after the commit. A contact that was queued or offered may be in a pass
// right now: the caller must hold the routing lock then. A new contact
// needs none (no pass sees it before the commit), which keeps chat
// starts from queueing behind passes.
func (s *Service) enqueue(cx *chat.Tx, c store.Contact, queueID, targetUserID string) error {
	now := s.clock()
	r, err := cx.GetContactRouting(c.InstanceID, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		r = store.ContactRouting{InstanceID: c.InstanceID, ContactID: c.ID, Priority: DefaultPriority, Transfers: "[]"}
	} else if err != nil {
		return err
	}
	r.State, r.QueueID, r.TargetUserID = store.RoutingQueued, queueID, targetUserID
	if targetUserID != "" {
		r.QueueID = agentQueues
	}
	r.EnqueuedAt, r.RankAt, r.DequeuedAt, r.AgentID, r.UpdatedAt = now, now, time.Time{}, "", now
	if err := cx.PutContactRouting(r); err != nil {
		return err
	}
	cx.After(func(context.Context) { s.dispatch.kick(c.InstanceID) })
	return nil
}

// agentConnected records when an agent first connected to the chat.
func (s *Service) agentConnected(cx *chat.Tx, p store.Participant) error {
	as, ok, err := assignmentOf(cx, cx.Contact, p.ID)
	if err != nil || !ok || !as.ConnectedAt.IsZero() {
		return err
	}
	now := s.clock()
	as.ConnectedAt, as.UpdatedAt = now, now
	return cx.PutAssignment(as)
}

// assignmentOf finds the active assignment whose agent participant is p.
func assignmentOf(tx store.Tx, c store.Contact, participantID string) (store.Assignment, bool, error) {
	as, err := tx.ListAssignments(store.AssignmentQuery{InstanceID: c.InstanceID, ContactID: c.ID, Active: true})
	if err != nil {
		return store.Assignment{}, false, err
	}
	for _, a := range as {
		if a.ParticipantID == participantID {
			return a, true, nil
		}
	}
	return store.Assignment{}, false, nil
}

// agentLeft starts the agent's after-contact work and remembers them as
// the contact's previous agent. A contact left with no agent, and not
// being transferred, goes to its disconnect flow, or ends if it has none.
func (s *Service) agentLeft(cx *chat.Tx, p store.Participant) error {
	c := cx.Contact
	if err := cx.LockRouting(c.InstanceID); err != nil {
		return err
	}
	as, ok, err := assignmentOf(cx, c, p.ID)
	if err != nil {
		return err
	}
	if ok && as.State == store.AssignmentConnected {
		if err := s.startACW(cx, &as); err != nil {
			return err
		}
		userID := as.UserID
		cx.After(func(ctx context.Context) {
			s.notifyAgent(ctx, c.InstanceID, userID, AgentEvent{Type: EventContactACW, ContactID: c.ID, Assignment: assignmentView(as)})
		})
	}
	r, err := cx.GetContactRouting(c.InstanceID, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if ok {
		r.PreviousAgentID = as.UserID
	}
	if r.State == store.RoutingConnected && (!ok || r.AgentID == as.UserID) {
		r.State, r.AgentID = store.RoutingDone, ""
	}
	r.UpdatedAt = s.clock()
	if err := cx.PutContactRouting(r); err != nil {
		return err
	}
	if r.State != store.RoutingDone || !cx.Active() {
		return nil // requeued by a transfer, or already ending
	}
	if served, err := cx.Served(); err != nil || served {
		return err // someone still serves the customer
	}
	if s.flows != nil {
		if taken, err := s.flows.CustomerRemaining(cx); err != nil || taken {
			return err
		}
	}
	return cx.End(ReasonAgentDisconnect)
}

// contactEnded takes an ended contact out of routing: out of its queue,
// its open offer cancelled (the slot freed), its connected agents into
// after-contact work.
func (s *Service) contactEnded(cx *chat.Tx) error {
	c := cx.Contact
	if err := cx.LockRouting(c.InstanceID); err != nil {
		return err
	}
	r, err := cx.GetContactRouting(c.InstanceID, c.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	now := s.clock()
	as, err := cx.ListAssignments(store.AssignmentQuery{InstanceID: c.InstanceID, ContactID: c.ID, Active: true})
	if err != nil {
		return err
	}
	freed := false
	for _, a := range as {
		switch a.State {
		case store.AssignmentOffered:
			if err := s.withdrawOffer(cx, a); err != nil {
				return err
			}
			freed = true
		case store.AssignmentConnected:
			if err := s.startACW(cx, &a); err != nil {
				return err
			}
			r.PreviousAgentID = a.UserID
			fallthrough
		case store.AssignmentACW:
			a := a
			cx.After(func(ctx context.Context) {
				s.notifyAgent(ctx, c.InstanceID, a.UserID, AgentEvent{Type: EventContactEnded, ContactID: c.ID, Assignment: assignmentView(a)})
			})
		}
	}
	r.State, r.AgentID, r.UpdatedAt = store.RoutingDone, "", now
	if err := cx.PutContactRouting(r); err != nil {
		return err
	}
	if freed {
		cx.After(func(context.Context) { s.dispatch.kick(c.InstanceID) })
	}
	return nil
}

// withdrawOffer cancels an open offer (its contact ended or moved),
// freeing the agent's slot, and tells the agent after the commit.
func (s *Service) withdrawOffer(cx *chat.Tx, a store.Assignment) error {
	agent, err := s.closeOffer(cx, &a, store.AssignmentCancelled, "")
	if err != nil {
		return err
	}
	cx.After(func(ctx context.Context) {
		s.notifyAgent(ctx, a.InstanceID, a.UserID, AgentEvent{Type: EventOfferCancelled, ContactID: a.ContactID, Assignment: assignmentView(a)})
		s.afterAgentChange(ctx, agent)
	})
	return nil
}

// transferRecord is one entry of ContactRouting.Transfers.
type transferRecord struct {
	At         time.Time `json:"At"`
	FromUserID string    `json:"FromUserId"`
	FromQueue  string    `json:"FromQueueId,omitempty"`
	ToQueueID  string    `json:"ToQueueId,omitempty"`
	ToUserID   string    `json:"ToUserId,omitempty"`
}

func appendTransfer(raw string, t transferRecord) string {
	var list []transferRecord
	_ = json.Unmarshal([]byte(raw), &list) // a damaged list starts over
	out, _ := json.Marshal(append(list, t))
	return string(out)
}
