package flow_test

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/internal/chat"
	"github.com/parley-chat/parley/internal/flow"
	"github.com/parley-chat/parley/internal/store"
)

const pickerFlow = `{"Version":"2019-10-30","StartAction":"Pick","Actions":[
 {"Identifier":"Pick","Type":"MessageParticipant","Parameters":{"Text":"{\"templateType\":\"ListPicker\",\"version\":\"1.0\",\"data\":{\"content\":{\"title\":\"What can we help $.Attributes.name with?\",\"elements\":[{\"title\":\"Billing\"},{\"title\":\"Orders\"}]}}}"},
  "Transitions":{"NextAction":"Broken","Errors":[{"NextAction":"Broken","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Broken","Type":"MessageParticipant","Parameters":{"Text":"{\"templateType\":\"ListPicker\",\"version\":\"1.0\",\"data\":{\"content\":{\"title\":\"Empty\",\"elements\":[]}}}"},
  "Transitions":{"NextAction":"Wait","Errors":[{"NextAction":"Fallback","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Fallback","Type":"MessageParticipant","Parameters":{"Text":"Reply with Billing or Orders."},
  "Transitions":{"NextAction":"Wait","Errors":[{"NextAction":"Wait","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"Wait","Type":"Wait","Parameters":{"TimeLimitSeconds":"600","Events":["CustomerReturned"]},
  "Transitions":{"NextAction":"End","Conditions":[{"NextAction":"End","Condition":{"Operator":"Equals","Operands":["CustomerReturned"]}},{"NextAction":"End","Condition":{"Operator":"Equals","Operands":["WaitCompleted"]}}],"Errors":[{"NextAction":"End","ErrorType":"NoMatchingError"}]}},
 {"Identifier":"End","Type":"DisconnectParticipant","Parameters":{},"Transitions":{}}]}`

// TestInteractiveMessages: a MessageParticipant whose Text is an
// interactive template is sent as an interactive message; a customer's
// attribute cannot break the template's JSON; a malformed template takes
// the error branch.
func TestInteractiveMessages(t *testing.T) {
	t.Parallel()
	forEachDriver(t, func(t *testing.T, e *env) {
		id := e.createFlow("Picker", flow.ContactFlow, pickerFlow, nil)
		name := `Ana", "elements": [], "x": "<script>`
		c := e.startChat(id, map[string]string{"name": name})
		items, err := e.st.ListItems(e.ctx, store.ItemQuery{ContactID: c.contactID})
		if err != nil {
			t.Fatal(err)
		}
		var msgs []store.Item
		for _, it := range items {
			if it.Type == store.ItemMessage {
				msgs = append(msgs, it)
			}
		}
		if len(msgs) != 2 || msgs[0].ContentType != chat.TypeInteractive || msgs[1].Content != "Reply with Billing or Orders." {
			t.Fatalf("messages: %+v, want the list picker then the fallback text", msgs)
		}
		var picker struct {
			TemplateType string
			Data         struct {
				Content struct {
					Title    string
					Elements []struct{ Title string }
				}
			}
		}
		if err := json.Unmarshal([]byte(msgs[0].Content), &picker); err != nil {
			t.Fatalf("the list picker is not JSON: %v\n%s", err, msgs[0].Content)
		}
		if picker.Data.Content.Title != "What can we help "+name+" with?" || len(picker.Data.Content.Elements) != 2 {
			t.Fatalf("list picker: %+v", picker)
		}
		if got := e.lastLog(c.contactID, "Broken"); got["ErrorType"] != "NoMatchingError" {
			t.Fatalf("flow log of the malformed template: %v", got)
		}
	})
}
