package routing

import (
	"context"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Agent event types, pushed to an agent's workspace as things happen.
// They are hints delivered at most once: a workspace that reconnects
// reads the agent's state (Service.Agent) and carries on from there.
const (
	EventStatus           = "status"            // the agent's status changed
	EventOffer            = "offer"             // a contact is offered
	EventOfferCancelled   = "offer.cancelled"   // the offered contact ended before an answer
	EventOfferMissed      = "offer.missed"      // the offer timed out
	EventOfferRejected    = "offer.rejected"    // the agent rejected it
	EventContactConnected = "contact.connected" // the agent accepted
	EventContactACW       = "contact.acw"       // the agent left the chat; after-contact work runs
	EventContactDone      = "contact.done"      // after-contact work cleared
	EventContactEnded     = "contact.ended"     // the chat ended (the agent may still be in ACW)
	EventWhisper          = "whisper"           // the agent whisper flow's message for this agent
)

// AgentEvent is one event of an agent's stream.
type AgentEvent struct {
	Type       string          `json:"type"`
	ContactID  string          `json:"contactId,omitempty"`
	Assignment *AssignmentView `json:"assignment,omitempty"`
	Status     *StatusView     `json:"status,omitempty"`
	// Text is a whisper's message.
	Text string    `json:"text,omitempty"`
	At   time.Time `json:"at"`
}

// AssignmentView is an assignment as the workspace sees it.
type AssignmentView struct {
	ID           string    `json:"id"`
	ContactID    string    `json:"contactId"`
	QueueID      string    `json:"queueId"`
	State        string    `json:"state"`
	OfferedAt    time.Time `json:"offeredAt"`
	ExpiresAt    time.Time `json:"expiresAt,omitzero"`
	AcceptedAt   time.Time `json:"acceptedAt,omitzero"`
	ConnectedAt  time.Time `json:"connectedAt,omitzero"`
	ACWStartedAt time.Time `json:"acwStartedAt,omitzero"`
}

func assignmentView(a store.Assignment) *AssignmentView {
	return &AssignmentView{
		ID: a.ID, ContactID: a.ContactID, QueueID: a.QueueID, State: a.State,
		OfferedAt: a.OfferedAt, ExpiresAt: a.ExpiresAt, AcceptedAt: a.AcceptedAt,
		ConnectedAt: a.ConnectedAt, ACWStartedAt: a.ACWStartedAt,
	}
}

// StatusView is an agent's status as the workspace sees it.
type StatusView struct {
	StatusID  string    `json:"statusId,omitempty"`
	Name      string    `json:"name"`
	Routable  bool      `json:"routable"`
	Since     time.Time `json:"since"`
	ChatSlots int       `json:"chatSlots"`
	ChatsUsed int       `json:"chatsUsed"`
}

func statusView(a store.Agent) *StatusView {
	return &StatusView{StatusID: a.StatusID, Name: a.StatusName, Routable: a.Routable, Since: a.StatusSince, ChatSlots: a.ChatSlots, ChatsUsed: a.ChatsUsed}
}

// AgentSubject is the bus subject of one agent's events.
func AgentSubject(instanceID, userID string) string {
	return "parley." + instanceID + ".agent." + userID
}

// notifyAgent publishes an event to an agent's stream, best-effort.
func (s *Service) notifyAgent(ctx context.Context, instanceID, userID string, ev AgentEvent) {
	if ev.At.IsZero() {
		ev.At = s.clock()
	}
	data, err := json.Marshal(ev)
	if err != nil {
		s.log.Error("encode agent event", "err", err)
		return
	}
	if err := s.bus.Publish(ctx, AgentSubject(instanceID, userID), data); err != nil {
		s.log.Warn("publish agent event", "user_id", userID, "err", err)
	}
}

// Subscribe delivers an agent's events to fn (which must not block) until
// the subscription is cancelled.
func (s *Service) Subscribe(instanceID, userID string, fn func(AgentEvent)) (func(), error) {
	sub, err := s.bus.Subscribe(AgentSubject(instanceID, userID), func(data []byte) {
		var ev AgentEvent
		if json.Unmarshal(data, &ev) == nil {
			fn(ev)
		}
	})
	if err != nil {
		return nil, err
	}
	return func() { _ = sub.Unsubscribe() }, nil
}
