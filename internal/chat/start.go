package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// StartInput is a StartChatContact request.
type StartInput struct {
	ContactFlowID            string
	DisplayName              string
	Attributes               map[string]string
	InitialMessage           *MessageInput
	ClientToken              string
	ChatDurationMinutes      int // 0: default
	SupportedContentTypes    []string
	PersistentChat           *PersistentChat
	RelatedContactID         string
	SegmentAttributes        json.RawMessage
	CustomerID               string
	DisconnectOnCustomerExit []string
}

// MessageInput is a message's content.
type MessageInput struct {
	ContentType string
	Content     string
}

// PersistentChat asks to continue the transcript of an ended chat.
type PersistentChat struct {
	RehydrationType string // ENTIRE_PAST_SESSION or FROM_SEGMENT
	SourceContactID string
}

// StartOutput is what StartChatContact returns.
type StartOutput struct {
	ContactID              string `json:"ContactId"`
	ParticipantID          string `json:"ParticipantId"`
	ParticipantToken       string `json:"ParticipantToken"`
	ContinuedFromContactID string `json:"ContinuedFromContactId,omitempty"`
}

var attributeKey = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// supportedContentTypes are the values SupportedMessagingContentTypes may
// list.
var supportedContentTypes = []string{TypeTextPlain, TypeTextMarkdown, TypeJSON, TypeInteractive, TypeInteractiveResponse}

// StartChat creates a chat contact with its customer participant.
func (s *Service) StartChat(ctx context.Context, instanceID string, in StartInput) (StartOutput, error) {
	if err := validateStart(&in); err != nil {
		return StartOutput{}, err
	}
	flowID := resourceID(in.ContactFlowID)
	flow, err := s.store.GetContactFlow(ctx, instanceID, flowID)
	if errors.Is(err, store.ErrNotFound) {
		return StartOutput{}, notFound("CONTACT_FLOW", flowID, "Contact flow %s not found", flowID)
	} else if err != nil {
		return StartOutput{}, fmt.Errorf("start chat: %w", err)
	}
	now := s.clock()
	var out StartOutput
	var started store.Contact
	var items []store.Item
	var notices []Notice
	err = s.store.Write(ctx, func(tx store.Tx) error {
		items, notices = items[:0], nil
		var err error
		out, err = idempotent(tx, now, "StartChatContact/"+instanceID, in.ClientToken, func() (StartOutput, error) {
			c := store.Contact{
				ID:                       newID(),
				InstanceID:               instanceID,
				Channel:                  "CHAT",
				InitiationMethod:         "API",
				FlowID:                   flowID,
				State:                    store.ContactActive,
				Attributes:               in.Attributes,
				SegmentAttributes:        string(in.SegmentAttributes),
				CustomerID:               in.CustomerID,
				SupportedContentTypes:    in.SupportedContentTypes,
				DisconnectOnCustomerExit: in.DisconnectOnCustomerExit,
				ChatDuration:             time.Duration(in.ChatDurationMinutes) * time.Minute,
				InitiatedAt:              now,
				LastUpdatedAt:            now,
			}
			c.InitialContactID = c.ID
			if in.RelatedContactID != "" {
				related, err := tx.LockContact(instanceID, resourceID(in.RelatedContactID))
				if errors.Is(err, store.ErrNotFound) {
					return StartOutput{}, notFound("CONTACT", in.RelatedContactID, "Related contact %s not found", in.RelatedContactID)
				} else if err != nil {
					return StartOutput{}, err
				}
				c.RelatedContactID = related.ID
				c.Attributes = mergeAttributes(related.Attributes, c.Attributes)
			}
			var source store.Contact
			if in.PersistentChat != nil {
				var err error
				source, err = sourceContact(tx, instanceID, in.PersistentChat)
				if err != nil {
					return StartOutput{}, err
				}
				c.RelatedContactID = source.ID
				c.ContinuedFromID = source.ID
			}
			if err := tx.InsertContact(c); err != nil {
				return StartOutput{}, err
			}
			customer := store.Participant{
				ID:          newID(),
				ContactID:   c.ID,
				InstanceID:  instanceID,
				Role:        store.RoleCustomer,
				DisplayName: in.DisplayName,
				State:       store.ParticipantInvited,
				CreatedAt:   now,
			}
			if err := tx.InsertParticipant(customer); err != nil {
				return StartOutput{}, err
			}
			token, hash := newToken()
			if err := tx.InsertToken(store.Token{
				Hash: hash, Kind: store.TokenParticipant, InstanceID: instanceID,
				ContactID: c.ID, ParticipantID: customer.ID, ExpiresAt: c.InitiatedAt.Add(c.ChatDuration), CreatedAt: now,
			}); err != nil {
				return StartOutput{}, err
			}
			items = append(items, eventItem(c, EventParticipantJoined, &customer, now))
			if source.ID != "" {
				items = append(items, eventItem(c, EventChatRehydrated, nil, now))
			}
			if m := in.InitialMessage; m != nil {
				it := eventItem(c, m.ContentType, &customer, now)
				it.Type = store.ItemMessage
				it.Content = m.Content
				items = append(items, it)
			}
			for _, it := range items {
				if _, err := tx.AppendItem(it); err != nil {
					return StartOutput{}, err
				}
			}
			if err := tx.PutTimer(store.Timer{ID: timerID(timerChatDuration, c.ID), Kind: timerChatDuration, InstanceID: instanceID, ContactID: c.ID, Due: c.InitiatedAt.Add(c.ChatDuration)}); err != nil {
				return StartOutput{}, err
			}
			if err := tx.PutTimer(store.Timer{ID: timerID(timerConnectDeadline, c.ID), Kind: timerConnectDeadline, InstanceID: instanceID, ContactID: c.ID, Due: now.Add(CustomerConnectWithin)}); err != nil {
				return StartOutput{}, err
			}
			if notices, err = s.fire(tx, &c, Event{Kind: ContactStarted, Flow: flow}, 0); err != nil {
				return StartOutput{}, err
			}
			// The instance's count last (see endContact for the lock order).
			active, err := tx.AddActiveChats(instanceID, 1)
			if err != nil {
				return StartOutput{}, err
			}
			if s.maxActive > 0 && active > s.maxActive {
				if in.ClientToken != "" { // a replay of a start that succeeded still answers
					if _, err := tx.GetIdempotent("StartChatContact/"+instanceID, in.ClientToken); err == nil {
						return StartOutput{}, errReplay
					}
				}
				return StartOutput{}, errorf(fault.LimitExceeded, "The instance has %d active chats, its limit", s.maxActive)
			}
			started = c
			return StartOutput{ContactID: c.ID, ParticipantID: customer.ID, ParticipantToken: token, ContinuedFromContactID: source.ID}, nil
		})
		return err
	})
	if errors.Is(err, errReplay) {
		out, err = replayed[StartOutput](ctx, s.store, "StartChatContact/"+instanceID, in.ClientToken)
		started = store.Contact{}
	}
	if err != nil {
		return StartOutput{}, fmt.Errorf("start chat: %w", err)
	}
	if started.ID != "" {
		s.publish(ctx, started, notices...)
		s.log.Info("chat started", "instance_id", instanceID, "contact_id", started.ID)
	}
	return out, nil
}

// sourceContact resolves the contact a persistent chat continues from.
func sourceContact(tx store.Tx, instanceID string, pc *PersistentChat) (store.Contact, error) {
	id := resourceID(pc.SourceContactID)
	src, err := tx.LockContact(instanceID, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Contact{}, notFound("CONTACT", id, "Source contact %s not found", id)
	} else if err != nil {
		return store.Contact{}, err
	}
	if pc.RehydrationType == "ENTIRE_PAST_SESSION" && src.InitialContactID != src.ID {
		return store.Contact{}, errorf(fault.InvalidRequest, "SourceContactId must be the initial contact of the past session for ENTIRE_PAST_SESSION")
	}
	if src.State != store.ContactEnded {
		return store.Contact{}, errorf(fault.InvalidRequest, "Source contact %s has not ended; only ended chats can be continued", id)
	}
	if taken, err := tx.HasContinuation(src.ID); err != nil {
		return store.Contact{}, err
	} else if taken {
		return store.Contact{}, errorf(fault.InvalidRequest, "Source contact %s has already been continued by another chat; continue from the most recent contact instead", id)
	}
	return src, nil
}

func validateStart(in *StartInput) error {
	if in.ContactFlowID == "" {
		return errorf(fault.InvalidParameter, "ContactFlowId is required")
	}
	if n := utf8.RuneCountInString(in.DisplayName); n < 1 || n > 256 {
		return errorf(fault.InvalidParameter, "ParticipantDetails.DisplayName must be 1 to 256 characters")
	}
	if err := validateAttributes(in.Attributes); err != nil {
		return err
	}
	switch d := in.ChatDurationMinutes; {
	case d == 0:
		in.ChatDurationMinutes = int(DefaultChatDuration / time.Minute)
	case d < int(MinChatDuration/time.Minute) || d > int(MaxChatDuration/time.Minute):
		return errorf(fault.InvalidParameter, "ChatDurationInMinutes must be between 60 and 10080, got %d", d)
	}
	if len(in.SupportedContentTypes) == 0 {
		in.SupportedContentTypes = []string{TypeTextPlain}
	}
	for _, t := range in.SupportedContentTypes {
		if !slices.Contains(supportedContentTypes, t) {
			return errorf(fault.InvalidParameter, "SupportedMessagingContentTypes: unsupported content type %q", t)
		}
	}
	if !slices.Contains(in.SupportedContentTypes, TypeTextPlain) {
		return errorf(fault.InvalidParameter, "SupportedMessagingContentTypes must include text/plain")
	}
	in.SupportedContentTypes = slices.Compact(slices.Sorted(slices.Values(in.SupportedContentTypes)))
	if m := in.InitialMessage; m != nil {
		switch m.ContentType {
		case TypeTextPlain, TypeTextMarkdown, TypeJSON, TypeInteractiveResponse:
		default:
			return errorf(fault.InvalidParameter, "InitialMessage.ContentType %q is not supported", m.ContentType)
		}
		if m.Content == "" || len(m.Content) > MaxInitialMessage {
			return errorf(fault.InvalidParameter, "InitialMessage.Content must be 1 to %d bytes", MaxInitialMessage)
		}
		if !slices.Contains(in.SupportedContentTypes, m.ContentType) {
			return errorf(fault.InvalidParameter, "InitialMessage.ContentType %q is not in SupportedMessagingContentTypes", m.ContentType)
		}
	}
	if pc := in.PersistentChat; pc != nil {
		if in.RelatedContactID != "" {
			return errorf(fault.InvalidRequest, "PersistentChat and RelatedContactId cannot be used together")
		}
		if pc.RehydrationType != "ENTIRE_PAST_SESSION" && pc.RehydrationType != "FROM_SEGMENT" {
			return errorf(fault.InvalidParameter, "PersistentChat.RehydrationType must be ENTIRE_PAST_SESSION or FROM_SEGMENT")
		}
		if pc.SourceContactID == "" {
			return errorf(fault.InvalidParameter, "PersistentChat.SourceContactId is required")
		}
	}
	for _, r := range in.DisconnectOnCustomerExit {
		if r != store.RoleAgent {
			return errorf(fault.InvalidParameter, "DisconnectOnCustomerExit: unsupported participant type %q", r)
		}
	}
	if len(in.SegmentAttributes) > 0 {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(in.SegmentAttributes, &m); err != nil {
			return errorf(fault.InvalidParameter, "SegmentAttributes must be an object")
		}
		for k := range m {
			if !strings.HasPrefix(k, "connect:") && !attributeKey.MatchString(k) {
				return errorf(fault.InvalidParameter, "SegmentAttributes: invalid key %q", k)
			}
		}
	}
	if len(in.ClientToken) > 500 {
		return errorf(fault.InvalidParameter, "ClientToken must be at most 500 characters")
	}
	return nil
}

func validateAttributes(attrs map[string]string) error {
	size := 0
	for k, v := range attrs {
		if !attributeKey.MatchString(k) || len(k) > 32767 {
			return errorf(fault.InvalidParameter, "attribute key %q may contain only letters, digits, '-' and '_'", k)
		}
		size += len(k) + len(v)
	}
	if size > MaxAttributesBytes {
		return errorf(fault.InvalidParameter, "attributes total %d bytes; the limit is %d", size, MaxAttributesBytes)
	}
	return nil
}

func mergeAttributes(base, overlay map[string]string) map[string]string {
	out := make(map[string]string, len(base)+len(overlay))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range overlay {
		out[k] = v
	}
	return out
}

// resourceID accepts a bare ID or a Connect ARN and returns the ID (the last
// path segment).
func resourceID(idOrARN string) string {
	if strings.HasPrefix(idOrARN, "arn:") {
		if i := strings.LastIndexByte(idOrARN, '/'); i >= 0 {
			return idOrARN[i+1:]
		}
	}
	return idOrARN
}
