package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/parley-chat/parley/internal/store"
)

// Timer kinds owned by the chat package.
const (
	timerChatDuration    = "chat.duration"
	timerConnectDeadline = "chat.connect-deadline"
	timerParticipantIdle = "chat.idle"
	timerAutoDisconnect  = "chat.autodisconnect"
	timerIdle            = "IDLE"
	timerDisconnect      = "DISCONNECT_NONCUSTOMER"
)

// TimerKinds lists the timer kinds HandleTimer handles.
var TimerKinds = []string{timerChatDuration, timerConnectDeadline, timerParticipantIdle, timerAutoDisconnect}

func timerID(kind, id string) string { return kind + ":" + id }

// roleTimers is a chat's participant timer configuration: minutes per
// role and timer type.
type roleTimers map[string]map[string]int

func parseTimers(raw string) roleTimers {
	t := roleTimers{}
	if raw != "" {
		_ = json.Unmarshal([]byte(raw), &t) // written only by set below
	}
	return t
}

func (t roleTimers) set(c TimerConfig) {
	if c.Minutes == 0 {
		delete(t[c.Role], c.Type)
		return
	}
	if t[c.Role] == nil {
		t[c.Role] = map[string]int{}
	}
	t[c.Role][c.Type] = c.Minutes
}

func (t roleTimers) get(role, typ string) time.Duration {
	return time.Duration(t[role][typ]) * time.Minute
}

// HandleTimer runs a due chat timer. It is idempotent: a timer whose
// contact has ended or moved on does nothing.
func (s *Service) HandleTimer(ctx context.Context, t store.Timer) error {
	var c store.Contact
	var notices []Notice
	err := s.store.Write(ctx, func(tx store.Tx) error {
		notices = nil
		if err := tx.DeleteTimer(t.ID); err != nil {
			return err
		}
		var err error
		c, err = tx.LockContact(t.InstanceID, t.ContactID)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		if c.State != store.ContactActive {
			return nil
		}
		switch t.Kind {
		case timerChatDuration:
			notices, err = s.endContact(tx, &c, ReasonExpired, "", 0)
		case timerConnectDeadline:
			notices, err = s.endContact(tx, &c, ReasonCustomerNeverConnected, "", 0)
		case timerParticipantIdle:
			notices, err = s.participantIdle(tx, c, t.Payload, t.Due)
		case timerAutoDisconnect:
			notices, err = s.autoDisconnect(tx, &c, t.Payload)
		default:
			return fmt.Errorf("unknown timer kind %q", t.Kind)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("chat timer %s: %w", t.ID, err)
	}
	s.publish(ctx, c, notices...)
	return nil
}

// idleState is what the participant timers need to know about a chat.
type idleState struct {
	timers roleTimers
	// since is when the agent of the chat connected: timers only run while
	// a customer and an agent are both present.
	since        time.Time
	participants []store.Participant
}

func (s *Service) loadIdleState(tx store.Tx, c store.Contact) (idleState, bool, error) {
	st := idleState{timers: parseTimers(c.ParticipantTimers)}
	if len(st.timers) == 0 {
		return st, false, nil
	}
	ps, err := tx.ListParticipants(c.ID)
	if err != nil {
		return st, false, err
	}
	st.participants = ps
	customer, agent := false, false
	for _, p := range ps {
		if p.State != store.ParticipantConnected && !(p.Role == store.RoleCustomer && p.State != store.ParticipantLeft) {
			continue
		}
		switch p.Role {
		case store.RoleCustomer:
			customer = true
		case store.RoleAgent:
			agent = true
			if p.ConnectedAt.After(st.since) {
				st.since = p.ConnectedAt
			}
		}
	}
	return st, customer && agent, nil
}

// baseline is when p's idle clock started: its last activity, but never
// before the agent joined.
func (st idleState) baseline(p store.Participant) time.Time {
	if p.LastActiveAt.After(st.since) {
		return p.LastActiveAt
	}
	return st.since
}

// scheduleIdleTimers (re)arms the participant timers of a chat after a
// participant joined, left or spoke. With both IDLE and disconnect set, the
// disconnect timer starts when the participant becomes idle.
func (s *Service) scheduleIdleTimers(tx store.Tx, c store.Contact) error {
	st, running, err := s.loadIdleState(tx, c)
	if err != nil || len(st.timers) == 0 {
		return err
	}
	for _, p := range st.participants {
		idleID, discID := timerID(timerParticipantIdle, p.ID), timerID(timerAutoDisconnect, p.ID)
		active := p.State == store.ParticipantConnected || (p.Role == store.RoleCustomer && p.State != store.ParticipantLeft)
		idle, disc := st.timers.get(p.Role, timerIdle), st.timers.get(p.Role, timerDisconnect)
		if !running || !active || (idle == 0 && disc == 0) {
			if err := tx.DeleteTimer(idleID); err != nil {
				return err
			}
			if err := tx.DeleteTimer(discID); err != nil {
				return err
			}
			continue
		}
		base := st.baseline(p)
		if idle > 0 {
			if err := tx.DeleteTimer(discID); err != nil {
				return err
			}
			err = tx.PutTimer(store.Timer{ID: idleID, Kind: timerParticipantIdle, InstanceID: c.InstanceID, ContactID: c.ID, Due: base.Add(idle), Payload: p.ID})
		} else {
			err = tx.PutTimer(store.Timer{ID: discID, Kind: timerAutoDisconnect, InstanceID: c.InstanceID, ContactID: c.ID, Due: base.Add(disc), Payload: p.ID})
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// participantActive records that p just spoke: it ends their idleness
// (participant.returned) and re-arms the timers.
func (s *Service) participantActive(tx store.Tx, c store.Contact, p store.Participant, now time.Time) ([]Notice, error) {
	st, running, err := s.loadIdleState(tx, c)
	if err != nil {
		return nil, err
	}
	var notices []Notice
	if idle := st.timers.get(p.Role, timerIdle); running && idle > 0 && !now.Before(st.baseline(p).Add(idle)) {
		notices = append(notices, liveNotice(c, wireItem(eventItem(c, EventParticipantReturned, &p, now), false)))
	}
	if len(st.timers) == 0 {
		return nil, nil // activity matters only to participant timers
	}
	p.LastActiveAt = now
	if err := tx.UpdateParticipant(p); err != nil {
		return nil, err
	}
	return notices, s.scheduleIdleTimers(tx, c)
}

// participantIdle fires when a participant has been quiet for its idle
// time: everyone is told (not stored), and the disconnect timer starts
// from the moment they became idle (idleAt), however late this runs.
func (s *Service) participantIdle(tx store.Tx, c store.Contact, participantID string, idleAt time.Time) ([]Notice, error) {
	st, running, err := s.loadIdleState(tx, c)
	if err != nil || !running {
		return nil, err
	}
	p, ok := findParticipant(st.participants, participantID)
	if !ok || p.State == store.ParticipantLeft {
		return nil, nil
	}
	now := s.clock()
	notices := []Notice{liveNotice(c, wireItem(eventItem(c, EventParticipantIdle, &p, now), false))}
	if disc := st.timers.get(p.Role, timerDisconnect); disc > 0 {
		if err := tx.PutTimer(store.Timer{ID: timerID(timerAutoDisconnect, p.ID), Kind: timerAutoDisconnect, InstanceID: c.InstanceID, ContactID: c.ID, Due: idleAt.Add(disc), Payload: p.ID}); err != nil {
			return nil, err
		}
	}
	return notices, nil
}

// autoDisconnect fires when a participant stayed idle past its disconnect
// time: an idle agent is removed; an idle customer has every non-customer
// participant removed (DISCONNECT_NONCUSTOMER), as Connect does.
func (s *Service) autoDisconnect(tx store.Tx, c *store.Contact, participantID string) ([]Notice, error) {
	st, running, err := s.loadIdleState(tx, *c)
	if err != nil || !running {
		return nil, err
	}
	p, ok := findParticipant(st.participants, participantID)
	if !ok || p.State == store.ParticipantLeft {
		return nil, nil
	}
	now := s.clock()
	notices := []Notice{liveNotice(*c, wireItem(eventItem(*c, EventParticipantAutoDisconn, &p, now), false))}
	for _, q := range st.participants {
		remove := q.ID == p.ID
		if p.Role == store.RoleCustomer {
			remove = q.Role != store.RoleCustomer
		}
		if !remove || q.State == store.ParticipantLeft || c.State != store.ContactActive {
			continue
		}
		more, err := s.leave(tx, c, q, 0)
		if err != nil {
			return nil, err
		}
		notices = append(notices, more...)
	}
	return notices, nil
}

func findParticipant(ps []store.Participant, id string) (store.Participant, bool) {
	for _, p := range ps {
		if p.ID == id {
			return p, true
		}
	}
	return store.Participant{}, false
}
