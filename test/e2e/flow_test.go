package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestFlowWaitSurvivesKill drives the product page's story over the real
// binary with the default flows, and kills the server while contacts wait
// in Wait blocks:
//   - Ana's agent ends the chat; the disconnect flow waits for her. The
//     server is SIGKILLed and restarted; Ana writes "Hey, I'm back"; the
//     Customer-return branch routes her to the same agent, who is offered
//     the chat again, accepts, and answers.
//   - Ben's chat waits in a short Wait when the server is killed. After the
//     restart its timer fires exactly once: one Timeout message, one
//     WaitCompleted flow-log record, and the chat ends.
func TestFlowWaitSurvivesKill(t *testing.T) {
	t.Parallel()
	bin := Build(t)
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(*testing.T) string { return "" }},
		{"postgres", func(t *testing.T) string { return PostgresDB(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := Start(t, bin, Options{DB: tc.db(t)})
			flowWaitSurvivesKill(t, srv)
		})
	}
}

// shortWaitFlow greets, waits 4 seconds for the customer, and either
// queues them or says goodbye.
const shortWaitFlow = `{
  "Version": "2019-10-30",
  "StartAction": "Hello",
  "Metadata": {"entryPointPosition": {"x": 40, "y": 40}, "name": "Short wait"},
  "Actions": [
    {"Identifier": "Hello", "Type": "MessageParticipant", "Parameters": {"Text": "Hello $.Attributes.name, reply within 4 seconds."},
     "Transitions": {"NextAction": "Wait", "Errors": [{"NextAction": "Wait", "ErrorType": "NoMatchingError"}]}},
    {"Identifier": "Wait", "Type": "Wait", "Parameters": {"TimeLimitSeconds": "4", "Events": ["CustomerReturned"]},
     "Transitions": {"NextAction": "Bye", "Conditions": [
       {"NextAction": "Queue", "Condition": {"Operator": "Equals", "Operands": ["CustomerReturned"]}},
       {"NextAction": "Timed out", "Condition": {"Operator": "Equals", "Operands": ["WaitCompleted"]}}],
      "Errors": [{"NextAction": "Bye", "ErrorType": "NoMatchingError"}]}},
    {"Identifier": "Queue", "Type": "UpdateContactTargetQueue", "Parameters": {"QueueId": "%s"},
     "Transitions": {"NextAction": "Transfer", "Errors": [{"NextAction": "Bye", "ErrorType": "NoMatchingError"}]}},
    {"Identifier": "Transfer", "Type": "TransferContactToQueue", "Parameters": {},
     "Transitions": {"NextAction": "Bye", "Errors": [{"NextAction": "Bye", "ErrorType": "QueueAtCapacity"}, {"NextAction": "Bye", "ErrorType": "NoMatchingError"}]}},
    {"Identifier": "Timed out", "Type": "MessageParticipant", "Parameters": {"Text": "No reply, closing the chat."},
     "Transitions": {"NextAction": "Bye", "Errors": [{"NextAction": "Bye", "ErrorType": "NoMatchingError"}]}},
    {"Identifier": "Bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}}
  ]
}`

func flowWaitSurvivesKill(t *testing.T, srv *Server) {
	c := newAPIClient(t, srv)
	inst := srv.Bootstrap.InstanceID
	if err := c.do("PUT", "/users/"+inst, "", map[string]any{
		"Username": "ann", "Password": "Passw0rd-ann", "SecurityProfileIds": []string{agentSecurityProfile},
		"RoutingProfileId": srv.Bootstrap.RoutingProfileID, "IdentityInfo": map[string]string{"FirstName": "Ann"},
	}, nil); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	var created struct{ ContactFlowId string }
	if err := c.do("PUT", "/contact-flows/"+inst, "", map[string]any{
		"Name": "Short wait", "Type": "CONTACT_FLOW", "Content": fmt.Sprintf(shortWaitFlow, srv.Bootstrap.BasicQueueID),
	}, &created); err != nil {
		t.Fatalf("CreateContactFlow: %v", err)
	}

	ann := loginWorkspace(t, srv, "ann", "Passw0rd-ann")
	ann.call("PUT", "/api/agent/status", map[string]string{"statusId": "00000000-0000-4000-b000-000000000001"}, nil)

	// Ana talks to Ann, who ends the chat: the disconnect flow waits.
	ana := startChatWith(t, c, srv.Bootstrap.InboundFlowID, "Ana", map[string]string{"customerName": "Ana"})
	acceptWhenOffered(t, ann, ana.ContactID)
	ann.call("POST", "/api/agent/contacts/"+ana.ContactID+"/end", nil, nil)
	ann.call("POST", "/api/agent/contacts/"+ana.ContactID+"/complete-acw", nil, nil)
	waitForMessage(t, c, ana.token, "The agent has left the chat.")

	// Ben's chat waits 4 seconds for him.
	ben := startChatWith(t, c, created.ContactFlowId, "Ben", map[string]string{"name": "Ben"})
	waitForMessage(t, c, ben.token, "Hello Ben, reply within 4 seconds.")

	srv.Kill()
	srv.Restart(t)
	ann = loginWorkspace(t, srv, "ann", "Passw0rd-ann")
	ann.call("PUT", "/api/agent/status", map[string]string{"statusId": "00000000-0000-4000-b000-000000000001"}, nil)

	// Ana is back: the Customer-return branch sends her to Ann again.
	if err := c.do("POST", "/participant/message", ana.token, map[string]any{"ContentType": "text/plain", "Content": "Hey, I'm back"}, nil); err != nil {
		t.Fatalf("Ana writes after the restart: %v", err)
	}
	waitForMessage(t, c, ana.token, "Welcome back! Connecting you to ann.")
	token := acceptWhenOffered(t, ann, ana.ContactID)
	if err := c.do("POST", "/participant/message", token, map[string]any{"ContentType": "text/plain", "Content": "Hi again Ana, Ann here"}, nil); err != nil {
		t.Fatalf("Ann answers: %v", err)
	}
	waitForMessage(t, c, ana.token, "Hi again Ana, Ann here")

	// Ben stayed quiet: his Wait's timer fired once after the restart.
	deadline := time.Now().Add(30 * time.Second)
	var desc struct {
		Contact struct{ DisconnectReason string }
	}
	for {
		if err := c.do("GET", "/contacts/"+inst+"/"+ben.ContactID, "", nil, &desc); err != nil {
			t.Fatalf("DescribeContact: %v", err)
		}
		if desc.Contact.DisconnectReason != "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if desc.Contact.DisconnectReason != "CONTACT_FLOW_DISCONNECT" {
		t.Fatalf("Ben's chat: disconnect reason %q, want CONTACT_FLOW_DISCONNECT (the Timeout branch)", desc.Contact.DisconnectReason)
	}
	var logs struct{ FlowLogs []map[string]any }
	if err := c.do("GET", "/parley/contact-flow-logs/"+inst+"/"+ben.ContactID, "", nil, &logs); err != nil {
		t.Fatalf("flow logs: %v", err)
	}
	completed, timedOut := 0, 0
	for _, l := range logs.FlowLogs {
		if l["Identifier"] == "Wait" && l["Results"] == "WaitCompleted" {
			completed++
		}
		if l["Identifier"] == "Timed out" {
			timedOut++
		}
	}
	if completed != 1 || timedOut != 1 {
		raw, _ := json.MarshalIndent(logs.FlowLogs, "", "  ")
		t.Fatalf("Ben's flow log has %d WaitCompleted and %d Timeout messages, want 1 and 1:\n%s", completed, timedOut, raw)
	}
}

// chatHandle is a started chat with its customer's connection token.
type chatHandle struct {
	ContactID string
	token     string
}

func startChatWith(t *testing.T, c *apiClient, flowID, name string, attrs map[string]string) chatHandle {
	t.Helper()
	var out startedChat
	if err := c.do("PUT", "/contact/chat", "", map[string]any{
		"InstanceId": c.srv.Bootstrap.InstanceID, "ContactFlowId": flowID,
		"ParticipantDetails": map[string]string{"DisplayName": name}, "Attributes": attrs,
	}, &out); err != nil {
		t.Fatalf("StartChatContact: %v", err)
	}
	conn, err := c.connect(out.ParticipantToken)
	if err != nil {
		t.Fatalf("customer connects: %v", err)
	}
	return chatHandle{ContactID: out.ContactID, token: conn.ConnectionCredentials.ConnectionToken}
}

// acceptWhenOffered waits until the agent is offered the contact, accepts
// it, connects, and returns the agent's connection token.
func acceptWhenOffered(t *testing.T, w *workspace, contactID string) string {
	t.Helper()
	var state struct {
		State struct {
			Contacts []struct {
				Assignment struct {
					ContactID string `json:"contactId"`
					State     string `json:"state"`
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for offered := false; !offered; {
		w.call("GET", "/api/agent/me", nil, &state)
		for _, c := range state.State.Contacts {
			offered = offered || c.Assignment.ContactID == contactID && c.Assignment.State == "OFFERED"
		}
		if !offered && time.Now().After(deadline) {
			t.Fatalf("contact %s was never offered: %+v", contactID, state)
		}
		if !offered {
			time.Sleep(50 * time.Millisecond)
		}
	}
	var acc struct{ ParticipantToken string }
	w.call("POST", "/api/agent/contacts/"+contactID+"/accept", nil, &acc)
	conn, err := newAPIClient(t, w.srv).connect(acc.ParticipantToken)
	if err != nil {
		t.Fatalf("agent connects: %v", err)
	}
	return conn.ConnectionCredentials.ConnectionToken
}

// waitForMessage waits until the transcript holds exactly one message
// starting with prefix (twice would mean a block ran twice).
func waitForMessage(t *testing.T, c *apiClient, token, prefix string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		items, err := c.transcript(token)
		if err != nil {
			t.Fatalf("transcript while waiting for %q: %v", prefix, err)
		}
		n := 0
		for _, it := range items {
			if it.Type == "MESSAGE" && strings.HasPrefix(it.Content, prefix) {
				n++
			}
		}
		if n > 1 {
			t.Fatalf("%d messages %q, want one: %+v", n, prefix, items)
		}
		if n == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %q in %+v", prefix, items)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
