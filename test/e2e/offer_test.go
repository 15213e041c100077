package e2e

import (
	"context"
	"testing"
	"time"
)

// TestOfferSurvivesKill: an agent is offered a chat and drops off (their
// events socket closes, they never answer); the server is killed with the
// offer open. After the restart the offer still times out on schedule, the
// agent is Missed, and the chat goes to the next agent, who accepts and
// talks to the customer. Nothing acknowledged is lost.
func TestOfferSurvivesKill(t *testing.T) {
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
			srv := Start(t, bin, Options{DB: tc.db(t), Args: []string{"--offer-timeout", "5s"}})
			offerSurvivesKill(t, srv)
		})
	}
}

func offerSurvivesKill(t *testing.T, srv *Server) {
	c := newAPIClient(t, srv)
	inst := srv.Bootstrap.InstanceID
	for _, name := range []string{"ann", "bob"} {
		if err := c.do("PUT", "/users/"+inst, "", map[string]any{
			"Username": name, "Password": "Passw0rd-" + name, "SecurityProfileIds": []string{agentSecurityProfile},
			"RoutingProfileId": srv.Bootstrap.RoutingProfileID,
		}, nil); err != nil {
			t.Fatalf("CreateUser %s: %v", name, err)
		}
	}
	available := map[string]string{"statusId": "00000000-0000-4000-b000-000000000001"}
	ann := loginWorkspace(t, srv, "ann", "Passw0rd-ann")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	annCtx, annGone := context.WithCancel(ctx)
	annEvents := ann.events(annCtx)
	ann.call("PUT", "/api/agent/status", available, nil)
	time.Sleep(20 * time.Millisecond) // ann is idle longer than bob
	bob := loginWorkspace(t, srv, "bob", "Passw0rd-bob")
	bob.call("PUT", "/api/agent/status", available, nil)

	chat := c.startChat("Customer")
	cust, err := c.connect(chat.ParticipantToken)
	if err != nil {
		t.Fatalf("customer connects: %v", err)
	}
	offered := false
	for ev := range annEvents {
		if ev.Type == "offer" && ev.ContactID == chat.ContactID {
			offered = true
			break
		}
	}
	if !offered {
		t.Fatal("ann was never offered the chat")
	}
	annGone() // ann's browser drops off without answering
	if err := c.do("POST", "/participant/message", cust.ConnectionCredentials.ConnectionToken,
		map[string]any{"ContentType": "text/plain", "Content": "anyone there?"}, nil); err != nil {
		t.Fatalf("customer sends: %v", err)
	}
	srv.Kill()
	srv.Restart(t)

	// The workspace sessions survive the restart (they are in the store).
	var state struct {
		State struct {
			Status   struct{ Name string }
			Contacts []struct {
				Assignment struct {
					ContactID string `json:"contactId"`
					State     string `json:"state"`
				}
			}
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		bob.call("GET", "/api/agent/me", nil, &state)
		if len(state.State.Contacts) == 1 && state.State.Contacts[0].Assignment.State == "OFFERED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("bob was not offered the chat after ann's offer timed out: %+v", state)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := state.State.Contacts[0].Assignment.ContactID; got != chat.ContactID {
		t.Fatalf("bob offered %s, want %s", got, chat.ContactID)
	}
	ann.call("GET", "/api/agent/me", nil, &state)
	if state.State.Status.Name != "Missed" {
		t.Fatalf("ann after the missed offer: status %q, want Missed", state.State.Status.Name)
	}
	if err := ann.tryCall("POST", "/api/agent/contacts/"+chat.ContactID+"/accept", nil, nil); err == nil {
		t.Fatal("ann accepted an offer that had timed out")
	}
	var acc struct{ ParticipantToken string }
	bob.call("POST", "/api/agent/contacts/"+chat.ContactID+"/accept", nil, &acc)
	conn, err := c.connect(acc.ParticipantToken)
	if err != nil {
		t.Fatalf("bob connects: %v", err)
	}
	items, err := c.transcript(conn.ConnectionCredentials.ConnectionToken)
	if err != nil {
		t.Fatalf("bob reads the transcript: %v", err)
	}
	found := false
	for _, it := range items {
		found = found || it.Content == "anyone there?"
	}
	if !found {
		t.Fatalf("the customer's message sent before the kill is missing from bob's transcript: %+v", items)
	}
	// The customer sees the agent join by name and hears from them.
	if err := c.do("POST", "/participant/message", conn.ConnectionCredentials.ConnectionToken,
		map[string]any{"ContentType": "text/plain", "Content": "Hi, Bob here"}, nil); err != nil {
		t.Fatalf("bob sends: %v", err)
	}
	items, err = c.transcript(cust.ConnectionCredentials.ConnectionToken)
	if err != nil {
		t.Fatalf("customer reads the transcript: %v", err)
	}
	joined, heard := false, false
	for _, it := range items {
		joined = joined || (it.ContentType == "application/vnd.amazonaws.connect.event.participant.joined" && it.ParticipantRole == "AGENT" && it.DisplayName == "bob")
		heard = heard || (it.Content == "Hi, Bob here" && it.DisplayName == "bob")
	}
	if !joined || !heard {
		t.Fatalf("customer's transcript: agent joined by name %v, agent's message %v: %+v", joined, heard, items)
	}
}
