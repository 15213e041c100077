package flow_test

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/fault"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/store"
)

// fakeBots records the conversations flows start.
type fakeBots struct {
	mu    sync.Mutex
	convs map[string]flow.BotConversation // by contact
}

func (b *fakeBots) StartConversation(cx *chat.Tx, c flow.BotConversation) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.convs[cx.Contact.ID] = c
	return nil
}

const botFlow = `{"Version":"2019-10-30","StartAction":"Bot","Actions":[
 {"Identifier":"Bot","Type":"ConnectParticipantWithLexBot","Parameters":{
   "Text":"Hi $.Attributes.firstName, how can I help?",
   "LexV2Bot":{"AliasArn":"arn:aws:lex:eu-west-1:123456789012:bot-alias/BOT1/ALIAS1"},
   "LexSessionAttributes":{"customer":"$.Attributes.firstName"},
   "LexInitilizationData":{"InitialMessage":"$.Attributes.question"},
   "LexTimeoutSeconds":{"Text":"600"}},
  "Transitions":{"NextAction":"Sorry","Conditions":[
    {"NextAction":"Order","Condition":{"Operator":"Equals","Operands":["CheckOrder"]}},
    {"NextAction":"Bye","Condition":{"Operator":"Equals","Operands":["Goodbye"]}}],
   "Errors":[{"NextAction":"Timed out","ErrorType":"InputTimeLimitExceeded"},
     {"NextAction":"Sorry","ErrorType":"NoMatchingCondition"},
     {"NextAction":"Broken","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Order","Type":"MessageParticipant","Parameters":{"Text":"Order $.Lex.Slots.orderId: $.Lex.SessionAttributes.status"},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Sorry","Type":"MessageParticipant","Parameters":{"Text":"Sorry, I did not get that."},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Timed out","Type":"MessageParticipant","Parameters":{"Text":"No answer, closing."},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Broken","Type":"MessageParticipant","Parameters":{"Text":"The bot failed."},
  "Transitions":{"NextAction":"Bye","Errors":[{"NextAction":"Bye","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Bye","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// TestBotBlock: ConnectParticipantWithLexBot hands the customer to the
// installed bots and waits; the bot's intent picks the branch and fills
// $.Lex; a conversation that outlives LexTimeoutSeconds takes
// InputTimeLimitExceeded; a failed one the error branch.
func TestBotBlock(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		bots := &fakeBots{convs: map[string]flow.BotConversation{}}
		e.flows.SetBots(bots)
		id := e.createFlow("Bot", flow.ContactFlow, botFlow, nil)
		attrs := map[string]string{"firstName": "Ana", "question": "where is my order"}

		fulfilled := e.startChat(id, attrs)
		conv := bots.convs[fulfilled.contactID]
		if conv.Bot != "arn:aws:lex:eu-west-1:123456789012:bot-alias/BOT1/ALIAS1" || conv.SessionAttributes["customer"] != "Ana" ||
			conv.InitialMessage != "where is my order" || conv.Timeout != 10*time.Minute {
			t.Fatalf("conversation: %+v", conv)
		}
		if msgs := e.messages(fulfilled.contactID); !slices.Equal(msgs, []string{"Hi Ana, how can I help?"}) {
			t.Fatalf("messages while the bot talks: %q", msgs)
		}
		fulfilled.send("it's order 1234") // the bot's business, not the flow's
		if err := e.flows.BotFinished(e.ctx, e.boot.InstanceID, fulfilled.contactID, flow.BotResult{IntentName: "CheckOrder",
			Slots: map[string]string{"orderId": "1234"}, SessionAttributes: map[string]string{"status": "shipped"}, DialogState: "Fulfilled"}); err != nil {
			t.Fatal(err)
		}
		msgs := e.messages(fulfilled.contactID)
		if msgs[len(msgs)-1] != "Order 1234: shipped" {
			t.Fatalf("messages after the intent: %q", msgs)
		}
		if got := e.contact(fulfilled.contactID); got.State != store.ContactEnded {
			t.Fatalf("contact after the flow: %s", got.State)
		}
		err := e.flows.BotFinished(e.ctx, e.boot.InstanceID, fulfilled.contactID, flow.BotResult{IntentName: "CheckOrder"})
		var f *fault.Error
		if !errors.As(err, &f) || f.Code != fault.InvalidRequest {
			t.Fatalf("BotFinished twice: %v, want InvalidRequest", err)
		}

		unknown := e.startChat(id, attrs)
		if err := e.flows.BotFinished(e.ctx, e.boot.InstanceID, unknown.contactID, flow.BotResult{IntentName: "Weather"}); err != nil {
			t.Fatal(err)
		}
		if msgs := e.messages(unknown.contactID); msgs[len(msgs)-1] != "Sorry, I did not get that." {
			t.Fatalf("an intent with no condition: %q", msgs)
		}

		failed := e.startChat(id, attrs)
		if err := e.flows.BotFinished(e.ctx, e.boot.InstanceID, failed.contactID, flow.BotResult{Failed: true}); err != nil {
			t.Fatal(err)
		}
		if msgs := e.messages(failed.contactID); msgs[len(msgs)-1] != "The bot failed." {
			t.Fatalf("a failed conversation: %q", msgs)
		}

		quiet := e.startChat(id, attrs)
		e.fire(9 * time.Minute)
		if got := e.contact(quiet.contactID); got.State != store.ContactActive {
			t.Fatalf("contact 9 minutes into the bot conversation: %s", got.State)
		}
		e.fire(2 * time.Minute)
		if msgs := e.messages(quiet.contactID); msgs[len(msgs)-1] != "No answer, closing." {
			t.Fatalf("a conversation past its time: %q", msgs)
		}
		if got := e.lastLog(quiet.contactID, "Bot"); got["ErrorType"] != "InputTimeLimitExceeded" {
			t.Fatalf("flow log of the timed-out bot block: %v", got)
		}
	})
}
