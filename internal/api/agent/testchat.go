package agent

import (
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/flow"
)

// The test-chat endpoints let someone who may see contact flows chat as a
// customer on a flow of their choice and watch its flow log, as Amazon
// Connect's test chat does (flow.Service.StartTestChat and friends hold
// the rules).

// testChatDisplayName is the customer's name when the page gives none.
const testChatDisplayName = "Test customer"

type testChatFlow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Type    string `json:"type"`
	Status  string `json:"status"`
	Version int    `json:"version"`
}

// testChatFlows lists the flows a test chat can start on, by name.
func (h *Handler) testChatFlows(w http.ResponseWriter, r *http.Request, s session) (any, error) {
	fs, err := h.flows.TestChatFlows(r.Context(), s.InstanceID)
	if err != nil {
		return nil, err
	}
	out := make([]testChatFlow, 0, len(fs))
	for _, f := range fs {
		out = append(out, testChatFlow{ID: f.ID, Name: f.Name, Type: f.Type, Status: f.Status, Version: f.Version})
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

// testChatStart starts a test chat and returns the customer's
// participant token.
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
	out, f, err := h.flows.StartTestChat(r.Context(), s.InstanceID, in.FlowID, in.DisplayName, in.Attributes)
	if err != nil {
		return nil, err
	}
	h.log.Info("test chat started", "instance_id", s.InstanceID, "user_id", s.User.ID, "contact_id", out.ContactID, "flow_id", f.ID)
	return testChatStartOutput{ContactID: out.ContactID, ParticipantID: out.ParticipantID, ParticipantToken: out.ParticipantToken, FlowName: f.Name}, nil
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
	logs, err := h.flows.TestChatLogs(r.Context(), s.InstanceID, id, after)
	if err != nil {
		return nil, err
	}
	out := make([]map[string]any, 0, len(logs))
	for _, l := range logs {
		out = append(out, flow.LogView(l, "logId"))
		after = l.ID
	}
	return struct {
		FlowLogs  []map[string]any `json:"flowLogs"`
		NextAfter int64            `json:"nextAfter"`
	}{out, after}, nil
}
