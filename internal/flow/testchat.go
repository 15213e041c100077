package flow

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// CanStartChats says why no chat can start in a flow, or nil if chats
// can: the flow must be an active inbound (CONTACT_FLOW) flow that has
// been published.
func CanStartChats(f store.ContactFlow) error {
	switch {
	case f.Type != ContactFlow:
		return fault.Errorf(fault.InvalidParameter, "Contact flow %s is a %s flow; chats start in an inbound (CONTACT_FLOW) flow", f.ID, f.Type)
	case f.Version == 0:
		return fault.Errorf(fault.InvalidParameter, "Contact flow %s has never been published", f.ID)
	case f.State == store.FlowArchived:
		return fault.Errorf(fault.InvalidParameter, "Contact flow %s is archived", f.ID)
	}
	return nil
}

// LogView is a flow-log record as an API shows it: the record's JSON
// object with its ID added under idKey (a record that is not an object is
// shown as text under "Record").
func LogView(l store.FlowLog, idKey string) map[string]any {
	rec := map[string]any{}
	var fields map[string]json.RawMessage
	if json.Unmarshal(l.Record, &fields) == nil && fields != nil {
		for k, v := range fields {
			rec[k] = v
		}
	} else {
		rec["Record"] = string(l.Record)
	}
	rec[idKey] = l.ID
	return rec
}

// TestChatAttribute is the contact attribute, set to "true", that marks a
// test chat: one someone who may see flows started to try a flow, like
// Amazon Connect's test chat. Only test chats' flow logs are readable
// through the test-chat page, so it cannot read real customers' logs.
const TestChatAttribute = "parleyTestChat"

// TestChatFlows returns the flows a test chat can start in, by name.
func (s *Service) TestChatFlows(ctx context.Context, instanceID string) ([]store.ContactFlow, error) {
	fs, err := s.ListFlows(ctx, instanceID, []string{ContactFlow})
	if err != nil {
		return nil, err
	}
	out := fs[:0]
	for _, f := range fs {
		if CanStartChats(f) == nil {
			out = append(out, f)
		}
	}
	return out, nil
}

// StartTestChat starts a test chat in a flow: an ordinary chat (its flow
// runs for real and may queue it for agents) marked with
// TestChatAttribute. It returns the chat and the flow.
func (s *Service) StartTestChat(ctx context.Context, instanceID, flowID, displayName string, attrs map[string]string) (chat.StartOutput, store.ContactFlow, error) {
	f, err := s.store.GetContactFlow(ctx, instanceID, resourceID(flowID))
	if err == nil {
		err = CanStartChats(f)
	}
	if err != nil {
		return chat.StartOutput{}, store.ContactFlow{}, fault.NotFoundf("CONTACT_FLOW", flowID, "No published contact flow %s", flowID)
	}
	marked := make(map[string]string, len(attrs)+1)
	for k, v := range attrs {
		marked[k] = v
	}
	marked[TestChatAttribute] = "true"
	out, err := s.chat.StartChat(ctx, instanceID, chat.StartInput{ContactFlowID: f.ID, DisplayName: displayName, Attributes: marked,
		SupportedContentTypes: []string{chat.TypeTextPlain, chat.TypeTextMarkdown}})
	if err != nil {
		return chat.StartOutput{}, store.ContactFlow{}, fmt.Errorf("start test chat: %w", err)
	}
	return out, f, nil
}

// TestChatLogs returns a test chat's flow-log records after afterID,
// oldest first; fault AccessDenied for a contact that is not a test chat.
func (s *Service) TestChatLogs(ctx context.Context, instanceID, contactID string, afterID int64) ([]store.FlowLog, error) {
	c, err := s.chat.Contact(ctx, instanceID, contactID)
	if err != nil {
		return nil, err
	}
	if c.Attributes[TestChatAttribute] != "true" {
		return nil, fault.Errorf(fault.AccessDenied, "Contact %s is not a test chat", contactID)
	}
	return s.FlowLogs(ctx, instanceID, c.ID, afterID, 0)
}
