package routing

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Accepted is what accepting an offer gives the agent: a participant
// token to join the chat with the participant API.
type Accepted struct {
	ContactID        string `json:"contactId"`
	ParticipantID    string `json:"participantId"`
	ParticipantToken string `json:"participantToken"`
	Expiry           string `json:"expiry"`
}

// errOfferGone is the answer to accepting or rejecting an offer that
// expired, was cancelled or went to someone else.
func errOfferGone(contactID string) error {
	return fault.Errorf(fault.Conflict, "There is no open offer of contact %s to you: it expired, was answered or went to another agent", contactID)
}

// activeAssignment returns the user's assignment of a contact in a
// slot-holding state (an agent may have a contact in after-contact work
// and, transferred back to them, offered again).
func activeAssignment(tx store.Tx, instanceID, userID, contactID, state string) (store.Assignment, bool, error) {
	as, err := tx.ListAssignments(store.AssignmentQuery{InstanceID: instanceID, UserID: userID, ContactID: contactID, Active: true})
	if err != nil {
		return store.Assignment{}, false, err
	}
	for i := len(as) - 1; i >= 0; i-- {
		if as[i].State == state {
			return as[i], true, nil
		}
	}
	return store.Assignment{}, false, nil
}

// Accept accepts the offer of a contact to an agent: the agent becomes an
// AGENT participant of the chat (joining when they connect) and gets its
// participant token.
func (s *Service) Accept(ctx context.Context, instanceID, userID, contactID string) (Accepted, error) {
	var out Accepted
	var as store.Assignment
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		if err := cx.LockRouting(instanceID); err != nil {
			return err
		}
		now := s.clock()
		var ok bool
		var err error
		as, ok, err = activeAssignment(cx, instanceID, userID, cx.Contact.ID, store.AssignmentOffered)
		if err != nil {
			return err
		}
		if !ok || !now.Before(as.ExpiresAt) || !cx.Active() {
			return errOfferGone(contactID)
		}
		u, err := getUser(cx, instanceID, userID)
		if err != nil {
			return err
		}
		p, err := cx.AddParticipant(store.RoleAgent, u.DisplayName(), false)
		if err != nil {
			return err
		}
		as.State, as.ParticipantID, as.AcceptedAt, as.UpdatedAt = store.AssignmentConnected, p.ParticipantID, now, now
		if err := cx.PutAssignment(as); err != nil {
			return err
		}
		if err := cx.DeleteTimer(offerTimerID(as.ID)); err != nil {
			return err
		}
		r, err := cx.GetContactRouting(instanceID, cx.Contact.ID)
		if err != nil {
			return err
		}
		r.State, r.AgentID, r.DequeuedAt, r.UpdatedAt = store.RoutingConnected, userID, now, now
		if err := cx.PutContactRouting(r); err != nil {
			return err
		}
		if s.flows != nil {
			if err := s.flows.AgentAccepted(cx, userID); err != nil {
				return err
			}
		}
		out = Accepted{ContactID: cx.Contact.ID, ParticipantID: p.ParticipantID, ParticipantToken: p.ParticipantToken, Expiry: chat.FormatTime(p.Expiry)}
		return nil
	})
	if err != nil {
		return Accepted{}, fmt.Errorf("accept contact: %w", err)
	}
	s.notifyAgent(ctx, instanceID, userID, AgentEvent{Type: EventContactConnected, ContactID: as.ContactID, Assignment: assignmentView(as)})
	return out, nil
}

// ParticipantToken issues a new participant token for a contact the agent
// accepted (after a reload the workspace has lost the first one).
func (s *Service) ParticipantToken(ctx context.Context, instanceID, userID, contactID string) (Accepted, error) {
	var out Accepted
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		as, ok, err := activeAssignment(cx, instanceID, userID, cx.Contact.ID, store.AssignmentConnected)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Errorf(fault.InvalidRequest, "You are not connected to contact %s", contactID)
		}
		p, err := cx.ParticipantToken(as.ParticipantID)
		if err != nil {
			return err
		}
		out = Accepted{ContactID: cx.Contact.ID, ParticipantID: p.ParticipantID, ParticipantToken: p.ParticipantToken, Expiry: chat.FormatTime(p.Expiry)}
		return nil
	})
	if err != nil {
		return Accepted{}, fmt.Errorf("participant token: %w", err)
	}
	return out, nil
}

// Reject turns an offer down: the contact goes back to its place in the
// queue and the agent to Rejected (not routable) until they set a status.
func (s *Service) Reject(ctx context.Context, instanceID, userID, contactID string) error {
	var as store.Assignment
	var agent store.Agent
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		var ok bool
		var err error
		as, ok, err = activeAssignment(tx, instanceID, userID, contactID, store.AssignmentOffered)
		if err != nil {
			return err
		}
		if !ok {
			return errOfferGone(contactID)
		}
		agent, err = s.closeOffer(tx, &as, store.AssignmentRejected, StateRejected)
		return err
	})
	if err != nil {
		return fmt.Errorf("reject contact: %w", err)
	}
	s.notifyAgent(ctx, instanceID, userID, AgentEvent{Type: EventOfferRejected, ContactID: contactID, Assignment: assignmentView(as)})
	s.afterAgentChange(ctx, agent)
	s.dispatch.kick(instanceID)
	return nil
}

// closeOffer ends an open offer without a connection (missed, rejected):
// the slot is freed, the agent put in state (Missed, Rejected) unless
// empty, and the contact requeued at its old place if it still waits for
// this offer.
func (s *Service) closeOffer(tx store.Tx, as *store.Assignment, to, state string) (store.Agent, error) {
	now := s.clock()
	as.State, as.EndedAt, as.UpdatedAt = to, now, now
	if err := tx.PutAssignment(*as); err != nil {
		return store.Agent{}, err
	}
	if err := tx.DeleteTimer(offerTimerID(as.ID)); err != nil {
		return store.Agent{}, err
	}
	a, err := tx.GetAgent(as.InstanceID, as.UserID)
	if err != nil {
		return store.Agent{}, err
	}
	a.ChatsUsed = max(0, a.ChatsUsed-1)
	a.UpdatedAt = now
	if state != "" {
		setSystemState(&a, state)
	}
	if err := tx.PutAgent(a); err != nil {
		return store.Agent{}, err
	}
	r, err := tx.GetContactRouting(as.InstanceID, as.ContactID)
	if err != nil {
		return store.Agent{}, err
	}
	if r.State == store.RoutingOffered && r.AgentID == as.UserID {
		r.State, r.AgentID, r.UpdatedAt = store.RoutingQueued, "", now
		if err := tx.PutContactRouting(r); err != nil {
			return store.Agent{}, err
		}
	}
	return a, nil
}

// HandleTimer fires routing's timers: offer deadlines and after-contact
// work limits. It is idempotent: a timer whose effect already happened
// does nothing.
func (s *Service) HandleTimer(ctx context.Context, t store.Timer) error {
	var as store.Assignment
	var agent store.Agent
	var event string
	err := s.store.Write(ctx, func(tx store.Tx) error {
		event = ""
		if err := tx.DeleteTimer(t.ID); err != nil {
			return err
		}
		if err := tx.LockRouting(t.InstanceID); err != nil {
			return err
		}
		var err error
		as, err = tx.GetAssignment(t.InstanceID, t.Payload)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		switch {
		case t.Kind == TimerOffer && as.State == store.AssignmentOffered:
			event = EventOfferMissed
			agent, err = s.closeOffer(tx, &as, store.AssignmentMissed, StateMissed)
		case t.Kind == TimerACW && as.State == store.AssignmentACW:
			event = EventContactDone
			agent, err = s.finishACW(tx, &as)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("routing timer %s: %w", t.ID, err)
	}
	if event != "" {
		s.notifyAgent(ctx, as.InstanceID, as.UserID, AgentEvent{Type: event, ContactID: as.ContactID, Assignment: assignmentView(as)})
		s.afterAgentChange(ctx, agent)
		s.dispatch.kick(as.InstanceID)
	}
	return nil
}

// CompleteACW clears an agent's after-contact work on a contact, freeing
// the slot it held.
func (s *Service) CompleteACW(ctx context.Context, instanceID, userID, contactID string) error {
	var as store.Assignment
	var agent store.Agent
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		var ok bool
		var err error
		as, ok, err = activeAssignment(tx, instanceID, userID, contactID, store.AssignmentACW)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Errorf(fault.InvalidRequest, "Contact %s is not in after-contact work for you", contactID)
		}
		agent, err = s.finishACW(tx, &as)
		return err
	})
	if err != nil {
		return fmt.Errorf("complete after-contact work: %w", err)
	}
	s.notifyAgent(ctx, instanceID, userID, AgentEvent{Type: EventContactDone, ContactID: contactID, Assignment: assignmentView(as)})
	s.afterAgentChange(ctx, agent)
	return nil
}

// finishACW ends after-contact work and frees its slot.
func (s *Service) finishACW(tx store.Tx, as *store.Assignment) (store.Agent, error) {
	now := s.clock()
	as.State, as.EndedAt, as.UpdatedAt = store.AssignmentDone, now, now
	if err := tx.PutAssignment(*as); err != nil {
		return store.Agent{}, err
	}
	if err := tx.DeleteTimer(acwTimerID(as.ID)); err != nil {
		return store.Agent{}, err
	}
	a, err := tx.GetAgent(as.InstanceID, as.UserID)
	if err != nil {
		return store.Agent{}, err
	}
	a.ChatsUsed = max(0, a.ChatsUsed-1)
	a.UpdatedAt = now
	return a, tx.PutAgent(a)
}

// startACW moves a connected assignment to after-contact work (the agent
// left the chat, or it ended); the slot stays taken until it is cleared,
// by the agent or by their after-contact work time limit.
func (s *Service) startACW(tx store.Tx, as *store.Assignment) error {
	now := s.clock()
	as.State, as.ACWStartedAt, as.UpdatedAt = store.AssignmentACW, now, now
	if err := tx.PutAssignment(*as); err != nil {
		return err
	}
	u, err := getUser(tx, as.InstanceID, as.UserID)
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) && fe.Code == fault.NotFound {
			return nil
		}
		return err
	}
	if limit := u.PhoneConfig.AfterContactWorkTimeLimit; limit > 0 {
		// No ContactID: the contact's end deletes its timers, and after-
		// contact work outlives the contact.
		return tx.PutTimer(store.Timer{ID: acwTimerID(as.ID), Kind: TimerACW, InstanceID: as.InstanceID,
			Due: now.Add(secondsDuration(limit)), Payload: as.ID})
	}
	return nil
}
