package routing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// UserDataFilter selects agents for CurrentUserData: an agent matches if
// it matches every non-empty list (Connect's GetCurrentUserData filters).
type UserDataFilter struct {
	Queues          []string
	RoutingProfiles []string
	Agents          []string
	// ContactStates keeps only contacts in these AgentContactStates.
	ContactStates []string
}

// UserData is one agent's real-time state, shaped like Connect's UserData.
type UserData struct {
	UserID           string
	RoutingProfileID string
	// StatusName is the status the agent set, or Missed/Rejected.
	StatusName  string
	StatusID    string
	StatusSince time.Time
	MaxSlots    int
	ActiveSlots int
	// AvailableSlots is what routing may still offer (0 unless routable).
	AvailableSlots int
	Contacts       []UserContact
}

// UserContact is one contact of an agent in UserData.
type UserContact struct {
	ContactID           string
	QueueID             string
	AgentContactState   string // INCOMING, CONNECTED, ENDED (after-contact work)
	StateStartTimestamp time.Time
	ConnectedToAgent    time.Time
}

// agentContactState maps an assignment state to Connect's
// AgentContactState.
func agentContactState(s string) string {
	switch s {
	case store.AssignmentOffered:
		return "INCOMING"
	case store.AssignmentConnected:
		return "CONNECTED"
	default:
		return "ENDED"
	}
}

// CurrentUserData returns the real-time state of the agents that match f,
// by user ID.
func (s *Service) CurrentUserData(ctx context.Context, instanceID string, f UserDataFilter) ([]UserData, error) {
	agents, err := s.store.ListAgents(ctx, instanceID)
	if err != nil {
		return nil, fmt.Errorf("current user data: %w", err)
	}
	var profiles map[string]RoutingProfile
	if len(f.Queues) > 0 {
		profiles = map[string]RoutingProfile{}
		rs, err := s.store.ListResources(ctx, instanceID, store.KindRoutingProfile)
		if err != nil {
			return nil, fmt.Errorf("current user data: %w", err)
		}
		for _, r := range rs {
			if p, err := decodeProfile(r); err == nil {
				profiles[r.ID] = p
			}
		}
	}
	var out []UserData
	for _, a := range agents {
		if len(f.Agents) > 0 && !slices.Contains(f.Agents, a.UserID) {
			continue
		}
		if len(f.RoutingProfiles) > 0 && !slices.Contains(f.RoutingProfiles, a.RoutingProfileID) {
			continue
		}
		if len(f.Queues) > 0 && !servesAny(profiles[a.RoutingProfileID], a.UserID, f.Queues) {
			continue
		}
		as, err := s.store.ListAssignments(ctx, store.AssignmentQuery{InstanceID: instanceID, UserID: a.UserID, Active: true})
		if err != nil {
			return nil, fmt.Errorf("current user data: %w", err)
		}
		// Slots in use are counted from the contacts listed, read after
		// the agent row: an offer made in between shows in both.
		ud := UserData{UserID: a.UserID, RoutingProfileID: a.RoutingProfileID, StatusName: a.StatusName, StatusID: a.StatusID,
			StatusSince: a.StatusSince, MaxSlots: a.ChatSlots, ActiveSlots: len(as)}
		if a.Routable {
			ud.AvailableSlots = max(0, a.ChatSlots-len(as))
		}
		for _, x := range as {
			uc := UserContact{ContactID: x.ContactID, QueueID: x.QueueID, AgentContactState: agentContactState(x.State), ConnectedToAgent: x.ConnectedAt}
			uc.StateStartTimestamp = x.OfferedAt
			if !x.ACWStartedAt.IsZero() {
				uc.StateStartTimestamp = x.ACWStartedAt
			} else if !x.AcceptedAt.IsZero() {
				uc.StateStartTimestamp = x.AcceptedAt
			}
			if len(f.ContactStates) > 0 && !slices.Contains(f.ContactStates, uc.AgentContactState) {
				continue
			}
			ud.Contacts = append(ud.Contacts, uc)
		}
		out = append(out, ud)
	}
	return out, nil
}

func servesAny(p RoutingProfile, userID string, queues []string) bool {
	for _, q := range queues {
		if q == AgentQueueID(userID) {
			return true
		}
		for _, pq := range p.Queues {
			if pq.QueueID == q {
				return true
			}
		}
	}
	return false
}

// ContactInfo is what routing knows of one contact, for DescribeContact
// and the contact record.
type ContactInfo struct {
	QueueID                 string
	EnqueuedAt              time.Time
	DequeuedAt              time.Time
	Priority                int
	State                   string
	AgentID                 string // the last agent who accepted it
	PreviousAgentID         string
	AcceptedAt              time.Time
	ConnectedToAgentAt      time.Time
	ACWStartedAt            time.Time
	ACWEndedAt              time.Time
	Transfers               string // JSON array
	AfterContactWorkSeconds int
}

// Contact returns the routing record of a contact; ok is false if it
// never entered routing.
func (s *Service) Contact(ctx context.Context, instanceID, contactID string) (ContactInfo, bool, error) {
	r, err := s.store.GetContactRouting(ctx, instanceID, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return ContactInfo{}, false, nil
	} else if err != nil {
		return ContactInfo{}, false, fmt.Errorf("contact routing: %w", err)
	}
	info := ContactInfo{QueueID: displayQueue(r), EnqueuedAt: r.EnqueuedAt, DequeuedAt: r.DequeuedAt, Priority: r.Priority,
		State: r.State, PreviousAgentID: r.PreviousAgentID, Transfers: r.Transfers}
	as, err := s.store.ListAssignments(ctx, store.AssignmentQuery{InstanceID: instanceID, ContactID: contactID})
	if err != nil {
		return ContactInfo{}, false, fmt.Errorf("contact routing: %w", err)
	}
	for _, a := range as { // oldest first: the last accepted wins
		if a.AcceptedAt.IsZero() {
			continue
		}
		info.AgentID, info.AcceptedAt, info.ConnectedToAgentAt = a.UserID, a.AcceptedAt, a.ConnectedAt
		info.ACWStartedAt, info.ACWEndedAt, info.AfterContactWorkSeconds = a.ACWStartedAt, time.Time{}, 0
		if a.State == store.AssignmentDone {
			info.ACWEndedAt = a.EndedAt
			if !a.ACWStartedAt.IsZero() {
				info.AfterContactWorkSeconds = int(a.EndedAt.Sub(a.ACWStartedAt).Seconds())
			}
		}
	}
	return info, true, nil
}
