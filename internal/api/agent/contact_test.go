package agent_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/parley-chat/parley/internal/auth"
	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/routing"
)

func TestContactDetailAndWrapUpNote(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	if _, err := s.dir.CreateUser(ctx, s.boot.InstanceID, auth.NewUser{
		Username: "agent2", Password: agentPassword, IdentityInfo: auth.IdentityInfo{FirstName: "Bo"},
		PhoneConfig: &auth.PhoneConfig{PhoneType: auth.SoftPhone}, SecurityProfileIDs: []string{auth.AgentProfileID},
		RoutingProfileID: s.boot.RoutingProfileID,
	}); err != nil {
		t.Fatalf("create agent2: %v", err)
	}
	c := s.loginAgent()
	other := s.login("agent2", agentPassword)
	ev := c.events()
	ev.next("snapshot", "")
	c.setStatus(routing.StatusAvailableID)

	out, err := s.chat.StartChat(ctx, s.boot.InstanceID, chat.StartInput{ContactFlowID: s.boot.InboundFlowID,
		DisplayName: "Casey <b>", Attributes: map[string]string{"customerName": "Casey", "orderId": "A-42"}})
	if err != nil {
		t.Fatalf("StartChat: %v", err)
	}
	id := out.ContactID
	path := "/api/agent/contacts/" + id
	if r := c.send(req{method: "GET", path: "/api/agent/contacts/nope"}); r.status != http.StatusNotFound {
		t.Fatalf("unknown contact: got %d %s, want 404", r.status, r.body)
	}
	ev.next(routing.EventOffer, id)

	var d routing.ContactDetail
	c.ok("GET", path, nil, &d)
	if d.ContactID != id || d.Attributes["orderId"] != "A-42" || d.CustomerName != "Casey <b>" || d.Queue == "" || d.InitiatedAt == "" || d.State == "" {
		t.Fatalf("contact detail while offered: %+v", d)
	}
	if r := other.send(req{method: "GET", path: path}); r.status != http.StatusNotFound || r.errorCode() != "ContactNotFound" {
		t.Fatalf("another agent: got %d %s, want 404 ContactNotFound", r.status, r.body)
	}
	s.loginAdmin().ok("GET", path, nil, &d) // a supervisor may read any contact
	if d.ContactID != id {
		t.Fatalf("supervisor read: %+v", d)
	}

	c.ok("POST", contactPath(id, "accept"), nil, nil)
	c.ok("POST", contactPath(id, "end"), nil, nil)
	ev.next(routing.EventContactACW, id)
	c.ok("GET", path, nil, &d) // still readable in after-contact work
	if r := c.send(req{method: "POST", path: contactPath(id, "complete-acw"), body: map[string]any{"note": 42}}); r.status != http.StatusBadRequest {
		t.Fatalf("note of the wrong type: got %d %s, want 400", r.status, r.body)
	}
	c.ok("POST", contactPath(id, "complete-acw"), map[string]string{"note": "  Refund issued  "}, nil)
	ev.next(routing.EventContactDone, id)
	if r := c.send(req{method: "GET", path: path}); r.status != http.StatusNotFound {
		t.Fatalf("after ACW: got %d %s, want 404 (no assignment left)", r.status, r.body)
	}
	got, err := s.routing.AgentContactDetail(ctx, s.boot.InstanceID, "", id, true)
	if err != nil || got.Attributes[routing.WrapUpNoteAttribute] != "Refund issued" || got.Attributes["orderId"] != "A-42" {
		t.Fatalf("wrap-up note: got %+v, %v", got.Attributes, err)
	}
}

func TestQuickResponses(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	ctx := context.Background()
	for _, q := range []routing.QuickResponse{
		{Name: "Greeting", Content: "Hello! How can I help?", Shortcut: "hi"},
		{Name: "Refund", Content: "Your **refund** is on its way."},
	} {
		if _, err := s.routing.PutQuickResponse(ctx, s.boot.InstanceID, q); err != nil {
			t.Fatalf("PutQuickResponse: %v", err)
		}
	}
	// The same name replaces.
	if _, err := s.routing.PutQuickResponse(ctx, s.boot.InstanceID, routing.QuickResponse{Name: "Refund", Content: "Your REFUND is on its way."}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.routing.PutQuickResponse(ctx, s.boot.InstanceID, routing.QuickResponse{Name: " ", Content: "x"}); err == nil {
		t.Fatal("a blank name was accepted")
	}
	c := s.loginAgent()
	var out struct{ QuickResponses []routing.QuickResponse }
	c.ok("GET", "/api/agent/quick-responses", nil, &out)
	if len(out.QuickResponses) != 2 || out.QuickResponses[0].Name != "Greeting" || out.QuickResponses[1].Content != "Your REFUND is on its way." {
		t.Fatalf("all quick responses: %+v", out.QuickResponses)
	}
	for q, want := range map[string]int{"refund": 1, "HELP": 1, "hi": 1, "zzz": 0} {
		c.ok("GET", "/api/agent/quick-responses?q="+q, nil, &out)
		if len(out.QuickResponses) != want {
			t.Errorf("q=%s: got %+v, want %d", q, out.QuickResponses, want)
		}
	}
	c.ok("GET", "/api/agent/quick-responses?q=greet", nil, &out)
	if len(out.QuickResponses) != 1 {
		t.Fatalf("q=greet: got %+v", out.QuickResponses)
	}
	if err := s.routing.DeleteQuickResponse(ctx, s.boot.InstanceID, out.QuickResponses[0].ID); err != nil {
		t.Fatalf("DeleteQuickResponse: %v", err)
	}
	if err := s.routing.DeleteQuickResponse(ctx, s.boot.InstanceID, out.QuickResponses[0].ID); err == nil {
		t.Fatal("deleting twice succeeded")
	}
	c.ok("GET", "/api/agent/quick-responses", nil, &out)
	if len(out.QuickResponses) != 1 || out.QuickResponses[0].Name != "Refund" {
		t.Fatalf("after delete: %+v", out.QuickResponses)
	}
}
