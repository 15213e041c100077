package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Disconnect reasons recorded on contacts that Parley ends by itself.
const (
	ReasonCustomerDisconnect     = "CUSTOMER_DISCONNECT"
	ReasonAPI                    = "API"
	ReasonExpired                = "EXPIRED"
	ReasonCustomerNeverConnected = "CUSTOMER_CONNECTION_NOT_ESTABLISHED"
)

// Contact returns a contact of an instance.
func (s *Service) Contact(ctx context.Context, instanceID, contactID string) (store.Contact, error) {
	c, err := s.store.GetContact(ctx, instanceID, resourceID(contactID))
	if errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, notFound("CONTACT", contactID, "Contact %s not found", contactID)
	}
	if err != nil {
		return store.Contact{}, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}

// Participants returns the participants of a contact the caller has
// already loaded (with Contact, which checks its instance).
func (s *Service) Participants(ctx context.Context, c store.Contact) ([]store.Participant, error) {
	ps, err := s.store.ListParticipants(ctx, c.ID)
	if err != nil {
		return nil, fmt.Errorf("list participants: %w", err)
	}
	return ps, nil
}

// StopContact ends an active contact. Stopping a contact that does not
// exist or has already ended is fault.ContactNotFound, as in Connect.
func (s *Service) StopContact(ctx context.Context, instanceID, contactID, reason string) error {
	if utf8.RuneCountInString(reason) > 256 {
		return errorf(fault.InvalidParameter, "DisconnectReason.Code must be at most 256 characters")
	}
	if reason == "" {
		reason = ReasonAPI
	}
	var ended store.Contact
	var notices []Notice
	err := s.store.Write(ctx, func(tx store.Tx) error {
		c, err := tx.LockContact(instanceID, resourceID(contactID))
		if errors.Is(err, store.ErrNotFound) || (err == nil && c.State != store.ContactActive) {
			return errorf(fault.ContactNotFound, "Contact %s is not active or does not exist", contactID)
		} else if err != nil {
			return err
		}
		notices, err = s.endContact(tx, &c, reason, "", 0)
		ended = c
		return err
	})
	if err != nil {
		return fmt.Errorf("stop contact: %w", err)
	}
	s.publish(ctx, ended, notices...)
	s.log.Info("chat stopped", "instance_id", instanceID, "contact_id", ended.ID, "reason", reason)
	return nil
}

// endContact ends c inside tx: every participant still present leaves,
// chat.ended is appended, timers and tokens go. It returns the notices to
// publish after the commit. leaverID, when set, is the participant whose
// departure ends the chat (their participant.left comes first).
func (s *Service) endContact(tx store.Tx, c *store.Contact, reason, leaverID string, depth int) ([]Notice, error) {
	now := s.clock()
	ps, err := tx.ListParticipants(c.ID)
	if err != nil {
		return nil, err
	}
	// The leaver first, then everyone else in join order.
	for i, p := range ps {
		if p.ID == leaverID && i > 0 {
			ps[0], ps[i] = ps[i], ps[0]
		}
	}
	var notices []Notice
	for _, p := range ps {
		if p.State == store.ParticipantLeft {
			continue
		}
		joined := (p.State == store.ParticipantConnected || p.Role == store.RoleCustomer) && !p.Hidden
		p.State = store.ParticipantLeft
		p.LeftAt = now
		if err := tx.UpdateParticipant(p); err != nil {
			return nil, err
		}
		if err := tx.DeleteTokens(p.ID); err != nil {
			return nil, err
		}
		if joined {
			n, err := s.appendItem(tx, *c, eventItem(*c, EventParticipantLeft, &p, now))
			if err != nil {
				return nil, err
			}
			notices = append(notices, n)
		}
	}
	n, err := s.appendItem(tx, *c, eventItem(*c, EventChatEnded, nil, now))
	if err != nil {
		return nil, err
	}
	n.Ended = true
	notices = append(notices, n)
	c.State = store.ContactEnded
	c.DisconnectedAt = now
	c.DisconnectReason = reason
	c.LastUpdatedAt = now
	if err := tx.UpdateContact(*c); err != nil {
		return nil, err
	}
	if err := tx.DeleteContactTimers(c.ID); err != nil {
		return nil, err
	}
	more, err := s.fire(tx, c, Event{Kind: ContactEnded, Reason: reason}, depth)
	if err != nil {
		return nil, err
	}
	// The instance's count last: every path locks the contact, then (in
	// hooks) routing, then the instance row, so no two transactions take
	// them in opposite orders.
	if _, err := tx.AddActiveChats(c.InstanceID, -1); err != nil {
		return nil, err
	}
	return append(notices, more...), nil
}

// appendItem stores an item and returns the notice delivering it live.
func (s *Service) appendItem(tx store.Tx, c store.Contact, it store.Item) (Notice, error) {
	seq, err := tx.AppendItem(it)
	if err != nil {
		return Notice{}, fmt.Errorf("append item: %w", err)
	}
	n := liveNotice(c, wireItem(it, false))
	n.Seq = seq
	return n, nil
}

// Attributes returns the attributes of a contact.
func (s *Service) Attributes(ctx context.Context, instanceID, contactID string) (map[string]string, error) {
	c, err := s.Contact(ctx, instanceID, contactID)
	if err != nil {
		return nil, err
	}
	if c.Attributes == nil {
		return map[string]string{}, nil
	}
	return c.Attributes, nil
}

// UpdateAttributes merges attrs into a contact's attributes (active or
// ended), keeping the total within MaxAttributesBytes.
func (s *Service) UpdateAttributes(ctx context.Context, instanceID, contactID string, attrs map[string]string) error {
	if attrs == nil {
		return errorf(fault.InvalidParameter, "Attributes is required")
	}
	if err := validateAttributes(attrs); err != nil {
		return err
	}
	err := s.store.Write(ctx, func(tx store.Tx) error {
		c, err := tx.LockContact(instanceID, resourceID(contactID))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("CONTACT", contactID, "Contact %s not found", contactID)
		} else if err != nil {
			return err
		}
		merged := mergeAttributes(c.Attributes, attrs)
		if err := validateAttributes(merged); err != nil {
			return err
		}
		c.Attributes = merged
		c.LastUpdatedAt = s.clock()
		return tx.UpdateContact(c)
	})
	if err != nil {
		return fmt.Errorf("update contact attributes: %w", err)
	}
	return nil
}

// NewParticipantInput is a CreateParticipant request.
type NewParticipantInput struct {
	Role        string // default CUSTOM_BOT
	DisplayName string
	ClientToken string
}

// NewParticipantOutput is what CreateParticipant returns.
type NewParticipantOutput struct {
	ParticipantID    string    `json:"ParticipantId"`
	ParticipantToken string    `json:"ParticipantToken"`
	Expiry           time.Time `json:"Expiry"`
}

// CreateParticipant adds a participant to an active chat. It joins when it
// first connects (CreateParticipantConnection).
func (s *Service) CreateParticipant(ctx context.Context, instanceID, contactID string, in NewParticipantInput) (NewParticipantOutput, error) {
	if in.Role == "" {
		in.Role = store.RoleCustomBot
	}
	switch in.Role {
	case store.RoleCustomBot, store.RoleAgent, store.RoleSupervisor:
	case store.RoleCustomer, store.RoleSystem:
		return NewParticipantOutput{}, errorf(fault.InvalidRequest, "ParticipantRole %s cannot be added to a chat", in.Role)
	default:
		return NewParticipantOutput{}, errorf(fault.InvalidParameter, "ParticipantRole %q is not valid", in.Role)
	}
	if in.DisplayName == "" {
		in.DisplayName = map[string]string{store.RoleCustomBot: "BOT", store.RoleAgent: "AGENT", store.RoleSupervisor: "SUPERVISOR"}[in.Role]
	}
	if utf8.RuneCountInString(in.DisplayName) > 256 {
		return NewParticipantOutput{}, errorf(fault.InvalidParameter, "DisplayName must be at most 256 characters")
	}
	now := s.clock()
	var out NewParticipantOutput
	err := s.store.Write(ctx, func(tx store.Tx) error {
		c, err := tx.LockContact(instanceID, resourceID(contactID))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("CONTACT", contactID, "Contact %s not found", contactID)
		} else if err != nil {
			return err
		}
		out, err = idempotent(tx, now, "CreateParticipant/"+c.ID, in.ClientToken, func() (NewParticipantOutput, error) {
			if c.State != store.ContactActive {
				return NewParticipantOutput{}, errorf(fault.InvalidRequest, "Contact %s has ended", c.ID)
			}
			return s.addParticipant(tx, c, in.Role, in.DisplayName, false, now)
		})
		return err
	})
	if errors.Is(err, errReplay) {
		out, err = replayed[NewParticipantOutput](ctx, s.store, "CreateParticipant/"+resourceID(contactID), in.ClientToken)
	}
	if err != nil {
		return NewParticipantOutput{}, fmt.Errorf("create participant: %w", err)
	}
	return out, nil
}

// addParticipant inserts a participant of an active contact, invited
// until it first connects, and returns its participant token.
func (s *Service) addParticipant(tx store.Tx, c store.Contact, role, displayName string, hidden bool, now time.Time) (NewParticipantOutput, error) {
	ps, err := tx.ListParticipants(c.ID)
	if err != nil {
		return NewParticipantOutput{}, err
	}
	present := 0
	for _, p := range ps {
		if p.State != store.ParticipantLeft {
			present++
		}
	}
	if present >= MaxParticipants {
		return NewParticipantOutput{}, errorf(fault.QuotaExceeded, "A chat can have at most %d participants", MaxParticipants)
	}
	p := store.Participant{
		ID: newID(), ContactID: c.ID, InstanceID: c.InstanceID, Role: role,
		DisplayName: displayName, State: store.ParticipantInvited, CreatedAt: now, Hidden: hidden,
	}
	if err := tx.InsertParticipant(p); err != nil {
		return NewParticipantOutput{}, err
	}
	token, hash := newToken()
	expiry := c.InitiatedAt.Add(c.ChatDuration)
	if err := tx.InsertToken(store.Token{Hash: hash, Kind: store.TokenParticipant, InstanceID: c.InstanceID, ContactID: c.ID, ParticipantID: p.ID, ExpiresAt: expiry, CreatedAt: now}); err != nil {
		return NewParticipantOutput{}, err
	}
	return NewParticipantOutput{ParticipantID: p.ID, ParticipantToken: token, Expiry: expiry}, nil
}

// TimerConfig is one participant timer of UpdateParticipantRoleConfig.
type TimerConfig struct {
	Role    string // AGENT or CUSTOMER
	Type    string // IDLE or DISCONNECT_NONCUSTOMER
	Minutes int    // 2..480; 0 unsets the timer
}

// UpdateParticipantRoleConfig sets or unsets a chat's participant idle
// and auto-disconnect timers. They apply from the next agent connection.
func (s *Service) UpdateParticipantRoleConfig(ctx context.Context, instanceID, contactID string, cfg []TimerConfig) error {
	if len(cfg) == 0 {
		return errorf(fault.InvalidParameter, "ParticipantTimerConfigList must not be empty")
	}
	seen := map[[2]string]bool{}
	for _, t := range cfg {
		if t.Role != store.RoleAgent && t.Role != store.RoleCustomer {
			return errorf(fault.InvalidParameter, "ParticipantRole must be AGENT or CUSTOMER, got %q", t.Role)
		}
		if t.Type != timerIdle && t.Type != timerDisconnect {
			return errorf(fault.InvalidParameter, "TimerType must be IDLE or DISCONNECT_NONCUSTOMER, got %q", t.Type)
		}
		if t.Minutes != 0 && (t.Minutes < 2 || t.Minutes > 480) {
			return errorf(fault.InvalidParameter, "ParticipantTimerDurationInMinutes must be between 2 and 480, got %d", t.Minutes)
		}
		k := [2]string{t.Role, t.Type}
		if seen[k] {
			return errorf(fault.InvalidParameter, "duplicate timer %s %s", t.Role, t.Type)
		}
		seen[k] = true
	}
	err := s.store.Write(ctx, func(tx store.Tx) error {
		c, err := tx.LockContact(instanceID, resourceID(contactID))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("CONTACT", contactID, "Contact %s not found", contactID)
		} else if err != nil {
			return err
		}
		if c.State != store.ContactActive {
			return errorf(fault.InvalidRequest, "Contact %s has ended", c.ID)
		}
		timers := parseTimers(c.ParticipantTimers)
		for _, t := range cfg {
			timers.set(t)
		}
		raw, err := json.Marshal(timers)
		if err != nil {
			return err
		}
		c.ParticipantTimers = string(raw)
		c.LastUpdatedAt = s.clock()
		return tx.UpdateContact(c)
	})
	if err != nil {
		return fmt.Errorf("update participant role config: %w", err)
	}
	return nil
}

// Sweep deletes expired tokens and idempotency records. Run it
// periodically; it is safe on any number of nodes at once.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.clock()
	return s.store.Write(ctx, func(tx store.Tx) error {
		if _, err := tx.DeleteExpiredTokens(now); err != nil {
			return err
		}
		_, err := tx.DeleteExpiredIdempotent(now)
		return err
	})
}
