package agent

import (
	"encoding/json"
	"net/http"
	"strconv"
	"unicode/utf8"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/store"
)

// The test-chat endpoints let someone who may see contact flows chat as a
// customer on a flow of their choice and watch its flow log, as Amazon
// Connect's test chat does. A test chat is an ordinary chat contact (it
// runs the flow for real, may queue and reach agents) marked with the
// attribute TestChatAttribute; only such contacts' logs are readable
// here, so the page cannot be used to read the flow logs of real
// customers' chats.

// TestChatAttribute is the contact attribute, set to "true", that marks a
// chat started from the test-chat page.
const TestChatAttribute = "parleyTestChat"

// testChatDisplayName is the customer's name when the page gives none.
const testChatDisplayName = "Test customer"

// flowTypeContactFlow is the only flow type a chat can start on.
const flowTypeContactFlow = "CONTACT_FLOW"

type testChatFlow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Version int    `json:"version"`
}

// startable reports whether a chat can start on the flow: an active
// inbound flow that has been published at least once.
func startable(f store.ContactFlow) bool {
	return f.Type == flowTypeContactFlow && f.Version > 0 && f.State != store.FlowArchived
}

// testChatFlows lists the flows a test chat can start on, by name.
func (h *Handler) testChatFlows(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	fs, err := h.flows.ListFlows(r.Context(), s.InstanceID, []string{flowTypeContactFlow})
	if err != nil {
		return nil, err
	}
	out := []testChatFlow{}
	for _, f := range fs {
		if startable(f) {
			out = append(out, testChatFlow{ID: f.ID, Name: f.Name, Type: f.Type, Status: f.Status, Version: f.Version})
		}
	}
	return struct {
		Flows []testChatFlow `json:"flows"`
	}{out}, nil
}

type testChatStartInput struct {
	FlowID      string            `json:"flowId"`
	DisplayName string            `json:"displayName"`
	Attributes  map[string]string `json:"attributes"`
}

type testChatStartOutput struct {
	ContactID        string `json:"contactId"`
	ParticipantID    string `json:"participantId"`
	ParticipantToken string `json:"participantToken"`
	FlowName         string `json:"flowName"`
}

// testChatStart starts a chat on a published inbound flow, marked as a
// test chat, and returns the customer's participant token.
func (h *Handler) testChatStart(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	var in testChatStartInput
	if err := decode(w, r, &in); err != nil {
		return nil, err
	}
	if err := checkID("flowId", in.FlowID); err != nil {
		return nil, err
	}
	if in.DisplayName == "" {
		in.DisplayName = testChatDisplayName
	}
	if n := utf8.RuneCountInString(in.DisplayName); n > 256 {
		return nil, fault.Errorf(fault.InvalidParameter, "displayName must be at most 256 characters")
	}
	ctx := r.Context()
	fs, err := h.flows.ListFlows(ctx, s.InstanceID, []string{flowTypeContactFlow})
	if err != nil {
		return nil, err
	}
	var flow *store.ContactFlow
	for i := range fs {
		if fs[i].ID == in.FlowID && startable(fs[i]) {
			flow = &fs[i]
			break
		}
	}
	if flow == nil {
		return nil, fault.Errorf(fault.NotFound, "No published contact flow %s", in.FlowID)
	}
	attrs := make(map[string]string, len(in.Attributes)+1)
	for k, v := range in.Attributes {
		attrs[k] = v
	}
	attrs[TestChatAttribute] = "true"
	out, err := h.chat.StartChat(ctx, s.InstanceID, chat.StartInput{
		ContactFlowID:         flow.ID,
		DisplayName:           in.DisplayName,
		Attributes:            attrs,
		SupportedContentTypes: []string{chat.TypeTextPlain, chat.TypeTextMarkdown},
	})
	if err != nil {
		return nil, err
	}
	h.log.Info("test chat started", "instance_id", s.InstanceID, "user_id", s.User.ID, "contact_id", out.ContactID, "flow_id", flow.ID)
	return testChatStartOutput{ContactID: out.ContactID, ParticipantID: out.ParticipantID, ParticipantToken: out.ParticipantToken, FlowName: flow.Name}, nil
}

// testChatLogs returns a test chat's flow-log records after the one
// given by ?after=, oldest first, each with its logId.
func (h *Handler) testChatLogs(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	id, err := pathID(r, "contactId")
	if err != nil {
		return nil, err
	}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		after, err = strconv.ParseInt(v, 10, 64)
		if err != nil || after < 0 {
			return nil, fault.Errorf(fault.InvalidParameter, "after must be a log ID")
		}
	}
	ctx := r.Context()
	c, err := h.chat.Contact(ctx, s.InstanceID, id)
	if err != nil {
		return nil, err
	}
	if c.Attributes[TestChatAttribute] != "true" {
		return nil, forbidden("Contact " + id + " is not a test chat")
	}
	logs, err := h.flows.FlowLogs(ctx, s.InstanceID, c.ID, after, 0)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(logs))
	for _, l := range logs {
		out = append(out, testChatLogRecord(l))
		after = l.ID
	}
	return struct {
		FlowLogs  []map[string]any `json:"flowLogs"`
		NextAfter int64            `json:"nextAfter"`
	}{out, after}, nil
}

// testChatLogRecord is a flow-log record's JSON object with its logId
// added; a record that is not an object is shown as text.
func testChatLogRecord(l store.FlowLog) map[string]any {
	rec := map[string]any{}
	var fields map[string]json.RawMessage
	if json.Unmarshal(l.Record, &fields) == nil && fields != nil {
		for k, v := range fields {
			rec[k] = v
		}
	} else {
		rec["Record"] = string(l.Record)
	}
	rec["logId"] = l.ID
	return rec
}
