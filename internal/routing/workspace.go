package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// Limits of the workspace's own data.
const (
	// MaxWrapUpNote is the longest wrap-up note, in characters.
	MaxWrapUpNote = 4096
	// MaxQuickResponseName and MaxQuickResponseContent bound a quick
	// response, in characters.
	MaxQuickResponseName    = 127
	MaxQuickResponseContent = 4096
	// WrapUpNoteAttribute is the contact attribute that keeps the note an
	// agent wrote when completing after-contact work.
	WrapUpNoteAttribute = "wrapUpNote"
)

// ContactDetail is what an agent's workspace shows about one of their
// contacts: its attributes (pre-chat answers included) and who the
// customer is.
type ContactDetail struct {
	ContactID    string            `json:"contactId"`
	Attributes   map[string]string `json:"attributes"`
	CustomerName string            `json:"customerName,omitempty"`
	Queue        string            `json:"queue,omitempty"`
	InitiatedAt  string            `json:"initiatedAt"`
	State        string            `json:"state"`
}

// AgentContactDetail returns a contact for the workspace of userID, who
// must hold an assignment of it (offered, connected or in after-contact
// work) unless supervisor is set (the caller may monitor any contact).
// Without either it answers ContactNotFound, as for a missing contact.
func (s *Service) AgentContactDetail(ctx context.Context, instanceID, userID, contactID string, supervisor bool) (ContactDetail, error) {
	notFound := fault.Errorf(fault.ContactNotFound, "Contact %s not found", contactID)
	if !supervisor {
		as, err := s.store.ListAssignments(ctx, store.AssignmentQuery{InstanceID: instanceID, UserID: userID, ContactID: contactID, Active: true})
		if err != nil {
			return ContactDetail{}, fmt.Errorf("contact detail: %w", err)
		}
		if len(as) == 0 {
			return ContactDetail{}, notFound
		}
	}
	c, err := s.store.GetContact(ctx, instanceID, contactID)
	if errors.Is(err, store.ErrNotFound) {
		return ContactDetail{}, notFound
	} else if err != nil {
		return ContactDetail{}, fmt.Errorf("contact detail: %w", err)
	}
	out := ContactDetail{ContactID: c.ID, Attributes: maps.Clone(c.Attributes), State: c.State,
		InitiatedAt: c.InitiatedAt.UTC().Format("2006-01-02T15:04:05.000Z")}
	if out.Attributes == nil {
		out.Attributes = map[string]string{}
	}
	if info, ok, err := s.Contact(ctx, instanceID, contactID); err != nil {
		return ContactDetail{}, err
	} else if ok && info.QueueID != "" {
		out.Queue = info.QueueID
		if q, err := s.store.GetResource(ctx, instanceID, store.KindQueue, info.QueueID); err == nil {
			out.Queue = q.Name
		}
	}
	if ps, err := s.store.ListParticipants(ctx, contactID); err == nil {
		for _, p := range ps {
			if p.Role == store.RoleCustomer {
				out.CustomerName = p.DisplayName
			}
		}
	}
	return out, nil
}

// CompleteACWWithNote is CompleteACW that first keeps the agent's
// wrap-up note, if any, as the contact attribute wrapUpNote (so it shows
// wherever the contact's attributes do: DescribeContact, contact
// records). The note is written only while the agent is in after-contact
// work on the contact.
func (s *Service) CompleteACWWithNote(ctx context.Context, instanceID, userID, contactID, note string) error {
	if note = strings.TrimSpace(note); note != "" {
		if utf8.RuneCountInString(note) > MaxWrapUpNote {
			return fault.Errorf(fault.InvalidParameter, "note must be at most %d characters", MaxWrapUpNote)
		}
		err := s.store.Write(ctx, func(tx store.Tx) error {
			as, err := tx.ListAssignments(store.AssignmentQuery{InstanceID: instanceID, UserID: userID, ContactID: contactID, Active: true})
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(as, func(a store.Assignment) bool { return a.State == store.AssignmentACW }) {
				return fault.Errorf(fault.InvalidRequest, "Contact %s is not in after-contact work for you", contactID)
			}
			c, err := tx.LockContact(instanceID, contactID)
			if err != nil {
				return err
			}
			attrs := maps.Clone(c.Attributes)
			if attrs == nil {
				attrs = map[string]string{}
			}
			attrs[WrapUpNoteAttribute] = note
			c.Attributes, c.LastUpdatedAt = attrs, s.clock()
			return tx.UpdateContact(c)
		})
		if err != nil {
			return fmt.Errorf("save wrap-up note: %w", err)
		}
	}
	return s.CompleteACW(ctx, instanceID, userID, contactID)
}

// QuickResponse is a saved reply agents insert in a chat.
type QuickResponse struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Content  string `json:"content"`
	Shortcut string `json:"shortcut,omitempty"`
}

// PutQuickResponse creates a quick response, or replaces the one with the
// same name (names are unique per instance).
func (s *Service) PutQuickResponse(ctx context.Context, instanceID string, q QuickResponse) (QuickResponse, error) {
	q.Name, q.Shortcut = strings.TrimSpace(q.Name), strings.TrimSpace(q.Shortcut)
	switch {
	case q.Name == "" || utf8.RuneCountInString(q.Name) > MaxQuickResponseName:
		return QuickResponse{}, fault.Errorf(fault.InvalidParameter, "Name must be 1 to %d characters", MaxQuickResponseName)
	case strings.TrimSpace(q.Content) == "" || utf8.RuneCountInString(q.Content) > MaxQuickResponseContent:
		return QuickResponse{}, fault.Errorf(fault.InvalidParameter, "Content must be 1 to %d characters", MaxQuickResponseContent)
	case utf8.RuneCountInString(q.Shortcut) > MaxQuickResponseName:
		return QuickResponse{}, fault.Errorf(fault.InvalidParameter, "Shortcut must be at most %d characters", MaxQuickResponseName)
	}
	err := s.store.Write(ctx, func(tx store.Tx) error {
		now := s.clock()
		r := store.Resource{InstanceID: instanceID, Kind: store.KindQuickResponse, ID: uuid.NewString(), Name: q.Name, CreatedAt: now, UpdatedAt: now}
		old, err := tx.GetResourceByName(instanceID, store.KindQuickResponse, q.Name)
		if err == nil {
			r.ID, r.CreatedAt = old.ID, old.CreatedAt
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		q.ID = r.ID
		if r.Body, err = json.Marshal(q); err != nil {
			return err
		}
		return tx.PutResource(r)
	})
	if err != nil {
		return QuickResponse{}, fmt.Errorf("put quick response: %w", err)
	}
	return q, nil
}

// QuickResponses lists an instance's quick responses by name; a non-empty
// query keeps those whose name, shortcut or content contains it, case
// insensitively.
func (s *Service) QuickResponses(ctx context.Context, instanceID, query string) ([]QuickResponse, error) {
	rs, err := s.store.ListResources(ctx, instanceID, store.KindQuickResponse)
	if err != nil {
		return nil, fmt.Errorf("list quick responses: %w", err)
	}
	query = strings.ToLower(strings.TrimSpace(query))
	out := make([]QuickResponse, 0, len(rs))
	for _, r := range rs {
		var q QuickResponse
		if err := json.Unmarshal(r.Body, &q); err != nil {
			return nil, fmt.Errorf("decode quick response %s: %w", r.ID, err)
		}
		q.ID, q.Name = r.ID, r.Name
		if query != "" && !strings.Contains(strings.ToLower(q.Name+"\x00"+q.Shortcut+"\x00"+q.Content), query) {
			continue
		}
		out = append(out, q)
	}
	return out, nil
}

// DeleteQuickResponse removes a quick response (NotFound if missing).
func (s *Service) DeleteQuickResponse(ctx context.Context, instanceID, id string) error {
	err := s.store.Write(ctx, func(tx store.Tx) error {
		err := tx.DeleteResource(instanceID, store.KindQuickResponse, id)
		if errors.Is(err, store.ErrNotFound) {
			return fault.NotFoundf("QUICK_RESPONSE", id, "Quick response %s not found", id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("delete quick response: %w", err)
	}
	return nil
}
