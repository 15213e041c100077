package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// TransferTarget is where an agent transfers a contact: exactly one of a
// queue, an agent (their own queue) or a quick connect.
type TransferTarget struct {
	QueueID        string `json:"queueId,omitempty"`
	UserID         string `json:"userId,omitempty"`
	QuickConnectID string `json:"quickConnectId,omitempty"`
}

// Transfer moves a contact the agent is connected to into another queue
// or to another agent. The transcript stays; the chat gets a
// transfer.succeeded event, the agent leaves it and starts after-contact
// work, and the contact waits for its next agent. A target that cannot
// take it (disabled, full) leaves everything as it was, adds
// transfer.failed, and is an error.
func (s *Service) Transfer(ctx context.Context, instanceID, userID, contactID string, to TransferTarget) error {
	n := 0
	for _, v := range []string{to.QueueID, to.UserID, to.QuickConnectID} {
		if v != "" {
			n++
		}
	}
	if n != 1 {
		return fault.Errorf(fault.InvalidParameter, "Give exactly one of queueId, userId and quickConnectId")
	}
	var failure error
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		failure = nil
		if err := cx.LockRouting(instanceID); err != nil {
			return err
		}
		as, ok, err := activeAssignment(cx, instanceID, userID, cx.Contact.ID, store.AssignmentConnected)
		if err != nil {
			return err
		}
		if !ok || !cx.Active() {
			return fault.Errorf(fault.InvalidRequest, "You are not connected to contact %s", contactID)
		}
		queueID, targetUser, err := s.resolveTarget(cx, instanceID, to)
		if err != nil {
			return err
		}
		if targetUser == userID {
			return fault.Errorf(fault.InvalidParameter, "You cannot transfer a contact to yourself")
		}
		if reason, err := s.queueRefuses(cx, instanceID, queueID); err != nil {
			return err
		} else if reason != "" {
			failure = fault.Errorf(fault.LimitExceeded, "Transfer failed: %s", reason)
			return cx.AppendEvent(chat.EventTransferFailed, nil)
		}
		r, err := cx.GetContactRouting(instanceID, cx.Contact.ID)
		if err != nil {
			return err
		}
		now := s.clock()
		r.Transfers = appendTransfer(r.Transfers, transferRecord{At: now, FromUserID: userID, FromQueue: as.QueueID, ToQueueID: queueID, ToUserID: targetUser})
		r.PreviousAgentID = userID
		if err := cx.PutContactRouting(r); err != nil {
			return err
		}
		if err := s.enqueue(cx, cx.Contact, queueID, targetUser); err != nil {
			return err
		}
		if err := cx.AppendEvent(chat.EventTransferSucceeded, nil); err != nil {
			return err
		}
		return cx.RemoveParticipant(as.ParticipantID)
	})
	if err != nil {
		return fmt.Errorf("transfer contact: %w", err)
	}
	return failure
}

// resolveTarget turns a transfer target into a queue ID and, for an
// agent, the user whose own queue it is.
func (s *Service) resolveTarget(tx store.Tx, instanceID string, to TransferTarget) (queueID, userID string, err error) {
	if to.QuickConnectID != "" {
		r, err := tx.GetResource(instanceID, store.KindQuickConnect, resourceID(to.QuickConnectID))
		if errors.Is(err, store.ErrNotFound) {
			return "", "", fault.NotFoundf("QUICK_CONNECT", to.QuickConnectID, "Quick connect %s not found", to.QuickConnectID)
		} else if err != nil {
			return "", "", err
		}
		var qc QuickConnect
		if err := json.Unmarshal(r.Body, &qc); err != nil {
			return "", "", fmt.Errorf("decode quick connect: %w", err)
		}
		switch {
		case qc.Config.Type == QuickConnectTypeQueue && qc.Config.QueueConfig != nil:
			to = TransferTarget{QueueID: qc.Config.QueueConfig.QueueID}
		case qc.Config.Type == QuickConnectTypeUser && qc.Config.UserConfig != nil:
			to = TransferTarget{UserID: qc.Config.UserConfig.UserID}
		default:
			return "", "", fault.Errorf(fault.InvalidRequest, "Quick connect %s cannot transfer a chat (type %s)", qc.Name, qc.Config.Type)
		}
	}
	if to.UserID != "" {
		if _, err := getUser(tx, instanceID, resourceID(to.UserID)); err != nil {
			return "", "", err
		}
		return "", resourceID(to.UserID), nil
	}
	id := resourceID(to.QueueID)
	if _, err := tx.GetResource(instanceID, store.KindQueue, id); errors.Is(err, store.ErrNotFound) {
		return "", "", fault.NotFoundf("QUEUE", id, "Queue %s not found", id)
	} else if err != nil {
		return "", "", err
	}
	return id, "", nil
}

// queueRefuses says why a standard queue cannot take one more contact
// (disabled, at its maximum), or "" if it can. Agent queues always can.
func (s *Service) queueRefuses(tx store.Tx, instanceID, queueID string) (string, error) {
	if queueID == "" {
		return "", nil
	}
	r, err := tx.GetResource(instanceID, store.KindQueue, queueID)
	if err != nil {
		return "", err
	}
	var q Queue
	if err := json.Unmarshal(r.Body, &q); err != nil {
		return "", fmt.Errorf("decode queue: %w", err)
	}
	if q.Status == QueueDisabled {
		return fmt.Sprintf("queue %s is disabled", q.Name), nil
	}
	if q.MaxContacts > 0 {
		n, err := tx.CountQueued(instanceID, queueID)
		if err != nil {
			return "", err
		}
		if n >= q.MaxContacts {
			return fmt.Sprintf("queue %s is at capacity (%d contacts)", q.Name, q.MaxContacts), nil
		}
	}
	return "", nil
}

// EndContact is the agent's "end chat": the agent leaves it (after-
// contact work starts) and, with no one else serving the customer, the
// chat ends.
func (s *Service) EndContact(ctx context.Context, instanceID, userID, contactID string) error {
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		if err := cx.LockRouting(instanceID); err != nil {
			return err
		}
		as, ok, err := activeAssignment(cx, instanceID, userID, cx.Contact.ID, store.AssignmentConnected)
		if err != nil {
			return err
		}
		if !ok {
			return fault.Errorf(fault.InvalidRequest, "You are not connected to contact %s", contactID)
		}
		return cx.RemoveParticipant(as.ParticipantID)
	})
	if err != nil {
		return fmt.Errorf("end contact: %w", err)
	}
	return nil
}

// Monitor adds a supervisor to a live chat as a SUPERVISOR participant and
// returns their participant token; the supervisor connects with the
// participant API like any participant.
func (s *Service) Monitor(ctx context.Context, instanceID, userID, contactID string) (Accepted, error) {
	var out Accepted
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		u, err := getUser(cx, instanceID, userID)
		if err != nil {
			return err
		}
		p, err := cx.AddParticipant(store.RoleSupervisor, u.displayName())
		if err != nil {
			return err
		}
		out = Accepted{ContactID: cx.Contact.ID, ParticipantID: p.ParticipantID, ParticipantToken: p.ParticipantToken, Expiry: chat.FormatTime(p.Expiry)}
		return nil
	})
	if err != nil {
		return Accepted{}, fmt.Errorf("monitor contact: %w", err)
	}
	return out, nil
}

// LiveContact is a contact in routing, for supervisors.
type LiveContact struct {
	ContactID       string `json:"contactId"`
	State           string `json:"routingState"`
	QueueID         string `json:"queueId"`
	AgentID         string `json:"agentId,omitempty"`
	PreviousAgentID string `json:"previousAgentId,omitempty"`
	EnqueuedAt      string `json:"enqueuedAt"`
}

// LiveContacts lists the contacts of an instance that are queued, offered
// or connected to an agent, longest waiting first.
func (s *Service) LiveContacts(ctx context.Context, instanceID string) ([]LiveContact, error) {
	rs, err := s.store.ListContactRoutings(ctx, instanceID, []string{store.RoutingQueued, store.RoutingOffered, store.RoutingConnected})
	if err != nil {
		return nil, fmt.Errorf("list live contacts: %w", err)
	}
	out := make([]LiveContact, 0, len(rs))
	for _, r := range rs {
		out = append(out, LiveContact{ContactID: r.ContactID, State: r.State, QueueID: displayQueue(r),
			AgentID: r.AgentID, PreviousAgentID: r.PreviousAgentID, EnqueuedAt: chat.FormatTime(r.EnqueuedAt)})
	}
	return out, nil
}

// displayQueue is the queue ID to show for a contact's routing.
func displayQueue(r store.ContactRouting) string {
	if r.QueueID == agentQueues && r.TargetUserID != "" {
		return AgentQueueID(r.TargetUserID)
	}
	return r.QueueID
}
