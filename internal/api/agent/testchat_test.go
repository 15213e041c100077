package agent_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/api/agent"
	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/flow"
)

type testChatFlows struct {
	Flows []struct {
		ID, Name, Type, Status string
		Version                int
	}
}

type testChatLogs struct {
	FlowLogs []struct {
		LogID                 int64 `json:"logId"`
		ContactID             string
		ContactFlowName       string
		Identifier            string
		ContactFlowModuleType string
		Parameters            map[string]any
	} `json:"flowLogs"`
	NextAfter int64 `json:"nextAfter"`
}

// waitLogs polls a test chat's flow log until it holds a record of the
// block ident.
func (c *client) waitLogs(contactID, ident string) testChatLogs {
	c.s.t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		var out testChatLogs
		c.ok("GET", "/api/agent/test-chat/"+contactID+"/flow-logs", nil, &out)
		for _, r := range out.FlowLogs {
			if r.Identifier == ident {
				return out
			}
		}
		if time.Now().After(deadline) {
			c.s.t.Fatalf("no %q record in the flow log of %s: %+v", ident, contactID, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTestChat(t *testing.T) {
	s := newServer(t)
	admin := s.loginAdmin()
	ctx := context.Background()

	// The picker lists the published inbound flows only.
	var fl testChatFlows
	admin.ok("GET", "/api/agent/test-chat/flows", nil, &fl)
	i := slices.IndexFunc(fl.Flows, func(f struct {
		ID, Name, Type, Status string
		Version                int
	}) bool {
		return f.ID == s.boot.InboundFlowID
	})
	if i < 0 {
		t.Fatalf("the inbound flow is not listed: %+v", fl)
	}
	if f := fl.Flows[i]; f.Name != "Default inbound flow" || f.Version < 1 {
		t.Errorf("inbound flow listed as %+v", f)
	}
	for _, f := range fl.Flows {
		if f.Type != "CONTACT_FLOW" {
			t.Errorf("listed a %s flow: %+v", f.Type, f)
		}
	}
	all, err := s.flows.ListFlows(ctx, s.boot.InstanceID, []string{"CUSTOMER_QUEUE"})
	if err != nil || len(all) == 0 {
		t.Fatalf("ListFlows: %v %v", all, err)
	}
	queueFlow := all[0].ID

	// Start: the flow runs, the contact is marked, its log is readable.
	var st struct {
		ContactID        string `json:"contactId"`
		ParticipantToken string `json:"participantToken"`
		FlowName         string `json:"flowName"`
	}
	admin.ok("POST", "/api/agent/test-chat/start", map[string]any{
		"flowId": s.boot.InboundFlowID, "displayName": "Tess",
		"attributes": map[string]string{"customerName": "<b>Tess</b>", flow.TestChatAttribute: "false"},
	}, &st)
	if st.ContactID == "" || st.ParticipantToken == "" || st.FlowName != "Default inbound flow" {
		t.Fatalf("start answered %+v", st)
	}
	attrs, err := s.chat.Attributes(ctx, s.boot.InstanceID, st.ContactID)
	if err != nil || attrs[flow.TestChatAttribute] != "true" || attrs["customerName"] != "<b>Tess</b>" {
		t.Fatalf("attributes %v %v", attrs, err)
	}
	logs := admin.waitLogs(st.ContactID, "Transfer to queue")
	var prev int64
	seen := map[string]string{}
	for _, r := range logs.FlowLogs {
		if r.LogID <= prev || r.ContactID != st.ContactID || r.ContactFlowName == "" {
			t.Errorf("record %+v (previous logId %d)", r, prev)
		}
		prev = r.LogID
		seen[r.Identifier] = r.ContactFlowModuleType
	}
	if logs.NextAfter != prev {
		t.Errorf("nextAfter %d, last logId %d", logs.NextAfter, prev)
	}
	if seen["Greeting"] != "MessageParticipant" || seen["Set working queue"] != "SetQueue" {
		t.Errorf("blocks logged: %v", seen)
	}
	var rest testChatLogs
	admin.ok("GET", "/api/agent/test-chat/"+st.ContactID+"/flow-logs?after="+strconv.FormatInt(logs.NextAfter, 10), nil, &rest)
	if len(rest.FlowLogs) != 0 || rest.NextAfter != logs.NextAfter {
		t.Errorf("after the last record: %+v", rest)
	}

	cases := []struct {
		name   string
		c      *client
		q      req
		status int
		code   string
	}{
		{"flows without a session", s.anonymous(), req{method: "GET", path: "/api/agent/test-chat/flows"}, 401, "Unauthenticated"},
		{"start without CSRF token", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": s.boot.InboundFlowID}, noCSRF: true}, 403, "AccessDenied"},
		{"start from another origin", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": s.boot.InboundFlowID}, origin: "https://evil.example"}, 403, "AccessDenied"},
		{"start on an unknown flow", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": "no-such-flow"}}, 404, "NotFound"},
		{"start on a customer queue flow", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": queueFlow}}, 404, "NotFound"},
		{"start without a flow", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{}}, 400, "InvalidParameter"},
		{"start with an unknown field", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": s.boot.InboundFlowID, "queue": "x"}}, 400, "InvalidRequest"},
		{"start with a bad attribute key", admin, req{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": s.boot.InboundFlowID, "attributes": map[string]string{"a b": "x"}}}, 400, "InvalidParameter"},
		{"logs of a chat not started here", admin, req{method: "GET", path: "/api/agent/test-chat/" + s.startChat() + "/flow-logs"}, 403, "AccessDenied"},
		{"logs of an unknown contact", admin, req{method: "GET", path: "/api/agent/test-chat/no-such-contact/flow-logs"}, 404, "NotFound"},
		{"logs after a bad ID", admin, req{method: "GET", path: "/api/agent/test-chat/" + st.ContactID + "/flow-logs?after=-1"}, 400, "InvalidParameter"},
	}
	agentClient := s.loginAgent()
	for _, q := range []req{
		{method: "GET", path: "/api/agent/test-chat/flows"},
		{method: "POST", path: "/api/agent/test-chat/start", body: map[string]any{"flowId": s.boot.InboundFlowID}},
		{method: "GET", path: "/api/agent/test-chat/" + st.ContactID + "/flow-logs"},
	} {
		cases = append(cases, struct {
			name   string
			c      *client
			q      req
			status int
			code   string
		}{"agent: " + q.method + " " + q.path, agentClient, q, 403, "AccessDenied"})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.send(tc.q)
			if r.status != tc.status || r.errorCode() != tc.code {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
}

func TestTestChatPermission(t *testing.T) {
	for _, p := range auth.BuiltinProfiles {
		want := p.ID != auth.AgentProfileID
		if got := slices.Contains(p.Permissions, auth.PermContactFlowsView); got != want {
			t.Errorf("%s has %s: %v, want %v", p.Name, auth.PermContactFlowsView, got, want)
		}
	}
}

// TestTestChatRoutesNeedDeps checks that a handler without the flow and
// chat services has no test-chat routes (404, not a nil dereference).
func TestTestChatRoutesNeedDeps(t *testing.T) {
	h := agent.New(agent.Deps{})
	mux := http.NewServeMux()
	h.Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/api/agent/test-chat/flows", nil))
	var e struct{ Error struct{ Code string } }
	json.Unmarshal(rec.Body.Bytes(), &e)
	if rec.Code != http.StatusNotFound || e.Error.Code != "NotFound" {
		t.Errorf("got %d %s", rec.Code, rec.Body)
	}
}
