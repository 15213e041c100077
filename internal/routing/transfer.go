package routing

import (
	"context"
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
	return s.transfer(ctx, instanceID, userID, contactID, to, "")
}

// transfer is Transfer through flowID, a transfer flow (or the quick
// connect's own flow when flowID is empty).
func (s *Service) transfer(ctx context.Context, instanceID, userID, contactID string, to TransferTarget, flowID string) error {
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
		queueID, targetUser, qcFlow, err := s.resolveTarget(cx, instanceID, to)
		if err != nil {
			return err
		}
		if targetUser == userID {
			return fault.Errorf(fault.InvalidParameter, "You cannot transfer a contact to yourself")
		}
		if flowID == "" {
			flowID = qcFlow
		}
		if ran, err := s.transferFlow(cx, flowID, queueID, targetUser, userID); err != nil || ran {
			if err != nil {
				return err
			}
			return cx.RemoveParticipant(as.ParticipantID)
		}
		if failure, err = s.requeue(cx, queueID, targetUser, userID); err != nil || failure != nil {
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
// agent, the user whose own queue it is; flowID is a quick connect's
// transfer flow.
func (s *Service) resolveTarget(tx store.Tx, instanceID string, to TransferTarget) (queueID, userID, flowID string, err error) {
	if to.QuickConnectID != "" {
		r, err := tx.GetResource(instanceID, store.KindQuickConnect, resourceID(to.QuickConnectID))
		if errors.Is(err, store.ErrNotFound) {
			return "", "", "", fault.NotFoundf("QUICK_CONNECT", to.QuickConnectID, "Quick connect %s not found", to.QuickConnectID)
		} else if err != nil {
			return "", "", "", err
		}
		qc, err := decodeQuickConnect(r)
		if err != nil {
			return "", "", "", err
		}
		switch {
		case qc.Config.Type == QuickConnectTypeQueue && qc.Config.QueueConfig != nil:
			to, flowID = TransferTarget{QueueID: qc.Config.QueueConfig.QueueID}, qc.Config.QueueConfig.ContactFlowID
		case qc.Config.Type == QuickConnectTypeUser && qc.Config.UserConfig != nil:
			to, flowID = TransferTarget{UserID: qc.Config.UserConfig.UserID}, qc.Config.UserConfig.ContactFlowID
		default:
			return "", "", "", fault.Errorf(fault.InvalidRequest, "Quick connect %s cannot transfer a chat (type %s)", qc.Name, qc.Config.Type)
		}
	}
	if to.UserID != "" {
		if _, err := getUser(tx, instanceID, resourceID(to.UserID)); err != nil {
			return "", "", "", err
		}
		return "", resourceID(to.UserID), resourceID(flowID), nil
	}
	id := resourceID(to.QueueID)
	if _, err := tx.GetResource(instanceID, store.KindQueue, id); errors.Is(err, store.ErrNotFound) {
		return "", "", "", fault.NotFoundf("QUEUE", id, "Queue %s not found", id)
	} else if err != nil {
		return "", "", "", err
	}
	return id, "", resourceID(flowID), nil
}

// transferFlow hands the locked contact to a transfer flow (when flowID
// names one and flows run): the contact leaves routing, the transfer is
// recorded, and the flow, whose working queue is the target, decides
// where the contact goes. ran is false when no flow ran; the caller then
// requeues the contact itself.
func (s *Service) transferFlow(cx *chat.Tx, flowID, queueID, targetUser, fromUser string) (ran bool, err error) {
	if flowID == "" || s.flows == nil {
		return false, nil
	}
	instanceID := cx.Contact.InstanceID
	as, err := cx.ListAssignments(store.AssignmentQuery{InstanceID: instanceID, ContactID: cx.Contact.ID, Active: true})
	if err != nil {
		return false, err
	}
	for _, a := range as {
		if a.State == store.AssignmentOffered {
			if err := s.withdrawOffer(cx, a); err != nil {
				return false, err
			}
		}
	}
	r, err := cx.GetContactRouting(instanceID, cx.Contact.ID)
	if errors.Is(err, store.ErrNotFound) {
		r = store.ContactRouting{InstanceID: instanceID, ContactID: cx.Contact.ID, Priority: DefaultPriority, Transfers: "[]"}
	} else if err != nil {
		return false, err
	}
	prev := r
	r.Transfers = appendTransfer(r.Transfers, transferRecord{At: s.clock(), FromUserID: fromUser, FromQueue: displayQueue(r), ToQueueID: queueID, ToUserID: targetUser})
	if fromUser != "" {
		r.PreviousAgentID = fromUser
	}
	r.State, r.AgentID, r.UpdatedAt = store.RoutingDone, "", s.clock()
	if err := cx.PutContactRouting(r); err != nil {
		return false, err
	}
	ran, err = s.flows.TransferFlow(cx, flowID, queueID, targetUser)
	if err != nil || ran {
		return ran, err
	}
	return false, cx.PutContactRouting(prev) // no such flow: transfer without one
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
	q, err := decodeQueue(r)
	if err != nil {
		return "", err
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

// Monitor modes.
const (
	// MonitorSilent: the supervisor reads the chat unseen and cannot write.
	MonitorSilent = "SILENT_MONITOR"
	// MonitorBarge: the supervisor joins visibly and may write.
	MonitorBarge = "BARGE"
)

// Monitor adds a supervisor to a live chat as a SUPERVISOR participant,
// silent (hidden from the others, read-only) or barging in, and returns
// their participant token; the supervisor connects with the participant
// API like any participant.
func (s *Service) Monitor(ctx context.Context, instanceID, userID, contactID, mode string) (Accepted, error) {
	if mode != MonitorSilent && mode != MonitorBarge {
		return Accepted{}, fault.Errorf(fault.InvalidParameter, "Monitor mode must be %s or %s", MonitorSilent, MonitorBarge)
	}
	var out Accepted
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		u, err := getUser(cx, instanceID, userID)
		if err != nil {
			return err
		}
		p, err := cx.AddParticipant(store.RoleSupervisor, u.DisplayName(), mode == MonitorSilent)
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

// Barge turns a supervisor's silent monitoring of a chat into barging in:
// the customer and agent see them join and they may write. participantID
// is the SUPERVISOR participant Monitor returned; it must carry the
// supervisor's name.
func (s *Service) Barge(ctx context.Context, instanceID, userID, contactID, participantID string) error {
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		u, err := getUser(cx, instanceID, userID)
		if err != nil {
			return err
		}
		p, err := cx.GetParticipant(participantID)
		if err != nil || p.ContactID != cx.Contact.ID || p.Role != store.RoleSupervisor || p.DisplayName != u.DisplayName() {
			return fault.NotFoundf("PARTICIPANT", participantID, "You have no monitoring participant %s in contact %s", participantID, contactID)
		}
		return cx.Reveal(p.ID)
	})
	if err != nil {
		return fmt.Errorf("barge in: %w", err)
	}
	return nil
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

// TransferContact is the admin's transfer (Connect's TransferContact): a
// waiting contact moves to another queue or agent, keeping no place; a
// contact with an agent is transferred as if that agent had done it.
// flowID names the transfer flow, which must exist; it runs on the
// contact with the target as its working queue and decides where the
// contact goes.
func (s *Service) TransferContact(ctx context.Context, instanceID, contactID, flowID string, to TransferTarget) error {
	if to.QuickConnectID != "" || (to.QueueID == "") == (to.UserID == "") {
		return fault.Errorf(fault.InvalidParameter, "Give exactly one of QueueId and UserId")
	}
	if _, err := s.store.GetContactFlow(ctx, instanceID, flowID); errors.Is(err, store.ErrNotFound) {
		return fault.NotFoundf("CONTACT_FLOW", flowID, "Contact flow %s not found", flowID)
	} else if err != nil {
		return fmt.Errorf("transfer contact: %w", err)
	}
	r, err := s.store.GetContactRouting(ctx, instanceID, resourceID(contactID))
	if err == nil && r.State == store.RoutingConnected && r.AgentID != "" {
		return s.transfer(ctx, instanceID, r.AgentID, contactID, to, resourceID(flowID))
	}
	var failure error
	err = s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		failure = nil
		if !cx.Active() {
			return fault.Errorf(fault.InvalidRequest, "Contact %s has ended", contactID)
		}
		if err := cx.LockRouting(instanceID); err != nil {
			return err
		}
		queueID, targetUser, _, err := s.resolveTarget(cx, instanceID, to)
		if err != nil {
			return err
		}
		if ran, err := s.transferFlow(cx, flowID, queueID, targetUser, ""); err != nil || ran {
			return err
		}
		failure, err = s.requeue(cx, queueID, targetUser, "")
		return err
	})
	if err != nil {
		return fmt.Errorf("transfer contact: %w", err)
	}
	return failure
}

// requeue transfers the locked contact into queueID, or into
// targetUser's own queue. A queue that cannot take it (disabled, full)
// leaves everything as it was and adds transfer.failed: failure says why.
// Otherwise an open offer is withdrawn, the transfer recorded (fromUser is
// the agent handing it over, if any, and becomes the previous agent), the
// contact queued, and transfer.succeeded added.
func (s *Service) requeue(cx *chat.Tx, queueID, targetUser, fromUser string) (failure, err error) {
	instanceID := cx.Contact.InstanceID
	if reason, err := s.queueRefuses(cx, instanceID, queueID); err != nil {
		return nil, err
	} else if reason != "" {
		return fault.Errorf(fault.LimitExceeded, "Transfer failed: %s", reason), cx.AppendEvent(chat.EventTransferFailed, nil)
	}
	as, err := cx.ListAssignments(store.AssignmentQuery{InstanceID: instanceID, ContactID: cx.Contact.ID, Active: true})
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		if a.State == store.AssignmentOffered {
			if err := s.withdrawOffer(cx, a); err != nil {
				return nil, err
			}
		}
	}
	r, err := cx.GetContactRouting(instanceID, cx.Contact.ID)
	if err == nil {
		r.Transfers = appendTransfer(r.Transfers, transferRecord{At: s.clock(), FromUserID: fromUser, FromQueue: displayQueue(r), ToQueueID: queueID, ToUserID: targetUser})
		if fromUser != "" {
			r.PreviousAgentID = fromUser
		}
		if err := cx.PutContactRouting(r); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err := s.enqueue(cx, cx.Contact, queueID, targetUser); err != nil {
		return nil, err
	}
	return nil, cx.AppendEvent(chat.EventTransferSucceeded, nil)
}

// UpdateRoutingData changes a waiting contact's priority (1 is served
// first) and/or adds to its time in queue (Connect's
// UpdateContactRoutingData); nil leaves a value as it is.
func (s *Service) UpdateRoutingData(ctx context.Context, instanceID, contactID string, priority, ageSeconds *int) error {
	if priority != nil && *priority < 1 {
		return fault.Errorf(fault.InvalidParameter, "QueuePriority must be at least 1")
	}
	if ageSeconds != nil && (*ageSeconds < -2147483648 || *ageSeconds > 2147483647) {
		return fault.Errorf(fault.InvalidParameter, "QueueTimeAdjustmentSeconds is out of range")
	}
	err := s.chat.InContact(ctx, instanceID, contactID, func(cx *chat.Tx) error {
		if !cx.Active() {
			return fault.Errorf(fault.InvalidRequest, "Contact %s has ended", contactID)
		}
		if err := cx.LockRouting(instanceID); err != nil {
			return err
		}
		r, err := cx.GetContactRouting(instanceID, cx.Contact.ID)
		if errors.Is(err, store.ErrNotFound) {
			return fault.Errorf(fault.InvalidRequest, "Contact %s is not in a queue", contactID)
		} else if err != nil {
			return err
		}
		if priority != nil {
			r.Priority = *priority
		}
		if ageSeconds != nil {
			r.RankAt = r.EnqueuedAt.Add(-secondsDuration(*ageSeconds))
		}
		r.UpdatedAt = s.clock()
		if err := cx.PutContactRouting(r); err != nil {
			return err
		}
		cx.After(func(context.Context) { s.dispatch.kick(instanceID) })
		return nil
	})
	if err != nil {
		return fmt.Errorf("update contact routing data: %w", err)
	}
	return nil
}
