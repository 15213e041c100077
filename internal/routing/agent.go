package routing

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

func getUser(tx store.Tx, instanceID, userID string) (auth.User, error) {
	r, err := tx.GetResource(instanceID, store.KindUser, userID)
	if errors.Is(err, store.ErrNotFound) {
		return auth.User{}, fault.NotFoundf("USER", userID, "User %s not found", userID)
	} else if err != nil {
		return auth.User{}, err
	}
	return auth.UserFromResource(r)
}

func getProfile(tx store.Tx, instanceID, profileID string) (RoutingProfile, error) {
	r, err := tx.GetResource(instanceID, store.KindRoutingProfile, profileID)
	if errors.Is(err, store.ErrNotFound) {
		return RoutingProfile{}, fault.NotFoundf("ROUTING_PROFILE", profileID, "Routing profile %s not found", profileID)
	} else if err != nil {
		return RoutingProfile{}, err
	}
	return decodeProfile(r)
}

// resolveStatus finds an agent status, built-in or stored.
func resolveStatus(tx store.Tx, instanceID, statusID string) (AgentStatus, error) {
	if b, ok := builtinStatus(statusID); ok {
		return b, nil
	}
	r, err := tx.GetResource(instanceID, store.KindAgentStatus, statusID)
	if errors.Is(err, store.ErrNotFound) {
		return AgentStatus{}, fault.NotFoundf("AGENT_STATUS", statusID, "Agent status %s not found", statusID)
	} else if err != nil {
		return AgentStatus{}, err
	}
	return decodeAgentStatus(r)
}

// loadAgent returns a user's routing state, a fresh Offline one if the
// user never set a status.
func loadAgent(tx store.Tx, instanceID, userID string) (store.Agent, error) {
	a, err := tx.GetAgent(instanceID, userID)
	if errors.Is(err, store.ErrNotFound) {
		u, err := getUser(tx, instanceID, userID)
		if err != nil {
			return store.Agent{}, err
		}
		return store.Agent{InstanceID: instanceID, UserID: userID, RoutingProfileID: u.RoutingProfileID,
			StatusID: StatusOfflineID, StatusName: "Offline"}, nil
	}
	return a, err
}

// SetStatus sets a user's agent status (Available, Offline or a custom
// one). Becoming routable starts the agent's idle time; the agent's chat
// capacity is read from their routing profile.
func (s *Service) SetStatus(ctx context.Context, instanceID, userID, statusID string) (StatusView, error) {
	var out store.Agent
	err := s.store.Write(ctx, func(tx store.Tx) error {
		if err := tx.LockRouting(instanceID); err != nil {
			return err
		}
		st, err := resolveStatus(tx, instanceID, statusID)
		if err != nil {
			return err
		}
		if st.State == "DISABLED" {
			return fault.Errorf(fault.InvalidRequest, "Agent status %s is disabled", st.Name)
		}
		u, err := getUser(tx, instanceID, userID)
		if err != nil {
			return err
		}
		a, err := loadAgent(tx, instanceID, userID)
		if err != nil {
			return err
		}
		now := s.clock()
		routable := st.Type == StatusRoutable
		if routable && !a.Routable {
			a.LastRoutedAt = now
		}
		a.RoutingProfileID = u.RoutingProfileID
		slots, err := s.chatSlots(tx, instanceID, u.RoutingProfileID)
		if err != nil {
			return err
		}
		a.ChatSlots = slots
		if a.StatusID != st.ID || a.StatusName != st.Name {
			a.StatusSince = now
		}
		a.StatusID, a.StatusName, a.Routable = st.ID, st.Name, routable
		a.UpdatedAt = now
		out = a
		return tx.PutAgent(a)
	})
	if err != nil {
		return StatusView{}, fmt.Errorf("set agent status: %w", err)
	}
	s.afterAgentChange(ctx, out)
	return *statusView(out), nil
}

func (s *Service) chatSlots(tx store.Tx, instanceID, profileID string) (int, error) {
	if profileID == "" {
		return 0, nil
	}
	p, err := getProfile(tx, instanceID, profileID)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == fault.NotFound {
		return 0, nil // a deleted profile routes nothing
	} else if err != nil {
		return 0, err
	}
	return p.ChatConcurrency(), nil
}

// afterAgentChange tells the agent and kicks a pass after a committed
// change of their state.
func (s *Service) afterAgentChange(ctx context.Context, a store.Agent) {
	s.notifyAgent(ctx, a.InstanceID, a.UserID, AgentEvent{Type: EventStatus, Status: statusView(a)})
	if a.Routable && a.ChatsUsed < a.ChatSlots {
		s.dispatch.kick(a.InstanceID)
	}
}

// setSystemState puts an agent in a non-routable system state (Missed,
// Rejected) inside tx.
func setSystemState(a *store.Agent, name string) {
	a.StatusID, a.StatusName, a.Routable = "", name, false
	a.StatusSince = a.UpdatedAt
}

// profileChanged refreshes the chat capacity and queues of every agent on
// a routing profile after it changed, inside the same transaction.
func (s *Service) profileChanged(tx store.Tx, instanceID, profileID string) error {
	if err := tx.LockRouting(instanceID); err != nil {
		return err
	}
	agents, err := tx.ListAgents(instanceID)
	if err != nil {
		return err
	}
	slots, err := s.chatSlots(tx, instanceID, profileID)
	if err != nil {
		return err
	}
	for _, a := range agents {
		if a.RoutingProfileID != profileID || a.ChatSlots == slots {
			continue
		}
		a.ChatSlots = slots
		a.UpdatedAt = s.clock()
		if err := tx.PutAgent(a); err != nil {
			return err
		}
	}
	s.dispatch.kick(instanceID) // a kick before the commit is harmless: the pass waits for the lock
	return nil
}

// UserChanged keeps a user's routing state in step with their user
// record (routing profile changed, user deleted), inside the transaction
// that changed it. Install it as the directory's user hook.
func (s *Service) UserChanged(tx store.Tx, instanceID, userID, routingProfileID string, deleted bool) error {
	if err := tx.LockRouting(instanceID); err != nil {
		return err
	}
	a, err := tx.GetAgent(instanceID, userID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	a.UpdatedAt = s.clock()
	if deleted {
		a.StatusID, a.StatusName, a.Routable = StatusOfflineID, "Offline", false
		a.StatusSince = a.UpdatedAt
		return tx.PutAgent(a)
	}
	slots, err := s.chatSlots(tx, instanceID, routingProfileID)
	if err != nil {
		return err
	}
	a.RoutingProfileID, a.ChatSlots = routingProfileID, slots
	if err := tx.PutAgent(a); err != nil {
		return err
	}
	s.dispatch.kick(instanceID)
	return nil
}

// AgentState is an agent's status and contacts, for the workspace.
type AgentState struct {
	Status   StatusView     `json:"status"`
	Contacts []AgentContact `json:"contacts"`
}

// AgentContact is one of an agent's current contacts (offered, connected
// or in after-contact work).
type AgentContact struct {
	Assignment      AssignmentView    `json:"assignment"`
	ContactState    string            `json:"contactState"` // ACTIVE or ENDED
	Attributes      map[string]string `json:"attributes"`
	PreviousAgentID string            `json:"previousAgentId,omitempty"`
	InitiatedAt     string            `json:"initiatedAt"`
	CustomerName    string            `json:"customerName,omitempty"`
	ParticipantID   string            `json:"participantId,omitempty"`
}

// Agent returns an agent's status and current contacts.
func (s *Service) Agent(ctx context.Context, instanceID, userID string) (AgentState, error) {
	a, err := s.store.GetAgent(ctx, instanceID, userID)
	if errors.Is(err, store.ErrNotFound) {
		r, err := s.store.GetResource(ctx, instanceID, store.KindUser, userID)
		if err != nil {
			return AgentState{}, fault.NotFoundf("USER", userID, "User %s not found", userID)
		}
		a = store.Agent{InstanceID: instanceID, UserID: r.ID, StatusID: StatusOfflineID, StatusName: "Offline"}
	} else if err != nil {
		return AgentState{}, fmt.Errorf("get agent: %w", err)
	}
	as, err := s.store.ListAssignments(ctx, store.AssignmentQuery{InstanceID: instanceID, UserID: userID, Active: true})
	if err != nil {
		return AgentState{}, fmt.Errorf("list assignments: %w", err)
	}
	out := AgentState{Status: *statusView(a), Contacts: []AgentContact{}}
	for _, x := range as {
		c, err := s.store.GetContact(ctx, instanceID, x.ContactID)
		if err != nil {
			return AgentState{}, fmt.Errorf("get contact %s: %w", x.ContactID, err)
		}
		ac := AgentContact{Assignment: *assignmentView(x), ContactState: c.State, Attributes: c.Attributes,
			InitiatedAt: c.InitiatedAt.UTC().Format("2006-01-02T15:04:05.000Z"), ParticipantID: x.ParticipantID}
		if ac.Attributes == nil {
			ac.Attributes = map[string]string{}
		}
		if cr, err := s.store.GetContactRouting(ctx, instanceID, x.ContactID); err == nil {
			ac.PreviousAgentID = cr.PreviousAgentID
		}
		if ps, err := s.store.ListParticipants(ctx, x.ContactID); err == nil {
			for _, p := range ps {
				if p.Role == store.RoleCustomer {
					ac.CustomerName = p.DisplayName
				}
			}
		}
		out.Contacts = append(out.Contacts, ac)
	}
	return out, nil
}

// SelectableStatuses are the statuses an agent can choose: the enabled
// ones, by display order (those without one last, in listing order).
func (s *Service) SelectableStatuses(ctx context.Context, instanceID string) ([]AgentStatus, error) {
	list, err := s.ListAgentStatuses(ctx, instanceID, nil)
	if err != nil {
		return nil, err
	}
	list = slices.DeleteFunc(list, func(st AgentStatus) bool { return st.State == "DISABLED" })
	slices.SortStableFunc(list, func(a, b AgentStatus) int {
		switch {
		case a.DisplayOrder == b.DisplayOrder:
			return 0
		case a.DisplayOrder == 0:
			return 1
		case b.DisplayOrder == 0:
			return -1
		}
		return a.DisplayOrder - b.DisplayOrder
	})
	return list, nil
}

// AgentQuickConnects are the transfer destinations an agent on a routing
// profile is shown, as in Connect's contact control panel: the quick
// connects of the queues the profile serves, of the types that can take
// a chat (USER and QUEUE), by name.
func (s *Service) AgentQuickConnects(ctx context.Context, instanceID, routingProfileID string) ([]QuickConnect, error) {
	if routingProfileID == "" {
		return nil, nil
	}
	p, err := s.RoutingProfile(ctx, instanceID, routingProfileID)
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code == fault.NotFound {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("routing profile: %w", err)
	}
	wanted := map[string]bool{}
	for _, pq := range p.Queues {
		q, err := s.Queue(ctx, instanceID, pq.QueueID)
		if errors.As(err, &fe) && fe.Code == fault.NotFound {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("queue %s: %w", pq.QueueID, err)
		}
		for _, id := range q.QuickConnectIDs {
			wanted[id] = true
		}
	}
	if len(wanted) == 0 {
		return nil, nil
	}
	all, err := s.ListQuickConnects(ctx, instanceID, []string{QuickConnectTypeUser, QuickConnectTypeQueue})
	if err != nil {
		return nil, fmt.Errorf("list quick connects: %w", err)
	}
	return slices.DeleteFunc(all, func(qc QuickConnect) bool { return !wanted[qc.ID] }), nil
}
