package chat

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// EventKind is a moment in a contact's life that Hooks hear about.
type EventKind int

// Event kinds.
const (
	// ContactStarted: StartChat created the contact.
	ContactStarted EventKind = iota + 1
	// ParticipantConnected: a non-customer participant connected for the
	// first time (joined).
	ParticipantConnected
	// ParticipantLeft: a non-customer participant left a contact that
	// stays active (it may be ended by the hook).
	ParticipantLeft
	// ContactEnded: the contact ended, for any reason.
	ContactEnded
	// CustomerMessage: the customer sent a message (Event.Message).
	CustomerMessage
)

// Event is what a hook is told.
type Event struct {
	Kind EventKind
	// Participant is the participant that connected or left.
	Participant store.Participant
	// Reason is the disconnect reason of ContactEnded.
	Reason string
	// Message is the customer's message of CustomerMessage.
	Message store.Item
	// Flow is the contact's inbound flow, for ContactStarted. Hooks must
	// read only through the transaction: this spares them a read of
	// their own.
	Flow store.ContactFlow
}

// Hooks lets another domain (routing, flows) act on a contact's lifecycle
// inside the very transaction that changed it, so both changes commit
// together or not at all.
type Hooks interface {
	ContactEvent(cx *Tx, ev Event) error
}

// SetHooks installs the hooks. Call it once, before serving.
func (s *Service) SetHooks(h Hooks) { s.hooks = h }

// Tx is a transaction holding one contact's lock, given to hooks and to
// InContact callers. Its methods change the chat the way the participant
// API does (events, tokens, departures); live notices and After functions
// run once the transaction has committed.
type Tx struct {
	store.Tx
	// Contact is the locked contact as it stands in this transaction.
	Contact store.Contact

	s       *Service
	notices []Notice
	depth   int
}

// maxHookDepth bounds hooks that trigger hooks (a hook ending a contact
// fires ContactEnded inside ParticipantLeft, and so on).
const maxHookDepth = 8

// InContact locks an active or ended contact of an instance and runs fn
// in one transaction with it. fn may be retried, like store.Write's.
func (s *Service) InContact(ctx context.Context, instanceID, contactID string, fn func(cx *Tx) error) error {
	var cx *Tx
	err := s.store.Write(ctx, func(tx store.Tx) error {
		c, err := tx.LockContact(instanceID, resourceID(contactID))
		if errors.Is(err, store.ErrNotFound) {
			return notFound("CONTACT", contactID, "Contact %s not found", contactID)
		} else if err != nil {
			return err
		}
		cx = &Tx{Tx: tx, Contact: c, s: s}
		return fn(cx)
	})
	if err != nil {
		return err
	}
	s.publish(ctx, cx.Contact, cx.notices...)
	return nil
}

// fire tells the hooks about ev on contact *c and returns the notices they
// produced; *c is updated if a hook changed the contact (ended it).
func (s *Service) fire(tx store.Tx, c *store.Contact, ev Event, depth int) ([]Notice, error) {
	if s.hooks == nil {
		return nil, nil
	}
	if depth >= maxHookDepth {
		return nil, fmt.Errorf("chat hooks nested %d deep on contact %s", depth, c.ID)
	}
	cx := &Tx{Tx: tx, Contact: *c, s: s, depth: depth + 1}
	if err := s.hooks.ContactEvent(cx, ev); err != nil {
		return nil, err
	}
	*c = cx.Contact
	return cx.notices, nil
}

// After runs fn after the transaction commits (never if it rolls back).
func (cx *Tx) After(fn func(ctx context.Context)) {
	cx.notices = append(cx.notices, Notice{after: fn})
}

// Active reports whether the contact is still active.
func (cx *Tx) Active() bool { return cx.Contact.State == store.ContactActive }

// AddParticipant adds a participant (AGENT, SUPERVISOR or CUSTOM_BOT) to
// the active contact and returns its participant token. A hidden one (a
// supervisor monitoring silently) reads the chat unseen and cannot write
// until Reveal.
func (cx *Tx) AddParticipant(role, displayName string, hidden bool) (NewParticipantOutput, error) {
	if !cx.Active() {
		return NewParticipantOutput{}, errorf(fault.InvalidRequest, "Contact %s has ended", cx.Contact.ID)
	}
	return cx.s.addParticipant(cx.Tx, cx.Contact, role, displayName, hidden, cx.s.clock())
}

// Reveal makes a hidden participant a visible one (a supervisor barging
// in): if they are connected, everyone sees them join now.
func (cx *Tx) Reveal(participantID string) error {
	p, err := cx.GetParticipant(participantID)
	if err != nil || p.ContactID != cx.Contact.ID {
		return notFound("PARTICIPANT", participantID, "Participant %s not found", participantID)
	}
	if !p.Hidden || p.State == store.ParticipantLeft || !cx.Active() {
		return nil
	}
	p.Hidden = false
	if err := cx.UpdateParticipant(p); err != nil {
		return err
	}
	if p.State != store.ParticipantConnected {
		return nil // they join when they connect
	}
	return cx.AppendEvent(EventParticipantJoined, &p)
}

// ParticipantToken issues a fresh participant token to a participant who
// has not left (an agent reloading the workspace gets a new one).
func (cx *Tx) ParticipantToken(participantID string) (NewParticipantOutput, error) {
	p, err := cx.GetParticipant(participantID)
	if err != nil || p.ContactID != cx.Contact.ID {
		return NewParticipantOutput{}, notFound("PARTICIPANT", participantID, "Participant %s not found", participantID)
	}
	if p.State == store.ParticipantLeft || !cx.Active() {
		return NewParticipantOutput{}, errorf(fault.InvalidRequest, "Participant %s has left the chat", participantID)
	}
	now := cx.s.clock()
	token, hash := newToken()
	expiry := cx.Contact.InitiatedAt.Add(cx.Contact.ChatDuration)
	if err := cx.InsertToken(store.Token{Hash: hash, Kind: store.TokenParticipant, InstanceID: cx.Contact.InstanceID, ContactID: cx.Contact.ID, ParticipantID: p.ID, ExpiresAt: expiry, CreatedAt: now}); err != nil {
		return NewParticipantOutput{}, err
	}
	return NewParticipantOutput{ParticipantID: p.ID, ParticipantToken: token, Expiry: expiry}, nil
}

// AppendEvent appends an event item from participant p (nil: the system)
// and delivers it live after the commit.
func (cx *Tx) AppendEvent(contentType string, p *store.Participant) error {
	n, err := cx.s.appendItem(cx.Tx, cx.Contact, eventItem(cx.Contact, contentType, p, cx.s.clock()))
	if err != nil {
		return err
	}
	cx.notices = append(cx.notices, n)
	return nil
}

// RemoveParticipant makes a non-customer participant leave the active
// contact (ParticipantLeft fires). Removing one who left is a no-op.
func (cx *Tx) RemoveParticipant(participantID string) error {
	p, err := cx.GetParticipant(participantID)
	if err != nil {
		return err
	}
	if p.ContactID != cx.Contact.ID || p.Role == store.RoleCustomer {
		return fmt.Errorf("remove participant %s: not a non-customer participant of contact %s", participantID, cx.Contact.ID)
	}
	if p.State == store.ParticipantLeft || !cx.Active() {
		return nil
	}
	n, err := cx.s.leave(cx.Tx, &cx.Contact, p, cx.depth)
	cx.notices = append(cx.notices, n...)
	return err
}

// End ends the active contact with a disconnect reason (ContactEnded
// fires). Ending an ended contact is a no-op.
func (cx *Tx) End(reason string) error {
	if !cx.Active() {
		return nil
	}
	n, err := cx.s.endContact(cx.Tx, &cx.Contact, reason, "", cx.depth)
	cx.notices = append(cx.notices, n...)
	return err
}

// SystemDisplayName is the display name of messages the system (a contact
// flow) sends, as Connect shows them.
const SystemDisplayName = "SYSTEM_MESSAGE"

// AppendSystemMessage appends a message from the system (a contact flow's
// MessageParticipant) and delivers it live after the commit.
func (cx *Tx) AppendSystemMessage(contentType, content string) error {
	if !cx.Active() {
		return errorf(fault.InvalidRequest, "Contact %s has ended", cx.Contact.ID)
	}
	it := eventItem(cx.Contact, contentType, nil, cx.s.clock())
	it.Type = store.ItemMessage
	it.Content = content
	it.Role = store.RoleSystem
	it.DisplayName = SystemDisplayName
	n, err := cx.s.appendItem(cx.Tx, cx.Contact, it)
	if err != nil {
		return err
	}
	cx.notices = append(cx.notices, n)
	return nil
}

// SetAttributes merges attributes into the contact's user-defined
// attributes and saves them.
func (cx *Tx) SetAttributes(attrs map[string]string) error {
	merged := make(map[string]string, len(cx.Contact.Attributes)+len(attrs))
	for k, v := range cx.Contact.Attributes {
		merged[k] = v
	}
	for k, v := range attrs {
		merged[k] = v
	}
	c := cx.Contact
	c.Attributes = merged
	c.LastUpdatedAt = cx.s.clock()
	if err := cx.UpdateContact(c); err != nil {
		return err
	}
	cx.Contact = c
	return nil
}

// Served reports whether an agent or a custom bot is still in the chat
// (one who has not left), serving the customer.
func (cx *Tx) Served() (bool, error) {
	ps, err := cx.ListParticipants(cx.Contact.ID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.State != store.ParticipantLeft && (p.Role == store.RoleAgent || p.Role == store.RoleCustomBot) {
			return true, nil
		}
	}
	return false, nil
}
