package flow_test

import (
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/store"
)

const customBotFlow = `{"Version":"2019-10-30","StartAction":"Let the bot join","Actions":[
 {"Identifier":"Let the bot join","Type":"Wait","Parameters":{"TimeLimitSeconds":"5"},
  "Transitions":{"NextAction":"Bye","Conditions":[{"NextAction":"Bot talks","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}],"Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Bot talks","Type":"Wait","Parameters":{"TimeLimitSeconds":"3600","Events":["BotParticipantDisconnected"]},
  "Transitions":{"NextAction":"Bye","Conditions":[
    {"NextAction":"Bot done","Condition":{"Operator":"Equals","Operands":["BotParticipantDisconnected"]}},
    {"NextAction":"Bye","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}],
   "Errors":[{"NextAction":"No bot","ErrorType":"ParticipantNotFound"},{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Bot done","Type":"MessageParticipant","Parameters":{"Text":"The bot is done; an agent will take over."},
  "Transitions":{"NextAction":"Queue","Errors":[{"NextAction":"Queue","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"No bot","Type":"MessageParticipant","Parameters":{"Text":"No bot joined."},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Queue","Type":"UpdateContactTargetQueue","Parameters":{"QueueId":"{{basicQueue}}"},
  "Transitions":{"NextAction":"Transfer","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Transfer","Type":"TransferContactToQueue","Parameters":{},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// addBot adds a connected CUSTOM_BOT to a chat and returns its session.
func (e *env) addBot(contactID string) chat.Session {
	e.t.Helper()
	p, err := e.chat.CreateParticipant(e.ctx, e.boot.InstanceID, contactID, chat.NewParticipantInput{Role: store.RoleCustomBot, DisplayName: "Helper bot"})
	if err != nil {
		e.t.Fatalf("create bot: %v", err)
	}
	conn, err := e.chat.CreateConnection(e.ctx, p.ParticipantToken, []string{chat.ConnCredentials})
	if err != nil {
		e.t.Fatalf("connect bot: %v", err)
	}
	sess, err := e.chat.Authenticate(e.ctx, conn.ConnectionToken, store.TokenConnection)
	if err != nil {
		e.t.Fatal(err)
	}
	return sess
}

// TestCustomBots: a Wait for BotParticipantDisconnected completes when the
// chat's custom bot leaves, and is ParticipantNotFound without one; when
// the last agent leaves while a bot stays, the disconnect flow waits for
// the bot to leave too.
func TestCustomBots(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		id := e.createFlow("Custom bot", flow.ContactFlow, customBotFlow, nil)
		withBot := e.startChat(id, nil)
		bot := e.addBot(withBot.contactID)
		without := e.startChat(id, nil)
		e.fire(6 * time.Second)
		if msgs := e.messages(without.contactID); len(msgs) != 1 || msgs[0] != "No bot joined." {
			t.Fatalf("without a bot: %q", msgs)
		}
		if err := e.chat.Disconnect(e.ctx, bot, ""); err != nil {
			t.Fatal(err)
		}
		if msgs := e.messages(withBot.contactID); len(msgs) != 1 || msgs[0] != "The bot is done; an agent will take over." {
			t.Fatalf("after the bot left: %q", msgs)
		}
		if r := e.routingOf(withBot.contactID); r.State != store.RoutingQueued {
			t.Fatalf("routing after the bot left: %+v", r)
		}

		// The default flows, an agent and a bot: the agent leaves first
		// (the bot still serves), then the bot: the disconnect flow runs.
		ann := e.agent("ann", "Ann")
		c := e.startChat(e.boot.InboundFlowID, map[string]string{"customerName": "Ana"})
		e.accept(ann, c.contactID)
		helper := e.addBot(c.contactID)
		if err := e.r.EndContact(e.ctx, e.boot.InstanceID, ann, c.contactID); err != nil {
			t.Fatal(err)
		}
		if n := countOf(e.messages(c.contactID), "The agent has left the chat."); n != 0 {
			t.Fatalf("the disconnect flow ran while the bot was still there")
		}
		if err := e.chat.Disconnect(e.ctx, helper, ""); err != nil {
			t.Fatal(err)
		}
		if n := countOf(e.messages(c.contactID), "The agent has left the chat."); n != 1 {
			t.Fatalf("after the bot left too: %q, want the disconnect flow's message", e.messages(c.contactID))
		}
		if got := e.contact(c.contactID); got.State != store.ContactActive {
			t.Fatalf("contact in its disconnect flow: %s", got.State)
		}
	})
}
