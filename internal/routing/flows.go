package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/store"
)

// FlowHooks lets contact flows act at the routing moments they own. Both
// are called inside the transaction that holds the contact.
type FlowHooks interface {
	// CustomerRemaining is called when the last agent left an active
	// contact and no bot serves it. It reports whether a flow (the
	// disconnect flow) took the contact over; if not, the chat ends.
	CustomerRemaining(cx *chat.Tx) (bool, error)
	// AgentAccepted is called when an agent accepted the contact: the
	// customer queue flow stops and the whisper flows run.
	AgentAccepted(cx *chat.Tx, userID string) error
	// TransferFlow runs a transfer flow on a contact an agent or the API
	// transfers, with the transfer's target (a queue, or an agent's queue)
	// as its working queue. It reports false if the flow does not exist
	// or was never published.
	TransferFlow(cx *chat.Tx, flowID, queueID, userID string) (bool, error)
}

// SetFlowHooks installs the flow hooks. Call it once, before serving.
func (s *Service) SetFlowHooks(h FlowHooks) { s.flows = h }

// Reasons Enqueue refuses a contact, as the flow language's error types.
var (
	// ErrQueueAtCapacity: the queue is disabled or holds its maximum.
	ErrQueueAtCapacity = errors.New("QueueAtCapacity")
	// ErrAlreadyRouted: the contact already waits in a queue or has an agent.
	ErrAlreadyRouted = errors.New("contact is already queued or connected to an agent")
)

// Enqueue puts the locked contact in a queue (queueID) or in an agent's
// own queue (userID), as a flow's TransferContactToQueue does. priority
// (0: the default) and ageSeconds adjust its place. It fails with
// ErrQueueAtCapacity or ErrAlreadyRouted, leaving everything as it was.
func (s *Service) Enqueue(cx *chat.Tx, queueID, userID string, priority, ageSeconds int) error {
	c := cx.Contact
	r, err := cx.GetContactRouting(c.InstanceID, c.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		// A contact routing has never seen: no pass can hold it, so no
		// routing lock is needed (chat starts do not wait for passes).
	case err != nil:
		return err
	default:
		if err := cx.LockRouting(c.InstanceID); err != nil {
			return err
		}
		if r, err = cx.GetContactRouting(c.InstanceID, c.ID); err != nil {
			return err
		}
		if r.State != store.RoutingDone {
			return ErrAlreadyRouted
		}
	}
	if userID != "" {
		if _, err := getUser(cx, c.InstanceID, userID); err != nil {
			return err
		}
		queueID = ""
	}
	if reason, err := s.queueRefuses(cx, c.InstanceID, queueID); err != nil {
		return err
	} else if reason != "" {
		return fmt.Errorf("%w: %s", ErrQueueAtCapacity, reason)
	}
	if err := s.enqueue(cx, c, queueID, userID); err != nil {
		return err
	}
	if priority == 0 && ageSeconds == 0 {
		return nil
	}
	r, err = cx.GetContactRouting(c.InstanceID, c.ID)
	if err != nil {
		return err
	}
	if priority > 0 {
		r.Priority = priority
	}
	r.RankAt = r.RankAt.Add(-secondsDuration(ageSeconds))
	return cx.PutContactRouting(r)
}

// FlowQueue is a queue as a flow sees it ($.Queue).
type FlowQueue struct {
	ID      string // the queue's ID, or AgentQueueID(UserID)
	Name    string
	HoursID string // empty: always open
	// UserID is set for an agent's own queue.
	UserID string
}

// QueueForFlow returns a standard queue, or an agent's queue when userID
// is set; fault NotFound if it does not exist.
func (s *Service) QueueForFlow(tx store.Tx, instanceID, queueID, userID string) (FlowQueue, error) {
	if userID != "" {
		u, err := getUser(tx, instanceID, userID)
		if err != nil {
			return FlowQueue{}, err
		}
		return FlowQueue{ID: AgentQueueID(userID), Name: u.Username, UserID: userID}, nil
	}
	r, err := txGet(tx, instanceID, kindQueue, queueID)
	if err != nil {
		return FlowQueue{}, err
	}
	q, err := decodeQueue(r)
	if err != nil {
		return FlowQueue{}, err
	}
	return FlowQueue{ID: q.ID, Name: q.Name, HoursID: q.HoursOfOperationID}, nil
}

// HoursOpen reports whether hours of operation are open at t; fault
// NotFound if they do not exist.
func (s *Service) HoursOpen(tx store.Tx, instanceID, hoursID string, t time.Time) (bool, error) {
	r, err := txGet(tx, instanceID, kindHours, hoursID)
	if err != nil {
		return false, err
	}
	h, err := decodeHours(r)
	if err != nil {
		return false, err
	}
	return h.OpenAt(t)
}

// QueueMetrics are a queue's live numbers, as CheckMetricData and
// GetMetricData read them.
type QueueMetrics struct {
	// Agents whose routing profile serves the queue (or the one agent of
	// an agent queue), by state.
	Online, Available, Staffed, AfterContactWork, Busy, Missed, NonProductive int
	// Contacts waiting in the queue, and how long the oldest has waited.
	InQueue          int
	OldestContactAge time.Duration
}

// QueueMetricsFor counts a queue's agents and waiting contacts at now.
func (s *Service) QueueMetricsFor(tx store.Tx, instanceID string, q FlowQueue, now time.Time) (QueueMetrics, error) {
	var m QueueMetrics
	serves := map[string]bool{} // routing profile → serves the queue
	if q.UserID == "" {
		profiles, err := txList(tx, instanceID, store.KindRoutingProfile, decodeProfile)
		if err != nil {
			return m, err
		}
		for _, p := range profiles {
			for _, pq := range p.Queues {
				if pq.QueueID == q.ID && pq.Channel == ChannelChat {
					serves[p.ID] = true
				}
			}
		}
	}
	agents, err := tx.ListAgents(instanceID)
	if err != nil {
		return m, err
	}
	acw := map[string]bool{}
	active, err := tx.ListAssignments(store.AssignmentQuery{InstanceID: instanceID, Active: true})
	if err != nil {
		return m, err
	}
	for _, a := range active {
		if a.State == store.AssignmentACW {
			acw[a.UserID] = true
		}
	}
	for _, a := range agents {
		if q.UserID != "" && a.UserID != q.UserID || q.UserID == "" && !serves[a.RoutingProfileID] {
			continue
		}
		if a.StatusID == StatusOfflineID && a.ChatsUsed == 0 {
			continue
		}
		m.Online++
		switch {
		case a.StatusID == "":
			m.Missed++ // a system state: missed or rejected an offer
		case a.Routable && a.ChatsUsed < a.ChatSlots:
			m.Available++
		case !a.Routable && a.ChatsUsed == 0:
			m.NonProductive++
		}
		if acw[a.UserID] {
			m.AfterContactWork++
		} else if a.ChatsUsed > 0 {
			m.Busy++
		}
		if a.Routable || a.ChatsUsed > 0 {
			m.Staffed++
		}
	}
	queueID := q.ID
	if q.UserID != "" {
		queueID = agentQueues
	}
	queued, err := tx.ListQueued(instanceID, map[string]int{queueID: 0})
	if err != nil {
		return m, err
	}
	for _, r := range queued[queueID] {
		if q.UserID != "" && r.TargetUserID != q.UserID {
			continue
		}
		m.InQueue++
		if age := now.Sub(r.EnqueuedAt); age > m.OldestContactAge {
			m.OldestContactAge = age
		}
	}
	return m, nil
}

// AgentForFlow is an agent as whisper flows see it ($.Agent).
type AgentForFlow struct {
	UserID, Username, FirstName, LastName string
}

// AgentInfo returns a user's names for $.Agent.
func (s *Service) AgentInfo(tx store.Tx, instanceID, userID string) (AgentForFlow, error) {
	u, err := getUser(tx, instanceID, userID)
	if err != nil {
		return AgentForFlow{}, err
	}
	return AgentForFlow{UserID: u.ID, Username: u.Username, FirstName: u.IdentityInfo.FirstName, LastName: u.IdentityInfo.LastName}, nil
}

// Whisper delivers an agent whisper message to the agent's workspace
// after the commit (it is not part of the transcript).
func (s *Service) Whisper(cx *chat.Tx, userID, text string) {
	c := cx.Contact
	cx.After(func(ctx context.Context) {
		s.notifyAgent(ctx, c.InstanceID, userID, AgentEvent{Type: EventWhisper, ContactID: c.ID, Text: text})
	})
}

// Requeue moves a waiting contact to another queue (queueID) or to an
// agent's queue (userID), as a customer queue flow's
// DequeueContactAndTransferToQueue does. It fails with ErrAlreadyRouted
// if the contact is not waiting, or ErrQueueAtCapacity.
func (s *Service) Requeue(cx *chat.Tx, queueID, userID string) error {
	c := cx.Contact
	if err := cx.LockRouting(c.InstanceID); err != nil {
		return err
	}
	r, err := cx.GetContactRouting(c.InstanceID, c.ID)
	if errors.Is(err, store.ErrNotFound) || err == nil && r.State != store.RoutingQueued && r.State != store.RoutingOffered {
		return ErrAlreadyRouted
	} else if err != nil {
		return err
	}
	if userID != "" {
		if _, err := getUser(cx, c.InstanceID, userID); err != nil {
			return err
		}
		queueID = ""
	}
	failure, err := s.requeue(cx, queueID, userID, "")
	if err != nil {
		return err
	}
	if failure != nil {
		return fmt.Errorf("%w: %w", ErrQueueAtCapacity, failure)
	}
	return nil
}
