package flow

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
)

// fakeRefs is an instance holding the resources the testdata flows name.
type fakeRefs struct{ queues, flows, hours, users []string }

func (r fakeRefs) QueueExists(id string) bool { return slices.Contains(r.queues, id) }
func (r fakeRefs) FlowExists(id string) bool  { return slices.Contains(r.flows, id) }
func (r fakeRefs) HoursExists(id string) bool { return slices.Contains(r.hours, id) }
func (r fakeRefs) UserExists(id string) bool  { return slices.Contains(r.users, id) }

var instanceRefs = fakeRefs{
	queues: []string{"support"},
	flows:  []string{"disconnect-1", "queue-flow-1"},
	hours:  []string{"office"},
	users:  []string{"agent-1"},
}

func TestValidateCleanFlows(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file     string
		flowType string
	}{
		{"inbound.json", ContactFlow},
		{"disconnect.json", ContactFlow},
		{"customer_queue.json", CustomerQueue},
		{"agent_whisper.json", AgentWhisper},
		{"queue_transfer.json", QueueTransfer},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			f, err := Parse(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if problems := Validate(f, tt.flowType, instanceRefs); len(problems) != 0 {
				t.Fatalf("Validate: got %d problems, want none:\n%s", len(problems), list(problems))
			}
		})
	}
}

// doc is a flow document as generic JSON, for writing broken variants.
type doc map[string]any

func (d doc) action(id string) map[string]any {
	for _, a := range d["Actions"].([]any) {
		if a := a.(map[string]any); a["Identifier"] == id {
			return a
		}
	}
	panic("no action " + id)
}

func (d doc) params(id string) map[string]any { return d.action(id)["Parameters"].(map[string]any) }

func (d doc) transitions(id string) map[string]any {
	return d.action(id)["Transitions"].(map[string]any)
}

func (d doc) conditions(id string) []any { return d.transitions(id)["Conditions"].([]any) }

func (d doc) errorsOf(id string) []any { return d.transitions(id)["Errors"].([]any) }

func (d doc) addAction(a string) {
	var m map[string]any
	if err := json.Unmarshal([]byte(a), &m); err != nil {
		panic(err)
	}
	d["Actions"] = append(d["Actions"].([]any), m)
}

func (d doc) setType(id, typ string) { d.action(id)["Type"] = typ }

// want is an expected problem: its code and the action it is in.
type want struct {
	code Code
	id   string
}

func TestValidateProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		file     string
		flowType string // CONTACT_FLOW when empty
		refs     Resolver
		mutate   func(d doc)
		want     []want // error-severity problems, exactly
		warn     []want // warnings that must be among the problems
	}{
		{
			name: "unknown action type", file: "inbound.json",
			mutate: func(d doc) { d.setType("set-attrs", "SetAttributes") },
			want:   []want{{CodeUnknownActionType, "set-attrs"}},
		},
		{
			name: "flow module rejected", file: "inbound.json",
			mutate: func(d doc) { d.setType("set-attrs", "InvokeFlowModule") },
			want:   []want{{CodeUnsupportedAction, "set-attrs"}},
		},
		{
			name: "voice-only action accepted with a warning", file: "inbound.json",
			mutate: func(d doc) {
				d.setType("set-attrs", "UpdateContactCallbackNumber")
				d.action("set-attrs")["Parameters"] = map[string]any{"CallbackNumber": "$.Attributes.phone"}
			},
			warn: []want{{CodeUnsupportedOnChat, "set-attrs"}},
		},
		{
			name: "duplicate identifier", file: "inbound.json",
			mutate: func(d doc) {
				d.addAction(`{"Identifier":"bye","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`)
			},
			want: []want{{CodeDuplicateIdentifier, "bye"}},
		},
		{
			name: "invalid identifiers", file: "inbound.json",
			mutate: func(d doc) {
				d.addAction(`{"Identifier":"x(1)","Type":"EndFlowExecution"}`)
				d.addAction(`{"Identifier":"valueOf","Type":"EndFlowExecution"}`)
				d.addAction(`{"Identifier":"","Type":"EndFlowExecution"}`)
				d.addAction(`{"Identifier":"` + strings.Repeat("é", 51) + `","Type":"EndFlowExecution"}`)
			},
			want: []want{{CodeInvalidIdentifier, "x(1)"}, {CodeInvalidIdentifier, "valueOf"}, {CodeInvalidIdentifier, ""},
				{CodeInvalidIdentifier, strings.Repeat("é", 51)}},
			warn: []want{{CodeUnreachableAction, "x(1)"}},
		},
		{
			name: "StartAction names no action", file: "disconnect.json",
			mutate: func(d doc) { d["StartAction"] = "start" },
			want:   []want{{CodeMissingStartAction, ""}},
		},
		{
			name: "StartAction missing", file: "disconnect.json",
			mutate: func(d doc) { delete(d, "StartAction") },
			want:   []want{{CodeMissingStartAction, ""}},
		},
		{
			name: "dangling NextAction", file: "inbound.json",
			mutate: func(d doc) { d.transitions("set-attrs")["NextAction"] = "hourz" },
			want:   []want{{CodeDanglingNextAction, "set-attrs"}},
		},
		{
			name: "dangling error and condition branches", file: "inbound.json",
			mutate: func(d doc) {
				d.errorsOf("xfer")[0].(map[string]any)["NextAction"] = "gone"
				d.conditions("hours")[0].(map[string]any)["NextAction"] = "gone"
			},
			want: []want{{CodeDanglingNextAction, "hours"}, {CodeDanglingNextAction, "xfer"}},
		},
		{
			name: "error branch without NextAction", file: "inbound.json",
			mutate: func(d doc) { delete(d.errorsOf("xfer")[0].(map[string]any), "NextAction") },
			want:   []want{{CodeMissingNextAction, "xfer"}},
		},
		{
			name: "missing NextAction", file: "inbound.json",
			mutate: func(d doc) { delete(d.transitions("set-attrs"), "NextAction") },
			want:   []want{{CodeMissingNextAction, "set-attrs"}},
		},
		{
			name: "terminal action with transitions", file: "inbound.json",
			mutate: func(d doc) { d.action("bye")["Transitions"] = map[string]any{"NextAction": "closed"} },
			want:   []want{{CodeTerminalTransitions, "bye"}},
		},
		{
			name: "missing required parameter", file: "inbound.json",
			mutate: func(d doc) { d.action("set-attrs")["Parameters"] = map[string]any{} },
			want:   []want{{CodeMissingParameter, "set-attrs"}},
		},
		{
			name: "exactly-one group empty", file: "inbound.json",
			mutate: func(d doc) { d.action("set-q")["Parameters"] = map[string]any{} },
			want:   []want{{CodeMissingParameter, "set-q"}},
		},
		{
			name: "conflicting parameters", file: "inbound.json",
			mutate: func(d doc) { d.params("set-q")["AgentId"] = "agent-1" },
			want:   []want{{CodeConflictingParams, "set-q"}},
		},
		{
			name: "message with Text and SSML", file: "inbound.json",
			mutate: func(d doc) { d.params("closed")["SSML"] = "<speak>closed</speak>" },
			want:   []want{{CodeConflictingParams, "closed"}},
		},
		{
			name: "wrong JSON types", file: "inbound.json",
			mutate: func(d doc) {
				d.params("set-attrs")["Attributes"] = "entry=web"
				d.params("closed")["Text"] = map[string]any{"en": "closed"}
				d.params("set-q")["QueueId"] = []any{"support"}
			},
			want: []want{{CodeParameterType, "set-attrs"}, {CodeParameterType, "closed"}, {CodeParameterType, "set-q"}},
		},
		{
			name: "attribute value not a string", file: "inbound.json",
			mutate: func(d doc) { d.params("set-attrs")["Attributes"].(map[string]any)["nested"] = map[string]any{} },
			want:   []want{{CodeParameterType, "set-attrs"}},
		},
		{
			name: "numbers accepted for scalars", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeLimitSeconds"] = 600 },
		},
		{
			name: "error type the action does not raise", file: "inbound.json",
			mutate: func(d doc) {
				d.transitions("set-attrs")["Errors"] = append(d.errorsOf("set-attrs"),
					map[string]any{"NextAction": "hours", "ErrorType": "QueueAtCapacity"})
			},
			want: []want{{CodeErrorTypeNotAllowed, "set-attrs"}},
		},
		{
			name: "duplicate error type", file: "inbound.json",
			mutate: func(d doc) {
				d.transitions("set-attrs")["Errors"] = append(d.errorsOf("set-attrs"),
					map[string]any{"NextAction": "hours", "ErrorType": "NoMatchingError"})
			},
			want: []want{{CodeDuplicateErrorType, "set-attrs"}},
		},
		{
			name: "error branch on an action that raises none", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: func(d doc) {
				d.transitions("loop")["Errors"] = []any{map[string]any{"NextAction": "end", "ErrorType": "NoMatchingError"}}
			},
			warn: []want{{CodeErrorBranchNeverUsed, "loop"}},
		},
		{
			name: "conditions on an action without a result", file: "inbound.json",
			mutate: func(d doc) { d.transitions("set-attrs")["Conditions"] = d.conditions("hours") },
			want:   []want{{CodeConditionNotAllowed, "set-attrs"}, {CodeConditionNotAllowed, "set-attrs"}},
		},
		{
			name: "check hours with an unknown result", file: "inbound.json",
			mutate: func(d doc) {
				d.conditions("hours")[1].(map[string]any)["Condition"] = map[string]any{"Operator": "Equals", "Operands": []any{"Maybe"}}
			},
			want: []want{{CodeInvalidCondition, "hours"}, {CodeMissingCondition, "hours"}},
		},
		{
			name: "check hours with a text operator", file: "inbound.json",
			mutate: func(d doc) {
				d.conditions("hours")[0].(map[string]any)["Condition"] = map[string]any{"Operator": "TextContains", "Operands": []any{"True"}}
			},
			want: []want{{CodeInvalidCondition, "hours"}, {CodeMissingCondition, "hours"}},
		},
		{
			name: "wait timeout above 7 days", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeLimitSeconds"] = "604801" },
			want:   []want{{CodeParameterRange, "wait"}},
		},
		{
			name: "wait timeout zero", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeLimitSeconds"] = "0" },
			want:   []want{{CodeParameterRange, "wait"}},
		},
		{
			name: "wait timeout not a number", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeLimitSeconds"] = "1h" },
			want:   []want{{CodeInvalidParameter, "wait"}},
		},
		{
			name: "wait timeout from an attribute", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeLimitSeconds"] = "$.Attributes.waitSeconds" },
		},
		{
			name: "wait with the documented TimeoutSeconds", file: "disconnect.json",
			mutate: func(d doc) {
				delete(d.params("wait"), "TimeLimitSeconds")
				d.params("wait")["TimeoutSeconds"] = "900"
			},
		},
		{
			name: "wait with both timeouts", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["TimeoutSeconds"] = "900" },
			want:   []want{{CodeConflictingParams, "wait"}},
		},
		{
			name: "wait without a timeout", file: "disconnect.json",
			mutate: func(d doc) { delete(d.params("wait"), "TimeLimitSeconds") },
			want:   []want{{CodeMissingParameter, "wait"}},
		},
		{
			name: "wait missing the CustomerReturned branch", file: "disconnect.json",
			mutate: func(d doc) { d.transitions("wait")["Conditions"] = d.conditions("wait")[1:] },
			want:   []want{{CodeMissingCondition, "wait"}},
			warn:   []want{{CodeUnreachableAction, "back-to-agent"}},
		},
		{
			name: "wait with an unknown event", file: "disconnect.json",
			mutate: func(d doc) { d.params("wait")["Events"] = []any{"CustomerReturned", "AgentReturned"} },
			want:   []want{{CodeInvalidParameter, "wait"}, {CodeMissingCondition, "wait"}},
		},
		{
			name: "loop count above 100", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: func(d doc) { d.params("loop")["LoopCount"] = "101" },
			want:   []want{{CodeParameterRange, "loop"}},
		},
		{
			name: "loop count negative", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: func(d doc) { d.params("loop")["LoopCount"] = "-1" },
			want:   []want{{CodeParameterRange, "loop"}},
		},
		{
			name: "loop without DoneLooping", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: func(d doc) { d.transitions("loop")["Conditions"] = d.conditions("loop")[:1] },
			want:   []want{{CodeMissingCondition, "loop"}},
			warn:   []want{{CodeUnreachableAction, "still-busy"}},
		},
		{
			name: "percentages above 100", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) {
				d.conditions("split")[1].(map[string]any)["Condition"] = map[string]any{"Operator": "NumberLessThan", "Operands": []any{"111"}}
			},
			want: []want{{CodePercentageSum, "split"}},
		},
		{
			name: "percentages not ascending", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) {
				d.conditions("split")[1].(map[string]any)["Condition"] = map[string]any{"Operator": "NumberLessThan", "Operands": []any{"11"}}
			},
			want: []want{{CodeInvalidCondition, "split"}},
		},
		{
			name: "staffing check with another threshold", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) {
				d.conditions("staffed")[0].(map[string]any)["Condition"] = map[string]any{"Operator": "NumberGreaterThan", "Operands": []any{"2"}}
			},
			want: []want{{CodeInvalidCondition, "staffed"}},
		},
		{
			name: "staffing check without a False branch", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) { delete(d.transitions("staffed"), "NextAction") },
			want:   []want{{CodeMissingNextAction, "staffed"}},
		},
		{
			name: "unknown metric", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) { d.params("staffed")["MetricType"] = "NumberOfAgentsHappy" },
			want:   []want{{CodeInvalidParameter, "staffed"}},
		},
		{
			name: "inbound actions in a customer queue flow", file: "inbound.json", flowType: CustomerQueue,
			want: []want{{CodeActionNotAllowed, "set-q"}, {CodeActionNotAllowed, "xfer"}},
		},
		{
			name: "message in a hold flow", file: "agent_whisper.json", flowType: CustomerHold,
			want: []want{{CodeActionNotAllowed, "say-queue"}},
		},
		{
			name: "check hours in a whisper", file: "queue_transfer.json", flowType: AgentWhisper,
			want: []want{{CodeActionNotAllowed, "hours"}, {CodeActionNotAllowed, "staffed"},
				{CodeActionNotAllowed, "split"}, {CodeActionNotAllowed, "xfer"}},
		},
		{
			name: "queue transfer flow as inbound", file: "queue_transfer.json", flowType: ContactFlow,
		},
		{
			name: "unknown flow type", file: "agent_whisper.json", flowType: "INBOUND",
			want: []want{{CodeInvalidFlowType, ""}},
		},
		{
			name: "busy loop with no exit", file: "inbound.json",
			mutate: func(d doc) {
				d.transitions("set-attrs")["NextAction"] = "Welcome Message"
				d.errorsOf("set-attrs")[0].(map[string]any)["NextAction"] = "Welcome Message"
			},
			want: []want{{CodeCycleWithoutExit, "Welcome Message"}},
			warn: []want{{CodeUnreachableAction, "hours"}},
		},
		{
			name: "waiting loop with no exit in an inbound flow", file: "customer_queue.json", flowType: ContactFlow,
			mutate: closeQueueLoop,
			want:   []want{{CodeCycleWithoutExit, "loop"}},
		},
		{
			name: "waiting loop with no exit in a customer queue flow", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: closeQueueLoop,
			warn:   []want{{CodeUnreachableAction, "still-busy"}},
		},
		{
			name: "self loop", file: "customer_queue.json", flowType: CustomerQueue,
			mutate: func(d doc) {
				d.transitions("still-busy")["NextAction"] = "still-busy"
				d.errorsOf("still-busy")[0].(map[string]any)["NextAction"] = "still-busy"
			},
			want: []want{{CodeCycleWithoutExit, "still-busy"}},
		},
		{
			name: "references that do not exist", file: "inbound.json", refs: fakeRefs{},
			want: []want{{CodeReferenceNotFound, "hours"}, {CodeReferenceNotFound, "set-disc"},
				{CodeReferenceNotFound, "set-queue-flow"}, {CodeReferenceNotFound, "set-q"}},
		},
		{
			name: "dynamic references are not resolved", file: "inbound.json", refs: fakeRefs{},
			mutate: func(d doc) {
				d.params("set-q")["QueueId"] = "$.Attributes.queueArn"
				d.params("set-disc")["EventHooks"] = map[string]any{"CustomerRemaining": "$.Attributes.disconnectFlow"}
				d.params("set-queue-flow")["EventHooks"] = map[string]any{"CustomerQueue": "$.External.queueFlow"}
				delete(d.params("hours"), "HoursOfOperationId")
			},
		},
		{
			name: "embedded reference in a static-or-path parameter", file: "inbound.json",
			mutate: func(d doc) { d.params("set-q")["QueueId"] = "queue-$.Attributes.region" },
			want:   []want{{CodeDynamicNotAllowed, "set-q"}},
		},
		{
			name: "event hooks with two entries and an unknown key", file: "inbound.json",
			mutate: func(d doc) { d.params("set-disc")["EventHooks"].(map[string]any)["OnSunday"] = "disconnect-1" },
			want:   []want{{CodeParameterRange, "set-disc"}, {CodeInvalidParameter, "set-disc"}},
		},
		{
			name: "compare needs a reference", file: "inbound.json",
			mutate: func(d doc) {
				d.addAction(`{"Identifier":"tier","Type":"Compare","Parameters":{"ComparisonValue":"gold"},
					"Transitions":{"Conditions":[{"NextAction":"bye","Condition":{"Operator":"GreaterThan","Operands":["1"]}}],
					"Errors":[{"NextAction":"bye","ErrorType":"NoMatchingCondition"}]}}`)
				d.transitions("set-attrs")["NextAction"] = "tier"
			},
			want: []want{{CodeInvalidParameter, "tier"}, {CodeInvalidCondition, "tier"}},
		},
		{
			name: "tag limits", file: "queue_transfer.json", flowType: QueueTransfer,
			mutate: func(d doc) {
				d.params("tag")["Tags"] = map[string]any{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "aws:f": "6", "g": strings.Repeat("v", 257)}
			},
			want: []want{{CodeParameterRange, "tag"}, {CodeInvalidParameter, "tag"}, {CodeParameterRange, "tag"}},
		},
		{
			name: "lambda timeout above 8 seconds", file: "inbound.json",
			mutate: func(d doc) {
				d.setType("set-attrs", "InvokeLambdaFunction")
				d.action("set-attrs")["Parameters"] = map[string]any{
					"LambdaFunctionARN": "arn:aws:lambda:eu-west-1:111122223333:function:crm", "InvocationTimeLimitSeconds": "9"}
			},
			want: []want{{CodeParameterRange, "set-attrs"}},
		},
		{
			name: "static-only parameter with a reference", file: "inbound.json",
			mutate: func(d doc) {
				d.setType("set-attrs", "UpdateFlowLoggingBehavior")
				d.action("set-attrs")["Parameters"] = map[string]any{"FlowLoggingBehavior": "$.Attributes.logging"}
				d.transitions("set-attrs")["Errors"] = []any{}
			},
			want: []want{{CodeDynamicNotAllowed, "set-attrs"}},
		},
		{
			name: "stored input needs validation", file: "inbound.json",
			mutate: func(d doc) {
				d.setType("set-attrs", "GetParticipantInput")
				d.action("set-attrs")["Parameters"] = map[string]any{"Text": "Your order number?", "StoreInput": "True"}
				d.transitions("set-attrs")["Conditions"] = []any{map[string]any{"NextAction": "hours",
					"Condition": map[string]any{"Operator": "Equals", "Operands": []any{"1"}}}}
			},
			want: []want{{CodeMissingParameter, "set-attrs"}, {CodeConditionNotAllowed, "set-attrs"}},
			warn: []want{{CodeUnsupportedOnChat, "set-attrs"}},
		},
		{
			name: "message text above 6000 characters", file: "inbound.json",
			mutate: func(d doc) { d.params("closed")["Text"] = strings.Repeat("a", 6001) },
			want:   []want{{CodeParameterRange, "closed"}},
		},
		{
			name: "voice prompt on chat is a warning", file: "inbound.json",
			mutate: func(d doc) {
				d.action("closed")["Parameters"] = map[string]any{"PromptId": "arn:aws:connect:eu-west-1:111122223333:instance/i-1/prompt/p-1"}
			},
			warn: []want{{CodeUnsupportedOnChat, "closed"}},
		},
		{
			name: "lambda response type", file: "inbound.json",
			mutate: func(d doc) {
				d.setType("set-attrs", "InvokeLambdaFunction")
				d.action("set-attrs")["Parameters"] = map[string]any{
					"LambdaFunctionARN": "arn:aws:lambda:eu-west-1:111122223333:function:crm", "InvocationTimeLimitSeconds": "8",
					"InvocationType": "ASYNCHRONOUS", "LambdaInvocationAttributes": map[string]any{"orderId": "$.Attributes.orderId"},
					"ResponseValidation": map[string]any{"ResponseType": "XML"}}
			},
			want: []want{{CodeInvalidParameter, "set-attrs"}},
			warn: []want{{CodeInvalidParameter, "set-attrs"}},
		},
		{
			name: "unreachable action is a warning", file: "inbound.json",
			mutate: func(d doc) {
				d.addAction(`{"Identifier":"orphan","Type":"EndFlowExecution","Parameters":{},"Transitions":{}}`)
			},
			warn: []want{{CodeUnreachableAction, "orphan"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var d doc
			if err := json.Unmarshal(readTestdata(t, tt.file), &d); err != nil {
				t.Fatal(err)
			}
			if tt.mutate != nil {
				tt.mutate(d)
			}
			content, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			f, err := Parse(content)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			flowType := tt.flowType
			if flowType == "" {
				flowType = ContactFlow
			}
			refs := tt.refs
			if refs == nil {
				refs = instanceRefs
			}
			problems := Validate(f, flowType, refs)
			if got, want := keys(Errors(problems)), wantKeys(tt.want); !slices.Equal(got, want) {
				t.Fatalf("Validate errors: got %v, want %v\n%s", got, want, list(problems))
			}
			all := keys(problems)
			for _, w := range wantKeys(tt.warn) {
				if !slices.Contains(all, w) {
					t.Fatalf("Validate: missing warning %v\n%s", w, list(problems))
				}
			}
		})
	}
}

// closeQueueLoop makes the queue flow's Loop and Wait a loop with no way out.
func closeQueueLoop(d doc) {
	d.conditions("loop")[1].(map[string]any)["NextAction"] = "wait"
	delete(d.transitions("wait"), "NextAction")
	delete(d.transitions("wait"), "Errors")
}

func TestProblemDetail(t *testing.T) {
	t.Parallel()
	f, err := Parse([]byte(`{"Version":"2019-10-30","StartAction":"m","Actions":[
		{"Identifier":"m","Type":"MessageParticipant","Parameters":{"Text":"hi"},"Transitions":{}}]}`))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	problems := Validate(f, ContactFlow, nil)
	if len(problems) != 1 {
		t.Fatalf("Validate: got %d problems, want 1:\n%s", len(problems), list(problems))
	}
	p := problems[0]
	want := `Action is missing required property (action "m"). Path: Actions[0].Transitions.NextAction`
	if got := p.Detail(); got != want {
		t.Fatalf("Detail: got %q, want %q", got, want)
	}
	if p.Severity != SeverityError || p.Code != CodeMissingNextAction || p.Identifier != "m" {
		t.Fatalf("got %+v", p)
	}
}

func TestEveryDefinitionIsConsistent(t *testing.T) {
	t.Parallel()
	for typ, d := range defs {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			if d.Terminal && (d.NeedsNext || d.EndsOnSuccess || len(d.Errors) > 0) {
				t.Fatalf("terminal action with branches: %+v", d)
			}
			if (d.Conditions == CustomConditions) != (d.Check != nil && d.Conditions == CustomConditions) {
				t.Fatalf("custom conditions without a Check hook")
			}
			for _, group := range slices.Concat(d.ExactlyOne, d.AtMostOne) {
				for _, name := range group {
					if name != "RoutingCriteria" && d.param(name) == nil {
						t.Fatalf("group names undeclared parameter %q", name)
					}
				}
			}
			for _, ft := range slices.Concat(d.Allowed, d.Denied) {
				if !slices.Contains(FlowTypes, ft) {
					t.Fatalf("unknown flow type %q", ft)
				}
			}
		})
	}
}

func keys(problems []Problem) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = fmt.Sprintf("%s@%s", p.Code, p.Identifier)
	}
	sort.Strings(out)
	return out
}

func wantKeys(ws []want) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = fmt.Sprintf("%s@%s", w.code, w.id)
	}
	sort.Strings(out)
	return out
}

func list(problems []Problem) string {
	var b strings.Builder
	for _, p := range problems {
		b.WriteString("  " + p.String() + "\n")
	}
	return b.String()
}
